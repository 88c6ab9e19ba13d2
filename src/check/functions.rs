//! Azure's expression functions (SEMANTICS.md §3.3): names, arity, result types.

use crate::ir::Type;

#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// The canonical spelling, as Azure's docs write it.
    pub name: &'static str,
    pub min: usize,
    /// `usize::MAX` for variadic.
    pub max: usize,
    pub result: Type,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Arguments coerced to booleans.
    Logical,
    /// Left operand decides how the others are converted.
    Comparison,
    /// Job/stage status: arguments (if any) name jobs or stages.
    Status,
    Text,
    Other,
    /// Valid in Azure, but not in conditions (`counter`, `convertToJson`, …).
    NotInConditions,
}

const N: usize = usize::MAX;

pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "and",
        min: 2,
        max: N,
        result: Type::Bool,
        kind: Kind::Logical,
    },
    Function {
        name: "or",
        min: 2,
        max: N,
        result: Type::Bool,
        kind: Kind::Logical,
    },
    Function {
        name: "not",
        min: 1,
        max: 1,
        result: Type::Bool,
        kind: Kind::Logical,
    },
    Function {
        name: "xor",
        min: 2,
        max: 2,
        result: Type::Bool,
        kind: Kind::Logical,
    },
    Function {
        name: "eq",
        min: 2,
        max: 2,
        result: Type::Bool,
        kind: Kind::Comparison,
    },
    Function {
        name: "ne",
        min: 2,
        max: 2,
        result: Type::Bool,
        kind: Kind::Comparison,
    },
    Function {
        name: "gt",
        min: 2,
        max: 2,
        result: Type::Bool,
        kind: Kind::Comparison,
    },
    Function {
        name: "ge",
        min: 2,
        max: 2,
        result: Type::Bool,
        kind: Kind::Comparison,
    },
    Function {
        name: "lt",
        min: 2,
        max: 2,
        result: Type::Bool,
        kind: Kind::Comparison,
    },
    Function {
        name: "le",
        min: 2,
        max: 2,
        result: Type::Bool,
        kind: Kind::Comparison,
    },
    Function {
        name: "in",
        min: 2,
        max: N,
        result: Type::Bool,
        kind: Kind::Comparison,
    },
    Function {
        name: "notIn",
        min: 2,
        max: N,
        result: Type::Bool,
        kind: Kind::Comparison,
    },
    Function {
        name: "contains",
        min: 2,
        max: 2,
        result: Type::Bool,
        kind: Kind::Text,
    },
    Function {
        name: "startsWith",
        min: 2,
        max: 2,
        result: Type::Bool,
        kind: Kind::Text,
    },
    Function {
        name: "endsWith",
        min: 2,
        max: 2,
        result: Type::Bool,
        kind: Kind::Text,
    },
    Function {
        name: "containsValue",
        min: 2,
        max: 2,
        result: Type::Bool,
        kind: Kind::Other,
    },
    Function {
        name: "coalesce",
        min: 2,
        max: N,
        result: Type::Any,
        kind: Kind::Other,
    },
    Function {
        name: "format",
        min: 1,
        max: 256,
        result: Type::String,
        kind: Kind::Text,
    },
    Function {
        name: "join",
        min: 2,
        max: 2,
        result: Type::String,
        kind: Kind::Text,
    },
    Function {
        name: "split",
        min: 2,
        max: 2,
        result: Type::Object,
        kind: Kind::Text,
    },
    Function {
        name: "replace",
        min: 3,
        max: 3,
        result: Type::String,
        kind: Kind::Text,
    },
    Function {
        name: "lower",
        min: 1,
        max: 1,
        result: Type::String,
        kind: Kind::Text,
    },
    Function {
        name: "upper",
        min: 1,
        max: 1,
        result: Type::String,
        kind: Kind::Text,
    },
    Function {
        name: "trim",
        min: 1,
        max: 1,
        result: Type::String,
        kind: Kind::Text,
    },
    Function {
        name: "length",
        min: 1,
        max: 1,
        result: Type::Number,
        kind: Kind::Other,
    },
    Function {
        name: "iif",
        min: 3,
        max: 3,
        result: Type::Any,
        kind: Kind::Other,
    },
    Function {
        name: "always",
        min: 0,
        max: 0,
        result: Type::Bool,
        kind: Kind::Status,
    },
    Function {
        name: "canceled",
        min: 0,
        max: 0,
        result: Type::Bool,
        kind: Kind::Status,
    },
    Function {
        name: "failed",
        min: 0,
        max: N,
        result: Type::Bool,
        kind: Kind::Status,
    },
    Function {
        name: "succeeded",
        min: 0,
        max: N,
        result: Type::Bool,
        kind: Kind::Status,
    },
    Function {
        name: "succeededOrFailed",
        min: 0,
        max: N,
        result: Type::Bool,
        kind: Kind::Status,
    },
    Function {
        name: "counter",
        min: 2,
        max: 2,
        result: Type::Number,
        kind: Kind::NotInConditions,
    },
    Function {
        name: "convertToJson",
        min: 1,
        max: 1,
        result: Type::String,
        kind: Kind::NotInConditions,
    },
];

/// Function names are case-insensitive in Azure.
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

pub fn is_status(name: &str) -> bool {
    lookup(name).is_some_and(|f| f.kind == Kind::Status)
}

/// The values of `Build.Reason` (SEMANTICS.md §4).
pub const REASONS: &[&str] = &[
    "Manual",
    "IndividualCI",
    "BatchedCI",
    "Schedule",
    "ValidateShelveset",
    "CheckInShelveset",
    "PullRequest",
    "BuildCompletion",
    "ResourceTrigger",
];

/// Job, stage and `Agent.JobStatus` results (SEMANTICS.md §2.4).
pub const RESULTS: &[&str] = &[
    "Succeeded",
    "SucceededWithIssues",
    "Failed",
    "Canceled",
    "Skipped",
];

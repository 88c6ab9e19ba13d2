//! Diagnostics: what relc tells a user about their pipeline.
//!
//! Every phase pushes [`Diagnostic`]s into a [`Diagnostics`] sink instead of
//! stopping at the first problem, so one `relc check` reports everything it
//! can. A diagnostic has a stable [`Code`] (documented in
//! `docs/diagnostics.md`), a primary span with a label, optional related
//! spans (e.g. the first declaration of a duplicate) and optional help.
//! Rendering lives in [`crate::render`].

use crate::source::Span;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $title:literal;)*) => {
        /// The kinds of problem relc reports. The string form (`E010`) is stable.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            /// A one-line description, used in `docs/diagnostics.md`.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title),* }
            }
        }
    };
}

codes! {
    Syntax = "E001", "syntax error";
    InvalidEscape = "E002", "invalid escape in a string";
    UnknownSetting = "E003", "unknown setting";
    InvalidValue = "E004", "a setting has a value of the wrong kind";
    RepeatedSetting = "E005", "a setting is given more than once";
    UnknownStage = "E010", "unknown stage";
    UnknownJob = "E011", "unknown job";
    UnknownEnvironment = "E012", "unknown environment";
    UnknownGate = "E013", "unknown gate";
    UnknownArtifact = "E014", "unknown artifact";
    UnknownVariable = "E015", "unknown variable";
    UnknownTemplate = "E016", "unknown template";
    UnknownProperty = "E017", "unknown property or parameter";
    Duplicate = "E020", "duplicate name";
    InvalidName = "E021", "name that Azure Pipelines rejects";
    TemplateArguments = "E022", "template arguments that do not match its parameters";
    TemplateKind = "E023", "template used where its contents do not fit";
    ImportNotFound = "E024", "imported file not found";
    ImportContents = "E025", "imported file declares a pipeline or stages";
    ImportOutsideProject = "E026", "import that leads outside the project";
    ImportNotSource = "E027", "imported file that is not readable source";
    Cycle = "E030", "dependency cycle";
    NotBoolean = "E040", "condition that is not a boolean";
    TypeMismatch = "E041", "comparison of values of incompatible types";
    UnknownEnumValue = "E042", "value outside a known set (build reason, result)";
    UnknownFunction = "E043", "unknown function";
    Arity = "E044", "wrong number of arguments";
    NotInCondition = "E045", "function not available in conditions";
    InvalidCron = "E050", "invalid cron schedule";
    InvalidDuration = "E051", "invalid duration";
    OutOfRange = "E052", "value out of range";
    ArtifactOrder = "E060", "artifact downloaded by a stage that does not come after its producer";
    ArtifactNeverPublished = "E061", "artifact downloaded but never published";
    UnprotectedEnvironment = "E070", "protected environment without an approval";
    GatePlacement = "E080", "gate that cannot guard a stage";
    GateNeverPasses = "E081", "gate that can never pass";
    SecretInSource = "E090", "secret value written in source";
    AzureExpression = "E100", "Azure expression in a string";
    InvalidSuppression = "E110", "invalid suppression comment";
    TooLarge = "E120", "pipeline that expands past relc's limits";
    Unused = "W001", "unused declaration";
    UndeclaredVariable = "W002", "variable not declared in this file";
    GateAlwaysPasses = "W003", "gate that passes without checking anything";
    ConstantCondition = "W004", "condition that is the same on every run";
    LoggingCommand = "W005", "logging command outside a script";
    UnusedSuppression = "W006", "suppression comment that silences nothing";
}

/// A source location with a message, shown beside the primary label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    pub label: String,
    pub related: Vec<Related>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            label: String::new(),
            related: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    pub fn related(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn help_opt(mut self, help: Option<String>) -> Diagnostic {
        self.help = help;
        self
    }
}

/// The sink every phase writes to.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    errors: usize,
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.errors += usize::from(diagnostic.severity == Severity::Error);
        self.items.push(diagnostic);
    }

    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    pub fn error_count(&self) -> usize {
        self.errors
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Diagnostics pushed after the first `from` ones, for annotating them.
    pub fn since_mut(&mut self, from: usize) -> impl Iterator<Item = &mut Diagnostic> {
        self.items.iter_mut().skip(from)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.errors += other.errors;
        self.items.extend(other.items);
    }

    /// Sorted by file and position, so output is stable whatever order phases ran in.
    ///
    /// The same problem found again (a mistake inside a template, once per
    /// `use`) is reported once, with the related locations of every finding.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items
            .sort_by_key(|d| (d.span.file, d.span.start, d.span.end, d.code.as_str()));
        let mut out: Vec<Diagnostic> = Vec::with_capacity(self.items.len());
        for d in self.items {
            match out.last_mut() {
                Some(last)
                    if last.span == d.span
                        && last.code == d.code
                        && last.message == d.message
                        && last.label == d.label
                        && last.help == d.help =>
                {
                    for r in d.related {
                        if !last.related.contains(&r) {
                            last.related.push(r);
                        }
                    }
                }
                _ => out.push(d),
            }
        }
        out
    }
}

/// The closest candidate to `name`, compared case-insensitively, if one is close enough
/// to be a plausible typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Typos are short edits: skip huge names and candidates of very different
    // length, which also keeps this linear for pathological input.
    if name.len() > 100 {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .filter(|c| !c.is_empty() && c.len() <= 100)
        .filter_map(|c| {
            let cl = c.to_ascii_lowercase();
            let prefix = cl.starts_with(&lower) || lower.starts_with(&cl);
            let similar_length = c.len().abs_diff(name.len()) <= name.len().max(c.len()) / 2 + 2;
            let score = match (prefix, similar_length) {
                (true, _) => 0.9_f64.max(strsim::jaro_winkler(&lower, &cl)),
                (false, true) => strsim::jaro_winkler(&lower, &cl),
                (false, false) => return None,
            };
            Some((score, c))
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Help text for a did-you-mean, if there is a suggestion.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    did_you_mean(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
        }
    }

    #[test]
    fn did_you_mean_finds_typos_and_prefixes() {
        assert_eq!(
            did_you_mean("Tst", ["Build", "Test", "Staging"]),
            Some("Test")
        );
        assert_eq!(
            did_you_mean("Test", ["Build", "DevelopmentDeployment", "TestDeployment"]),
            Some("TestDeployment")
        );
        assert_eq!(did_you_mean("zzz", ["Build", "Test"]), None);
    }
}

//! The abstract syntax tree: what the user wrote, with spans, not yet checked.
//!
//! Names are not resolved here and values are not interpreted; the checker
//! ([`crate::check`]) does both. Settings have already been matched against
//! their schema by the syntax phase, so the AST has typed fields, but their
//! values are still [`Value`]s as written.

use crate::source::Span;

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub imports: Vec<Import>,
    pub pipeline: Option<Pipeline>,
    /// The resources of every `resources { … }` block, in source order.
    pub resources: Vec<Resource>,
    pub variables: Vec<VarDecl>,
    pub artifacts: Vec<Name>,
    pub parameters: Vec<RuntimeParam>,
    pub environments: Vec<Environment>,
    pub gates: Vec<GateDecl>,
    pub templates: Vec<Template>,
    pub stages: Vec<Stage>,
    /// `extends "…" from ALIAS { … }`: the template this pipeline extends (the
    /// first one; a second is reported by the syntax phase).
    pub extends: Option<ExternalTemplate>,
    /// `use "…"` written where a stage goes, each with the number of stages of
    /// `stages` written before it (where it sits among them).
    pub external_stages: Vec<(usize, ExternalTemplate)>,
    /// Declarations that did not parse (each reported as a syntax error).
    pub broken: Vec<Broken>,
}

/// A declaration that did not parse: what it would declare, so that its name stays
/// known and the rest of the file is checked without errors caused by its absence.
#[derive(Debug, Clone, PartialEq)]
pub struct Broken {
    /// The top-level keyword it starts with (`stage`, `template`, …).
    pub keyword: &'static str,
    pub name: Option<Name>,
    pub span: Span,
}

/// `import "…"`: the templates, gates, environments, artifacts and variables of another file.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub path: String,
    pub span: Span,
    /// The path as written, quotes included.
    pub path_span: Span,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pipeline {
    pub title: Option<String>,
    pub span: Span,
    pub trigger: Option<Trigger>,
    pub pr: Option<Trigger>,
    pub schedules: Vec<Schedule>,
    pub variables: Vec<VarDecl>,
    pub settings: Vec<Setting>,
}

/// A CI or PR trigger; `filter` is `None` for `trigger none`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub span: Span,
    pub filter: Option<Object>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub name: Name,
    pub span: Span,
    pub settings: Object,
}

/// One resource of a `resources { … }` block: `repository tools { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub kind: ResourceKind,
    /// The alias the pipeline refers to it by (`checkout tools`, `download ci.drop`).
    pub name: Name,
    pub span: Span,
    pub trigger: Option<ResourceTrigger>,
    pub settings: Vec<Setting>,
    /// `key = value` entries, which no resource takes (reported by the checker).
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    Repository,
    Pipeline,
    Container,
    Package,
    Webhook,
}

impl ResourceKind {
    /// The keyword that declares it, which is also how diagnostics name it.
    pub fn keyword(self) -> &'static str {
        match self {
            ResourceKind::Repository => "repository",
            ResourceKind::Pipeline => "pipeline",
            ResourceKind::Container => "container",
            ResourceKind::Package => "package",
            ResourceKind::Webhook => "webhook",
        }
    }
}

/// A resource's `trigger none`, `trigger true`/`false` or `trigger { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceTrigger {
    pub span: Span,
    pub kind: ResourceTriggerKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResourceTriggerKind {
    None,
    Bool(bool),
    Filter(Object),
}

/// `var`, `secret` or `group`, at any scope.
#[derive(Debug, Clone, PartialEq)]
pub enum VarDecl {
    Var {
        name: Name,
        value: Value,
    },
    Secret {
        name: Name,
    },
    /// A bare single name is the group's literal name unless it is a template parameter.
    Group {
        value: Value,
    },
}

/// `parameter NAME: TYPE [= DEFAULT] [{ settings }]`: a runtime parameter of the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeParam {
    pub name: Name,
    pub ty: Name,
    pub default: Option<Value>,
    /// `{ display "…"  values [...] }`, as written (entries and `when` are errors).
    pub body: Object,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub name: Name,
    pub span: Span,
    pub protected: bool,
    pub gates: Vec<GateExpr>,
    pub settings: Vec<Setting>,
    pub properties: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GateDecl {
    pub name: Name,
    pub span: Span,
    pub gate: GateExpr,
}

/// `a + approval { … } + when …`: every term must pass.
#[derive(Debug, Clone, PartialEq)]
pub struct GateExpr {
    pub span: Span,
    pub terms: Vec<GateTerm>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GateTerm {
    When(Expr),
    Ref(Name),
    Kind(GateKind),
}

/// `approval { … }`, `business_hours { … }` …: the kind name and its settings, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct GateKind {
    pub kind: Name,
    pub span: Span,
    pub settings: Vec<Setting>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub name: Name,
    pub span: Span,
    pub params: Vec<Param>,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Name,
    pub ty: Name,
    pub default: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    pub template: Name,
    pub span: Span,
    pub args: Vec<Value>,
}

/// A template file relc cannot see: `use "jobs/build.yml" from templates { … }`
/// or the target of `extends`. Only its reference and the shape of its
/// parameters are known.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalTemplate {
    /// The path as written, without quotes.
    pub path: String,
    pub path_span: Span,
    /// `from ALIAS`: a repository resource (or `self`); `None`: this repository.
    pub repository: Option<Name>,
    /// `{ key = value … }`: its parameters, as written.
    pub parameters: Object,
    pub span: Span,
}

/// The items of a stage, job or template body, in source order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Body {
    pub items: Vec<Item>,
    pub settings: Vec<Setting>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Job(Job),
    Use(Use),
    Gate(GateExpr),
    When(Expr),
    Var(VarDecl),
    Step(Step),
    /// `use "path" from ALIAS { … }`: a template file of another repository.
    External(ExternalTemplate),
    /// `if … { … } else …`: decided before the run.
    If(If),
}

/// `if c1 { b1 } else if c2 { b2 } else { b3 }`: the branches in order, the
/// last one without a condition when there is an `else`.
#[derive(Debug, Clone, PartialEq)]
pub struct If {
    pub span: Span,
    pub branches: Vec<(Option<Expr>, Body)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: Name,
    pub span: Span,
    pub display: Option<Value>,
    pub after: Option<After>,
    pub body: Body,
    /// `Some` for the stage the syntax phase makes of jobs or steps written at
    /// the root of a file (see [`crate::ir::RootForm`]).
    pub root: Option<RootForm>,
}

pub use crate::ir::RootForm;

/// `after X`, `after [X, Y]`, `after none`.
#[derive(Debug, Clone, PartialEq)]
pub struct After {
    pub span: Span,
    pub names: Vec<Name>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub name: Name,
    pub span: Span,
    pub display: Option<Value>,
    /// `Some` for a deployment job: the environment it deploys to.
    pub environment: Option<Path>,
    pub after: Option<After>,
    pub body: Body,
    /// `strategy …` blocks, in source order (more than one is reported by the checker).
    pub strategies: Vec<Strategy>,
}

/// `strategy rolling { max_parallel 2  pre_deploy { … }  deploy { … } }`: how a
/// deployment job rolls out. Names (of the strategy and of its hooks) are as
/// written; the checker resolves them against [`crate::schema`].
#[derive(Debug, Clone, PartialEq)]
pub struct Strategy {
    pub name: Name,
    pub span: Span,
    pub settings: Vec<Setting>,
    pub hooks: Vec<Hook>,
}

/// `deploy { pool { … }  script "…" }`: one lifecycle hook of a strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    pub name: Name,
    pub span: Span,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub span: Span,
    pub kind: StepKind,
    pub when: Vec<Expr>,
    pub settings: Vec<Setting>,
    pub inputs: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    Script { shell: Shell, text: Value },
    Task { name: String, name_span: Span },
    Publish { artifact: Path, from: Value },
    Download { artifact: Path },
    Checkout { repo: Name },
}

pub use crate::ir::Shell;

/// `keyword value`: a setting the language knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub key: Name,
    pub value: Value,
}

/// `key = value`: user data (task inputs, env vars, environment properties).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Name,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub span: Span,
    pub kind: ValueKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    Str(String),
    Number(f64),
    Bool(bool),
    Duration(String),
    List(Vec<Value>),
    Object(Object),
    Path(Path),
    /// `a + b + …`: text joined at compile time.
    Concat(Vec<Value>),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object {
    pub settings: Vec<Setting>,
    pub entries: Vec<Entry>,
    pub when: Vec<Expr>,
}

/// `a.b.c`
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub span: Span,
    pub segments: Vec<Name>,
}

impl Path {
    pub fn text(&self) -> String {
        let parts: Vec<&str> = self.segments.iter().map(|s| s.text.as_str()).collect();
        parts.join(".")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub span: Span,
    pub kind: ExprKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Str(String),
    Number(f64),
    /// A version literal, as written: `2.200.0`.
    Version(String),
    Bool(bool),
    Ident(String),
    Call {
        name: Name,
        args: Vec<Expr>,
    },
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    Field {
        base: Box<Expr>,
        name: Name,
    },
    Not(Box<Expr>),
    /// `a && b && …` or `a || b || …`, kept flat (`op` is `And` or `Or`).
    Logical {
        op: BinOp,
        operands: Vec<Expr>,
    },
    /// A comparison.
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    In {
        negated: bool,
        lhs: Box<Expr>,
        list: Vec<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinOp {
    /// The Azure function an infix operator stands for.
    pub fn function(self) -> &'static str {
        match self {
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::Eq => "eq",
            BinOp::Ne => "ne",
            BinOp::Lt => "lt",
            BinOp::Le => "le",
            BinOp::Gt => "gt",
            BinOp::Ge => "ge",
        }
    }
}

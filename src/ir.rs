//! The checked pipeline: what the backends emit and the interpreter runs.
//!
//! Invariants established by [`crate::check`]:
//! - every name is resolved: a stage's `depends_on` names stages of this
//!   pipeline, a job's names jobs of its stage, a deployment names a declared
//!   environment, a download names an artifact published by an earlier stage;
//! - dependency graphs are acyclic;
//! - every stage has an explicit `depends_on` and a `condition` that contains
//!   a status function (Azure's implicit `succeeded()` is written out);
//! - order is the source order (IndexMap), so output is deterministic;
//! - every node keeps the [`Span`] of the source that produced it.

pub mod eval;

use crate::source::Span;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Pipeline {
    pub title: Option<String>,
    pub run_name: Option<String>,
    /// Runtime parameters (Azure's root `parameters:`), in source order.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    pub trigger: Trigger,
    pub pr: Option<Trigger>,
    pub schedules: Vec<Schedule>,
    pub variables: Vec<Variable>,
    pub pool: Option<Pool>,
    pub lock_behavior: Option<LockBehavior>,
    #[serde(default)]
    pub resources: Resources,
    pub environments: IndexMap<String, Environment>,
    pub artifacts: IndexMap<String, Artifact>,
    pub stages: IndexMap<String, Stage>,
    /// How the file wrote its root: stages, or the one implicit stage's jobs, or
    /// the one implicit job's steps (Azure's root `jobs:` / `steps:`).
    #[serde(default)]
    pub root: RootForm,
    /// `extends:`: the template this pipeline extends, if any (see [`Extends`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<Box<Extends>>,
    /// Stage templates of other files (`- template:` among `stages:`), each
    /// placed after that many of `stages` (a template relc cannot see has no
    /// stage names: nothing depends on it, and it depends on what Azure gives it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stage_templates: Vec<Placed>,
}

/// A template file relc cannot see, by reference: `path@repository` and its
/// parameters. Invariants (checked): `path` ends in `.yml`/`.yaml` and has no
/// `@`; `repository` is `self` or a declared repository alias as declared
/// (`None`: the pipeline's own repository, written without `@`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TemplateRef {
    pub path: String,
    pub repository: Option<String>,
    pub parameters: IndexMap<String, Data>,
    pub span: Span,
}

impl TemplateRef {
    /// What YAML's `template:` says: `path@alias`, or the path alone.
    pub fn reference(&self) -> String {
        match &self.repository {
            Some(r) => format!("{}@{r}", self.path),
            None => self.path.clone(),
        }
    }
}

/// A template placed among nodes that have names: after `at` of them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Placed {
    pub at: usize,
    pub template: TemplateRef,
}

/// `extends: { template, parameters }`. When `slot` is set, the pipeline's own
/// stages (or root jobs or steps, as [`Pipeline::root`] says) are the value of
/// the parameter at that key path, where `template.parameters` holds an empty
/// list; the YAML then has no root `stages:`/`jobs:`/`steps:`. Invariant: a
/// pipeline with stages has a slot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Extends {
    pub template: TemplateRef,
    #[serde(default)]
    pub slot: Option<Vec<String>>,
}

/// The shape of a pipeline's root. For `Jobs` and `Steps`, `stages` holds one
/// stage named [`IMPLICIT_STAGE`] (and for `Steps` one job named [`IMPLICIT_JOB`]),
/// as Azure names them.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RootForm {
    #[default]
    Stages,
    Jobs,
    Steps,
}

/// Azure's name of the stage of a pipeline written without stages.
pub const IMPLICIT_STAGE: &str = "__default";
/// Azure's name of the job of a pipeline written as steps alone.
pub const IMPLICIT_JOB: &str = "Job";

/// A runtime parameter: its value is chosen when a run is queued, and Azure
/// substitutes it wherever the pipeline reads `${{ parameters.NAME }}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    pub display: Option<String>,
    pub ty: ParamType,
    /// Of type `ty` (checked); `None`: the first of `values`, or given at queue time.
    pub default: Option<Data>,
    /// The values it may take; empty when any value of its type is allowed.
    pub values: Vec<Scalar>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    String,
    Number,
    Boolean,
    Object,
}

impl ParamType {
    /// Azure's name of the type (`type:` in YAML).
    pub fn key(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Number => "number",
            ParamType::Boolean => "boolean",
            ParamType::Object => "object",
        }
    }
}

/// Structured data: an object parameter's value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Data {
    Scalar(Scalar),
    List(Vec<Data>),
    Map(IndexMap<String, Data>),
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Trigger {
    /// Azure's default when no trigger is written: CI on every branch.
    #[default]
    Default,
    None,
    Filter(TriggerFilter),
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct TriggerFilter {
    pub branches: Filter,
    pub paths: Option<Filter>,
    pub tags: Option<Filter>,
    pub batch: Option<bool>,
    pub auto_cancel: Option<bool>,
    pub drafts: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Filter {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schedule {
    pub name: String,
    pub cron: crate::cron::CronExpr,
    pub display: Option<String>,
    pub branches: Filter,
    pub always: bool,
    pub batch: Option<bool>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Variable {
    Value {
        name: String,
        value: String,
        span: Span,
    },
    /// Set in Azure (pipeline settings or a secure store); never written to YAML.
    Secret {
        name: String,
        span: Span,
    },
    Group {
        name: String,
        span: Span,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Pool {
    VmImage {
        image: String,
        demands: Vec<String>,
    },
    Named {
        name: String,
        demands: Vec<String>,
    },
    /// Agentless: `pool: server`.
    Server,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LockBehavior {
    Sequential,
    RunLatest,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Environment {
    pub name: String,
    pub description: Option<String>,
    pub resource_name: Option<String>,
    pub resource_type: Option<String>,
    pub protected: bool,
    pub properties: IndexMap<String, String>,
    /// Checks Azure keeps on the environment, outside YAML.
    pub checks: Vec<Check>,
    /// What `relc run` does to deploy here on this machine (a bash command run
    /// after each deployment job's steps); never emitted to Azure.
    #[serde(default)]
    pub local_deploy: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Artifact {
    pub name: String,
    /// `(stage, job)` that publishes it.
    pub published_by: Option<(String, String)>,
    pub span: Span,
}

/// A check on an environment, emitted into the checks manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    /// The declared gate it came from, if it was named.
    pub gate: Option<String>,
    pub kind: CheckKind,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CheckKind {
    Approval(Approval),
    BranchControl {
        allowed: Vec<String>,
        require_protection: bool,
        allow_unknown: bool,
        timeout_minutes: u64,
    },
    BusinessHours {
        days: Vec<String>,
        start: String,
        end: String,
        time_zone: String,
        timeout_minutes: u64,
    },
    ExclusiveLock {
        timeout_minutes: u64,
    },
    Http(Http),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Approval {
    pub approvers: Vec<String>,
    /// 0 means every approver must approve (Azure's convention).
    pub min_approvers: u64,
    pub instructions: Option<String>,
    pub timeout_minutes: u64,
    pub requester_can_approve: bool,
    pub in_sequence: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Http {
    pub connection: String,
    pub method: String,
    pub url_suffix: Option<String>,
    pub body: Option<String>,
    pub headers: IndexMap<String, String>,
    pub success: Option<String>,
    pub callback: bool,
    pub timeout_minutes: u64,
    pub retry_interval_minutes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stage {
    pub name: String,
    pub display: Option<String>,
    pub depends_on: Vec<String>,
    /// The full condition, implicit `succeeded()` included.
    pub condition: Expr,
    pub variables: Vec<Variable>,
    pub pool: Option<Pool>,
    pub lock_behavior: Option<LockBehavior>,
    pub manual: bool,
    pub skippable: Option<bool>,
    pub jobs: IndexMap<String, Job>,
    /// Job templates of other files, each placed after that many of `jobs`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub job_templates: Vec<Placed>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub name: String,
    pub display: Option<String>,
    pub kind: JobKind,
    pub depends_on: Vec<String>,
    /// `None`: Azure's default, `succeeded()` of the job's dependencies.
    pub condition: Option<Expr>,
    pub pool: Option<Pool>,
    pub timeout_minutes: Option<u64>,
    pub cancel_timeout_minutes: Option<u64>,
    pub continue_on_error: bool,
    pub variables: Vec<Variable>,
    /// Its container, service containers and workspace cleaning; `None` when
    /// it has none of them (most jobs).
    #[serde(default)]
    pub resources: Option<Box<JobResources>>,
    /// Kept only when this compile-time condition holds (Azure's `${{ if }}`),
    /// which reads runtime parameters; `None` for a job always kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<Box<Expr>>,
    /// An agent job's steps; a deployment job's `deploy` hook.
    pub steps: Vec<Step>,
    /// `strategy:`: how Azure multiplies an agent job or rolls out a deployment.
    /// `None` for an agent job without one and for a deployment whose only hook
    /// is `deploy` (emitted as `runOnce`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Box<Strategy>>,
    /// How `relc run` runs this job on this machine: set only by
    /// [`crate::interp::strategy::localize`], never by the checker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<Box<Local>>,
    pub span: Span,
}

/// A job's `strategy`. Invariants (checked): matrix and parallel only on agent
/// jobs, the others only on deployment jobs; a matrix has at least one leg,
/// with valid and unique (ignoring case) names; counts are at least 1;
/// increments are strictly increasing, each in 1–99; rolling and canary have
/// deploy steps (the job's `steps`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Strategy {
    Matrix {
        legs: Vec<Leg>,
        max_parallel: Option<u64>,
    },
    Parallel {
        count: u64,
    },
    RunOnce {
        hooks: Hooks,
    },
    Rolling {
        max_parallel: Option<MaxParallel>,
        hooks: Hooks,
    },
    Canary {
        increments: Vec<u64>,
        hooks: Hooks,
    },
}

impl Strategy {
    /// The deployment strategy's hooks (none for matrix and parallel).
    pub fn hooks(&self) -> Option<&Hooks> {
        match self {
            Strategy::RunOnce { hooks }
            | Strategy::Rolling { hooks, .. }
            | Strategy::Canary { hooks, .. } => Some(hooks),
            _ => None,
        }
    }

    /// Azure's key for a deployment strategy (`runOnce`, …).
    pub fn key(&self) -> &'static str {
        match self {
            Strategy::Matrix { .. } => "matrix",
            Strategy::Parallel { .. } => "parallel",
            Strategy::RunOnce { .. } => "runOnce",
            Strategy::Rolling { .. } => "rolling",
            Strategy::Canary { .. } => "canary",
        }
    }
}

/// One copy of a matrix job: its name and its variables, in source order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Leg {
    pub name: String,
    pub variables: Vec<(String, String)>,
}

/// A rolling deployment's batch size.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MaxParallel {
    Count(u64),
    Percent(u64),
}

impl MaxParallel {
    pub fn text(self) -> String {
        match self {
            MaxParallel::Count(n) => n.to_string(),
            MaxParallel::Percent(p) => format!("{p}%"),
        }
    }
}

/// The hooks of a deployment strategy other than `deploy`, whose steps are the
/// job's own; `deploy_pool` is the deploy hook's pool.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Hooks {
    pub pre_deploy: Option<Hook>,
    pub deploy_pool: Option<Pool>,
    pub route_traffic: Option<Hook>,
    pub post_route_traffic: Option<Hook>,
    pub on_failure: Option<Hook>,
    pub on_success: Option<Hook>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Hook {
    pub pool: Option<Pool>,
    pub steps: Vec<Step>,
}

/// How `relc run` runs a job whose strategy multiplies or stages it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Local {
    /// A matrix or parallel job: it runs no steps of its own; it finishes when
    /// its legs (jobs of the same stage, listed here, which it depends on)
    /// have, with the worst of their results, and lets `max_parallel` of them
    /// run at once.
    Legs {
        legs: Vec<String>,
        max_parallel: Option<u64>,
        /// `matrix` or `parallel`.
        strategy: String,
    },
    /// One copy of a matrix or parallel job.
    Leg { of: String },
    /// A deployment's hooks flattened into its `steps`, in the order they run.
    Hooks {
        strategy: String,
        phases: Vec<Phase>,
    },
}

/// A run of consecutive steps of a flattened deployment: one hook, in one cycle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Phase {
    /// Azure's key of the hook (`preDeploy`, `deploy`, …, `on.failure`).
    pub hook: String,
    /// The canary increment it runs for (`10`, …, `100`), if any.
    pub increment: Option<u64>,
    /// How many steps of the job's `steps` it holds, from the end of the previous phase.
    pub steps: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum JobKind {
    Agent,
    /// A deployment job with the `runOnce` strategy; `steps` are its deploy hook.
    Deployment {
        environment: String,
    },
    /// A job relc adds for a gate that runs in the pipeline; it has no steps.
    Gate {
        /// The declared gate it came from (empty when inline).
        gate: String,
        wait: GateWait,
    },
}

/// What a gate job waits for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum GateWait {
    /// A person validates (Azure's ManualValidation task): an approval inside the run.
    Validation {
        notify: Vec<String>,
        approvers: Vec<String>,
        instructions: Option<String>,
        /// Written only for `approval { yaml true }`.
        requester_can_approve: Option<bool>,
        /// What a timeout means: `reject` fails the job, `resume` lets it succeed.
        on_timeout: OnTimeout,
        timeout_minutes: u64,
    },
    Delay {
        minutes: u64,
    },
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OnTimeout {
    Reject,
    Resume,
}

impl OnTimeout {
    pub fn key(self) -> &'static str {
        match self {
            OnTimeout::Reject => "reject",
            OnTimeout::Resume => "resume",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub kind: StepKind,
    pub display: Option<String>,
    /// Settings most steps leave at their defaults; `None` when all are.
    /// (A pipeline has many steps: keeping them small keeps the IR small.)
    pub options: Option<Box<StepOptions>>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct StepOptions {
    pub name: Option<String>,
    pub condition: Option<Expr>,
    pub working_directory: Option<String>,
    pub env: IndexMap<String, String>,
    pub continue_on_error: bool,
    pub timeout_minutes: Option<u64>,
    pub retries: Option<u64>,
    pub enabled: Option<bool>,
    /// A script step fails when it writes to stderr (`failOnStderr`).
    #[serde(default)]
    pub fail_on_stderr: bool,
    /// Kept only when this compile-time condition holds (see [`Job::guard`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<Expr>,
}

impl Step {
    /// The step's settings, defaults included.
    pub fn options(&self) -> &StepOptions {
        static DEFAULT: std::sync::OnceLock<StepOptions> = std::sync::OnceLock::new();
        self.options
            .as_deref()
            .unwrap_or_else(|| DEFAULT.get_or_init(StepOptions::default))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum StepKind {
    Script {
        shell: Shell,
        text: String,
    },
    Task {
        task: String,
        inputs: IndexMap<String, Scalar>,
    },
    Publish {
        artifact: String,
        path: String,
    },
    Download {
        artifact: String,
        patterns: Option<String>,
    },
    /// `download none`: no artifact is downloaded, not even the implicit ones
    /// of a deployment job.
    NoDownload,
    Checkout {
        repository: String,
        options: IndexMap<String, Scalar>,
    },
    /// `download ci.drop`: an artifact of a pipeline resource (`None`: all of them).
    DownloadPipeline {
        pipeline: String,
        artifact: Option<String>,
        patterns: Option<String>,
    },
    /// A step template of another file, whose steps relc cannot see.
    Template(Box<TemplateRef>),
}

/// The program that runs a script step; its YAML key is its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shell {
    /// `script`: bash on Linux and macOS, cmd on Windows.
    Script,
    Bash,
    Pwsh,
    /// Windows PowerShell.
    #[serde(rename = "powershell")]
    PowerShell,
}

impl Shell {
    pub fn key(self) -> &'static str {
        match self {
            Shell::Script => "script",
            Shell::Bash => "bash",
            Shell::Pwsh => "pwsh",
            Shell::PowerShell => "powershell",
        }
    }
}

/// A function's canonical name (`succeeded`, `startsWith`, …).
pub type FunctionName = &'static str;

/// A function's canonical name, read back from a run record.
fn function_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let name = String::deserialize(d)?;
    crate::check::functions::lookup(&name)
        .map(|f| f.name)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown function `{name}`")))
}

/// A scalar passed through to Azure as written (task inputs are strings on the wire,
/// but `verbose: false` reads better than `verbose: 'false'`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Scalar {
    Str(String),
    Bool(bool),
    Int(i64),
    Float(f64),
}

/// A typed condition expression, in Azure's function form.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum ExprKind {
    Str(String),
    Number(f64),
    /// A version literal, as written: `2.200.0`.
    Version(String),
    Bool(bool),
    /// `variables['Name']`
    Variable(String),
    /// A context root other than variables: `dependencies`, `stageDependencies`, `pipeline`.
    Context(String),
    /// A runtime parameter (`NAME`, or `NAME.field` of an object parameter), which
    /// Azure substitutes before the condition is evaluated.
    Parameter(String),
    Property(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    /// A function, by its canonical Azure name (`succeeded`, `startsWith`, …).
    Call(
        #[serde(deserialize_with = "function_name")] FunctionName,
        Vec<Expr>,
    ),
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    Bool,
    String,
    Number,
    Version,
    /// `Build.Reason`: a string from a known set.
    Reason,
    /// A job or stage result / `Agent.JobStatus`: a string from a known set.
    Result,
    Object,
    Any,
}

impl Expr {
    pub fn call(name: &'static str, args: Vec<Expr>, span: Span) -> Expr {
        Expr {
            kind: ExprKind::Call(name, args),
            ty: Type::Bool,
            span,
        }
    }

    /// Whether the expression mentions a status function (then Azure's default
    /// `succeeded()` is not added).
    pub fn has_status_function(&self) -> bool {
        match &self.kind {
            ExprKind::Call(name, args) => {
                crate::check::functions::is_status(name)
                    || args.iter().any(Expr::has_status_function)
            }
            ExprKind::Property(b, _) => b.has_status_function(),
            ExprKind::Index(b, i) => b.has_status_function() || i.has_status_function(),
            _ => false,
        }
    }
}

/// What the pipeline uses from outside itself (`resources:`). Invariant: every
/// alias is unique within its kind (case-insensitively) and every reference to
/// one (a checkout, a download, a job's container or service) names a declared one.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Resources {
    pub repositories: IndexMap<String, Repository>,
    pub pipelines: IndexMap<String, PipelineResource>,
    pub containers: IndexMap<String, Container>,
    pub packages: IndexMap<String, Package>,
    pub webhooks: IndexMap<String, Webhook>,
}

impl Resources {
    pub fn is_empty(&self) -> bool {
        self.repositories.is_empty()
            && self.pipelines.is_empty()
            && self.containers.is_empty()
            && self.packages.is_empty()
            && self.webhooks.is_empty()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Repository {
    pub alias: String,
    /// `git`, `github`, `githubenterprise` or `bitbucket`.
    pub kind: String,
    pub name: String,
    pub git_ref: Option<String>,
    pub endpoint: Option<String>,
    /// `None`: Azure's default (no trigger on a repository resource).
    pub trigger: Option<Trigger>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PipelineResource {
    pub alias: String,
    pub source: String,
    pub project: Option<String>,
    pub version: Option<String>,
    pub branch: Option<String>,
    pub tags: Vec<String>,
    pub trigger: Option<ResourceTrigger>,
    pub span: Span,
}

/// The trigger of a pipeline or package resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ResourceTrigger {
    None,
    /// `trigger: true`: every completion (every branch, every version).
    All,
    Filter {
        enabled: Option<bool>,
        branches: Option<Filter>,
        stages: Vec<String>,
        tags: Vec<String>,
    },
}

/// A container image and how to run it: a container resource, or a job's
/// inline `container: { image: … }`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Container {
    pub image: String,
    pub endpoint: Option<String>,
    pub env: IndexMap<String, String>,
    pub ports: Vec<String>,
    pub volumes: Vec<String>,
    pub options: Option<String>,
    pub map_docker_socket: Option<bool>,
    /// `work`, `externals`, `tools`, `tasks` → mounted read-only or not.
    pub mount_read_only: IndexMap<String, bool>,
    /// Resources only: use a locally tagged image, never pulled.
    pub local_image: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Package {
    pub alias: String,
    pub kind: String,
    pub connection: String,
    pub name: String,
    pub version: Option<String>,
    pub tag: Option<String>,
    /// `Some(true)`: `trigger: true`; `Some(false)`: `trigger: none`.
    pub trigger: Option<bool>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Webhook {
    pub alias: String,
    pub connection: String,
    pub kind: Option<String>,
    /// `(path, value)` pairs that the payload must match.
    pub filters: Vec<(String, String)>,
    pub span: Span,
}

/// A job's `container`, `services` and `workspace`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct JobResources {
    pub container: Option<ContainerRef>,
    /// Service name → its container, in source order.
    pub services: IndexMap<String, ContainerRef>,
    pub workspace_clean: Option<WorkspaceClean>,
}

/// Where a job's container or a service comes from. Invariant: an `Image`
/// never has the spelling of a declared container alias (Azure would read it
/// as the alias), so the YAML string form is unambiguous.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum ContainerRef {
    /// A declared container resource, by alias.
    Resource(String),
    /// An image, e.g. `ubuntu:22.04`.
    Image(String),
    /// A container written in the job (`container { image "…" options "…" }`).
    Inline(Box<Container>),
}

/// `workspace: { clean: … }`: what the agent deletes before the job.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WorkspaceClean {
    Outputs,
    Resources,
    All,
}

impl WorkspaceClean {
    pub const WORDS: &'static [&'static str] = &["outputs", "resources", "all"];

    pub fn key(self) -> &'static str {
        match self {
            WorkspaceClean::Outputs => "outputs",
            WorkspaceClean::Resources => "resources",
            WorkspaceClean::All => "all",
        }
    }
}

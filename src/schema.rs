//! The settings each kind of block accepts: their names, what each means in one
//! line, and the shape of its value.
//!
//! This is the one table of settings. The checker reads from it which settings a
//! block allows (an unknown one is E003 with a did-you-mean among these names, in
//! this order), and the language server completes from it. What a value means is
//! still the checker's: the shape here says only how a value is written.
//!
//! Invariant: the names of a block are in the order the checker has always listed
//! them in its "accepts: …" help, which the UI tests pin down.

/// How a setting's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Text: `"…"`, a variable, a parameter, joined text.
    Text,
    /// A list of text: `["…", "…"]`.
    List,
    /// `true` or `false`.
    Bool,
    /// A duration: `30m`, `1h30m`.
    Duration,
    /// A number: `3`.
    Number,
    /// One word of a fixed set: `sequential`.
    Word(&'static [&'static str]),
    /// A list of words of a fixed set: `[Mon, Tue]`.
    Words(&'static [&'static str]),
    /// A branch or path filter: a list, or `{ include [..] exclude [..] }`.
    Filter,
    /// A pool: `"Name"`, `server`, or `{ vm_image "…" }`.
    Pool,
    /// A block of `NAME = "value"` entries.
    Entries,
    /// A job's container: `"image:tag"`, a container resource, or `{ image "…" … }`.
    Container,
    /// A block of settings of its own: `{ clean all }`.
    Settings,
    /// A matrix: legs written `name { VAR = "value" … }`.
    Legs,
    /// A count, or a percentage written as text: `2`, `"25%"`.
    CountOrPercent,
    /// A list of numbers: `[10, 20]`.
    Numbers,
}

impl Shape {
    /// The words a value of this shape is made of, when they are a fixed set.
    pub fn words(self) -> &'static [&'static str] {
        match self {
            Shape::Word(w) | Shape::Words(w) => w,
            Shape::Bool => &["true", "false"],
            _ => &[],
        }
    }
}

/// One setting: `name value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub doc: &'static str,
    pub shape: Shape,
}

/// The kinds of block that take settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    Pipeline,
    Trigger,
    Pr,
    Schedule,
    /// `branches { include [..] exclude [..] }` and the other filters.
    Filter,
    Pool,
    Environment,
    Approval,
    BranchControl,
    BusinessHours,
    Lock,
    ManualValidation,
    Delay,
    Http,
    Stage,
    /// A job or a deployment job.
    Job,
    Script,
    Task,
    Publish,
    Download,
    Checkout,
    /// A template's body, whose settings join the stage or job that uses it.
    Template,
    /// A runtime parameter: `parameter env: string = "dev" { … }`.
    Parameter,
    /// `resources { repository NAME { … } }`
    Repository,
    /// `resources { pipeline NAME { … } }`
    PipelineResource,
    /// `trigger { … }` of a pipeline resource.
    PipelineTrigger,
    /// `resources { container NAME { … } }`, and a job's `container { … }`.
    Container,
    /// `mount_read_only { … }` of a container.
    MountReadOnly,
    /// `resources { package NAME { … } }`
    Package,
    /// `resources { webhook NAME { … } }`
    Webhook,
    /// A job's `workspace { … }`.
    Workspace,
    /// `strategy run_once { … }` of a deployment job.
    RunOnce,
    /// `strategy rolling { … }`.
    Rolling,
    /// `strategy canary { … }`.
    Canary,
    /// A lifecycle hook of a deployment strategy: `deploy { … }`.
    Hook,
}

/// The kinds of repository a repository resource can be.
pub const REPOSITORY_TYPES: &[&str] = &["git", "github", "githubenterprise", "bitbucket"];
/// What `workspace { clean … }` deletes before a job.
pub const WORKSPACE_CLEAN: &[&str] = crate::ir::WorkspaceClean::WORDS;
/// The directories of the agent a container can mount read-only.
pub const READ_ONLY_MOUNTS: &[&str] = &["work", "externals", "tools", "tasks"];

/// The deployment strategies, as written after `strategy` (Azure's `runOnce`,
/// `rolling`, `canary`).
pub const STRATEGIES: &[&str] = &["run_once", "rolling", "canary"];

/// The lifecycle hooks of a deployment strategy, in the order Azure runs them
/// (Azure's `preDeploy`, `deploy`, `routeTraffic`, `postRouteTraffic`,
/// `on: failure`, `on: success`).
pub const HOOKS: &[&str] = &[
    "pre_deploy",
    "deploy",
    "route_traffic",
    "post_route_traffic",
    "on_failure",
    "on_success",
];

/// The kinds of gate written `kind { settings }`, in the order the language
/// reference lists them.
pub const GATE_KINDS: &[&str] = &[
    "approval",
    "branch_control",
    "business_hours",
    "lock",
    "manual_validation",
    "delay",
    "http",
];

/// How a lock behaves, as Azure's `lockBehavior` has it.
pub const LOCK_BEHAVIORS: &[&str] = &["sequential", "run_latest"];
/// What a manual validation does when it times out.
pub const ON_TIMEOUT: &[&str] = &["reject", "resume"];
/// The methods of an HTTP check.
pub const HTTP_METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE",
];
/// The kinds of resource an environment can hold.
pub const RESOURCE_TYPES: &[&str] = &["virtualMachine", "Kubernetes"];
/// Days of the week as business hours are usually written (any prefix of two
/// letters or more of the full name is accepted).
pub const DAYS: &[&str] = &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

const fn s(name: &'static str, shape: Shape, doc: &'static str) -> Setting {
    Setting { name, doc, shape }
}

#[rustfmt::skip]
const PIPELINE: &[Setting] = &[
    s("run_name", Shape::Text, "the run number format (`name` in YAML)"),
    s("pool", Shape::Pool, "the agents every job runs on, unless a stage or job says otherwise"),
    s("lock_behavior", Shape::Word(LOCK_BEHAVIORS), "how runs wait for an exclusive lock"),
];

#[rustfmt::skip]
const TRIGGER: &[Setting] = &[
    s("branches", Shape::Filter, "the branches whose pushes start a run"),
    s("paths", Shape::Filter, "the paths whose changes start a run"),
    s("tags", Shape::Filter, "the tags whose pushes start a run"),
    s("batch", Shape::Bool, "wait for a running build to end and batch the pushes since"),
];

#[rustfmt::skip]
const PR: &[Setting] = &[
    s("branches", Shape::Filter, "the target branches of the pull requests that start a run"),
    s("paths", Shape::Filter, "the paths whose changes start a run"),
    s("auto_cancel", Shape::Bool, "cancel a run when the pull request is updated"),
    s("drafts", Shape::Bool, "whether draft pull requests start a run"),
];

#[rustfmt::skip]
const SCHEDULE: &[Setting] = &[
    s("cron", Shape::Text, "when it runs: minute hour day month weekday, in UTC (required)"),
    s("display", Shape::Text, "the schedule's display name"),
    s("branches", Shape::Filter, "the branches it builds (required)"),
    s("always", Shape::Bool, "run even when nothing changed since the last scheduled run"),
    s("batch", Shape::Bool, "skip the run while the previous scheduled run is still going"),
];

#[rustfmt::skip]
const FILTER: &[Setting] = &[
    s("include", Shape::List, "the patterns to include"),
    s("exclude", Shape::List, "the patterns to exclude"),
];

#[rustfmt::skip]
const POOL: &[Setting] = &[
    s("vm_image", Shape::Text, "a Microsoft-hosted image, e.g. \"ubuntu-22.04\""),
    s("name", Shape::Text, "a self-hosted pool by name"),
    s("demands", Shape::List, "what the agent must have: a list, or one text"),
];

#[rustfmt::skip]
const ENVIRONMENT: &[Setting] = &[
    s("description", Shape::Text, "written to the checks manifest"),
    s("resource", Shape::Text, "the resource (VM or Kubernetes namespace) deployments target"),
    s("resource_type", Shape::Word(RESOURCE_TYPES), "the kind of that resource"),
    s("local_deploy", Shape::Text, "a bash command `relc run` deploys with on this machine (not emitted)"),
];

#[rustfmt::skip]
const APPROVAL: &[Setting] = &[
    s("approvers", Shape::List, "users or groups who approve (required)"),
    s("min", Shape::Number, "how many must approve; 0 means every approver"),
    s("instructions", Shape::Text, "shown to the approvers"),
    s("timeout", Shape::Duration, "how long to wait, 1m to 30d (default 30d)"),
    s("requester_can_approve", Shape::Bool, "whether who started the run may approve it (default true)"),
    s("in_sequence", Shape::Bool, "approvers approve in the order listed"),
    s("yaml", Shape::Bool, "run it in the pipeline as a ManualValidation job"),
];

#[rustfmt::skip]
const BRANCH_CONTROL: &[Setting] = &[
    s("allow", Shape::List, "the branches allowed, exactly or by a prefix ending in * (required)"),
    s("require_protection", Shape::Bool, "the branch must have branch protection"),
    s("allow_unknown", Shape::Bool, "pass when the branch's protection cannot be told"),
    s("timeout", Shape::Duration, "how long the check may take, 1m to 30d (default 1d)"),
];

#[rustfmt::skip]
const BUSINESS_HOURS: &[Setting] = &[
    s("days", Shape::Words(DAYS), "the days it passes on (default Monday to Friday)"),
    s("start", Shape::Text, "when the hours start, \"HH:MM\" (default \"09:00\")"),
    s("end", Shape::Text, "when the hours end, \"HH:MM\" (default \"17:00\")"),
    s("time_zone", Shape::Text, "an Azure (Windows) time-zone id (default \"UTC\")"),
    s("timeout", Shape::Duration, "how long the check may wait, 1m to 30d (default 1d)"),
];

#[rustfmt::skip]
const LOCK: &[Setting] = &[
    s("behavior", Shape::Word(LOCK_BEHAVIORS), "which runs wait for the lock (default run_latest)"),
    s("timeout", Shape::Duration, "how long a run waits for the lock, 1m to 30d (default 30d)"),
];

#[rustfmt::skip]
const MANUAL_VALIDATION: &[Setting] = &[
    s("notify", Shape::List, "who is told the run waits (required)"),
    s("approvers", Shape::List, "who may resume it (default anyone with permission)"),
    s("instructions", Shape::Text, "shown to whoever resumes it"),
    s("timeout", Shape::Duration, "how long it waits, 1m to 30d (default 1h)"),
    s("on_timeout", Shape::Word(ON_TIMEOUT), "what happens when it times out (default reject)"),
];

#[rustfmt::skip]
const DELAY: &[Setting] = &[s(
    "for",
    Shape::Duration,
    "how long to wait, 1m to 30d (required)",
)];

#[rustfmt::skip]
const HTTP: &[Setting] = &[
    s("connection", Shape::Text, "a generic service connection (required)"),
    s("method", Shape::Word(HTTP_METHODS), "the HTTP method (default POST)"),
    s("url_suffix", Shape::Text, "appended to the connection's URL"),
    s("body", Shape::Text, "the request body"),
    s("headers", Shape::Entries, "headers to send: `Name = \"value\"`"),
    s("success", Shape::Text, "Azure's success criteria on the response"),
    s("callback", Shape::Bool, "the service calls back instead of answering"),
    s("timeout", Shape::Duration, "how long the check may take, 1m to 30d (default 1h)"),
    s("retry_interval", Shape::Duration, "how long between tries (default 5m)"),
];

#[rustfmt::skip]
const STAGE: &[Setting] = &[
    s("display", Shape::Text, "the stage's display name"),
    s("pool", Shape::Pool, "the agents its jobs run on, unless a job says otherwise"),
    s("lock_behavior", Shape::Word(LOCK_BEHAVIORS), "how runs wait for an exclusive lock"),
    s("manual", Shape::Bool, "the stage waits to be started by hand"),
    s("skippable", Shape::Bool, "whether the stage may be skipped when a run is queued"),
];

#[rustfmt::skip]
const JOB: &[Setting] = &[
    s("display", Shape::Text, "the job's display name"),
    s("pool", Shape::Pool, "the agents it runs on"),
    s("timeout", Shape::Duration, "how long it may run, 1m to 35790m, or `none` (no limit)"),
    s("cancel_timeout", Shape::Duration, "how long it may take to cancel, 1m to 35790m"),
    s("continue_on_error", Shape::Bool, "a failure does not fail the run"),
    s("container", Shape::Container, "the container its steps run in: an image, a container resource, or `{ image \"…\" … }`"),
    s("services", Shape::Entries, "service containers beside it: `name = container_resource` or `name = \"image\"`"),
    s("workspace", Shape::Settings, "what the agent deletes before the job: `{ clean outputs | resources | all }`"),
    s("matrix", Shape::Legs, "copies of the job, one per leg, each with its variables (agent jobs)"),
    s("max_parallel", Shape::Number, "how many matrix legs run at once (default: no limit)"),
    s("parallel", Shape::Number, "run the job this many times, as slices (agent jobs)"),
];

#[rustfmt::skip]
const RUN_ONCE: &[Setting] = &[];

#[rustfmt::skip]
const ROLLING: &[Setting] = &[
    s("max_parallel", Shape::CountOrPercent, "how many targets are updated at once: a count or \"25%\""),
];

#[rustfmt::skip]
const CANARY: &[Setting] = &[
    s("increments", Shape::Numbers, "the percentages of targets to update before all of them, e.g. [10, 20]"),
];

#[rustfmt::skip]
const HOOK: &[Setting] = &[
    s("pool", Shape::Pool, "the agents the hook runs on (default: the deployment's)"),
];

#[rustfmt::skip]
const REPOSITORY: &[Setting] = &[
    s("type", Shape::Word(REPOSITORY_TYPES), "where the repository lives (default git: Azure Repos)"),
    s("name", Shape::Text, "the repository's name, e.g. \"contoso/tools\" or \"Project/repo\" (required)"),
    s("ref", Shape::Text, "the ref checked out, e.g. \"refs/heads/main\" (default the default branch)"),
    s("endpoint", Shape::Text, "the service connection to it (required for github, githubenterprise, bitbucket)"),
];

#[rustfmt::skip]
const PIPELINE_RESOURCE: &[Setting] = &[
    s("source", Shape::Text, "the name of the pipeline that produces the artifacts (required)"),
    s("project", Shape::Text, "the project of that pipeline (default this project)"),
    s("version", Shape::Text, "the run number to take artifacts from (default the latest successful run)"),
    s("branch", Shape::Text, "the branch to take artifacts from (default every branch)"),
    s("tags", Shape::List, "tags the run must have for its artifacts to be taken"),
];

#[rustfmt::skip]
const PIPELINE_TRIGGER: &[Setting] = &[
    s("enabled", Shape::Bool, "whether the trigger is on (default true)"),
    s("branches", Shape::Filter, "the branches whose completed runs start this pipeline"),
    s("stages", Shape::List, "the stages that must have completed"),
    s("tags", Shape::List, "the tags the completed run must have"),
];

#[rustfmt::skip]
const CONTAINER: &[Setting] = &[
    s("image", Shape::Text, "the image, e.g. \"mysql:8.0\" (required)"),
    s("endpoint", Shape::Text, "the service connection to a private registry"),
    s("env", Shape::Entries, "environment variables of the container: `NAME = \"value\"`"),
    s("ports", Shape::List, "ports to expose, e.g. [\"3306:3306\"]"),
    s("volumes", Shape::List, "volumes to mount, e.g. [\"/src:/dst\"]"),
    s("options", Shape::Text, "options passed to `docker create`, e.g. \"--cpus 2\""),
    s("map_docker_socket", Shape::Bool, "whether the agent mounts /var/run/docker.sock (default true)"),
    s("mount_read_only", Shape::Settings, "agent directories mounted read-only: `{ work true  tasks true }`"),
    s("local_image", Shape::Bool, "a container resource only: use a locally tagged image, never pulled"),
];

#[rustfmt::skip]
const MOUNT_READ_ONLY: &[Setting] = &[
    s("work", Shape::Bool, "the work directory"),
    s("externals", Shape::Bool, "the agent's externals directory"),
    s("tools", Shape::Bool, "the tools directory"),
    s("tasks", Shape::Bool, "the tasks directory"),
];

#[rustfmt::skip]
const PACKAGE: &[Setting] = &[
    s("type", Shape::Text, "the kind of package, e.g. npm or NuGet (required)"),
    s("connection", Shape::Text, "the service connection to its feed (required)"),
    s("name", Shape::Text, "the package's name, e.g. \"contoso/tool\" (required)"),
    s("version", Shape::Text, "the version to use, e.g. \"1.x\""),
    s("tag", Shape::Text, "the tag to use"),
];

#[rustfmt::skip]
const WEBHOOK: &[Setting] = &[
    s("connection", Shape::Text, "the incoming-webhook service connection (required)"),
    s("type", Shape::Text, "the webhook extension; leave it out for an offline webhook"),
    s("filters", Shape::Entries, "JSON paths of the payload and the values they must have: `path = \"value\"`"),
];

#[rustfmt::skip]
const WORKSPACE: &[Setting] = &[s(
    "clean",
    Shape::Word(WORKSPACE_CLEAN),
    "outputs (Build.BinariesDirectory), resources (the sources) or all (the whole workspace)",
)];

/// Settings every step accepts.
#[rustfmt::skip]
const STEP: &[Setting] = &[
    s("display", Shape::Text, "the step's display name"),
    s("name", Shape::Text, "the step's name, for its output variables"),
    s("workdir", Shape::Text, "the directory it runs in"),
    s("env", Shape::Entries, "environment variables: `NAME = \"value\"`"),
    s("continue_on_error", Shape::Bool, "a failure does not fail the job"),
    s("timeout", Shape::Duration, "how long it may run, 1m to 35790m"),
    s("retries", Shape::Number, "how many times to retry it when it fails, at most 10"),
    s("enabled", Shape::Bool, "whether it runs at all"),
];

#[rustfmt::skip]
const SCRIPT: &[Setting] = &[
    s("fail_on_stderr", Shape::Bool, "fail the step when it writes to stderr"),
];

#[rustfmt::skip]
const DOWNLOAD: &[Setting] = &[s(
    "patterns",
    Shape::Text,
    "which files of the artifact to download",
)];

#[rustfmt::skip]
const PARAMETER: &[Setting] = &[
    s("display", Shape::Text, "what the form for queuing a run calls it (`displayName`)"),
    s("values", Shape::List, "the values it may take; the form offers them as a choice"),
];

impl Block {
    /// The block a keyword opens with `{` (`job Build {`, `pool {`, `approval {`).
    pub fn opened_by(keyword: &str) -> Option<Block> {
        Some(match keyword {
            "pipeline" => Block::Pipeline,
            "trigger" => Block::Trigger,
            "pr" => Block::Pr,
            "schedule" => Block::Schedule,
            "branches" | "paths" | "tags" => Block::Filter,
            "pool" => Block::Pool,
            "environment" => Block::Environment,
            "approval" => Block::Approval,
            "branch_control" => Block::BranchControl,
            "business_hours" => Block::BusinessHours,
            "lock" => Block::Lock,
            "manual_validation" => Block::ManualValidation,
            "delay" => Block::Delay,
            "http" => Block::Http,
            "stage" => Block::Stage,
            "job" | "deployment" => Block::Job,
            "script" | "bash" | "pwsh" | "powershell" => Block::Script,
            "task" => Block::Task,
            "publish" => Block::Publish,
            "download" => Block::Download,
            "checkout" => Block::Checkout,
            "template" => Block::Template,
            "parameter" => Block::Parameter,
            "repository" => Block::Repository,
            "container" => Block::Container,
            "mount_read_only" => Block::MountReadOnly,
            "package" => Block::Package,
            "webhook" => Block::Webhook,
            "workspace" => Block::Workspace,
            // `strategy rolling {`: the word before the brace names the block.
            "run_once" => Block::RunOnce,
            "rolling" => Block::Rolling,
            "canary" => Block::Canary,
            h if HOOKS.contains(&h) => Block::Hook,
            _ => return None,
        })
    }

    /// The block in words, as diagnostics name it ("a stage", "an approval").
    pub fn what(self) -> &'static str {
        match self {
            Block::Pipeline => "a pipeline",
            Block::Trigger => "a trigger",
            Block::Pr => "a pr trigger",
            Block::Schedule => "a schedule",
            Block::Filter => "a filter",
            Block::Pool => "a pool",
            Block::Environment => "an environment",
            Block::Approval => "an approval",
            Block::BranchControl => "a branch control",
            Block::BusinessHours => "business hours",
            Block::Lock => "a lock",
            Block::ManualValidation => "a manual validation",
            Block::Delay => "a delay",
            Block::Http => "an HTTP check",
            Block::Stage => "a stage",
            Block::Job => "a job",
            Block::Script => "a script step",
            Block::Task => "a task step",
            Block::Publish => "a publish step",
            Block::Download => "a download step",
            Block::Checkout => "a checkout step",
            Block::Template => "a template",
            Block::Parameter => "a parameter",
            Block::Repository => "a repository resource",
            Block::PipelineResource => "a pipeline resource",
            Block::PipelineTrigger => "a pipeline resource's trigger",
            Block::Container => "a container",
            Block::MountReadOnly => "mount_read_only",
            Block::Package => "a package resource",
            Block::Webhook => "a webhook resource",
            Block::Workspace => "a workspace",
            Block::RunOnce => "a run_once strategy",
            Block::Rolling => "a rolling strategy",
            Block::Canary => "a canary strategy",
            Block::Hook => "a hook",
        }
    }

    /// The settings the block accepts, in order. A template's are those of the
    /// stage or the job that uses it: both, the stage's first, each name once.
    pub fn settings(self) -> impl Iterator<Item = &'static Setting> + Clone {
        let (first, then): (&'static [Setting], &'static [Setting]) = match self {
            Block::Pipeline => (PIPELINE, &[]),
            Block::Trigger => (TRIGGER, &[]),
            Block::Pr => (PR, &[]),
            Block::Schedule => (SCHEDULE, &[]),
            Block::Filter => (FILTER, &[]),
            Block::Pool => (POOL, &[]),
            Block::Environment => (ENVIRONMENT, &[]),
            Block::Approval => (APPROVAL, &[]),
            Block::BranchControl => (BRANCH_CONTROL, &[]),
            Block::BusinessHours => (BUSINESS_HOURS, &[]),
            Block::Lock => (LOCK, &[]),
            Block::ManualValidation => (MANUAL_VALIDATION, &[]),
            Block::Delay => (DELAY, &[]),
            Block::Http => (HTTP, &[]),
            Block::Stage => (STAGE, &[]),
            Block::Job => (JOB, &[]),
            Block::Script => (STEP, SCRIPT),
            Block::Task | Block::Publish | Block::Checkout => (STEP, &[]),
            Block::Download => (STEP, DOWNLOAD),
            Block::Template => (STAGE, JOB),
            Block::Parameter => (PARAMETER, &[]),
            Block::Repository => (REPOSITORY, &[]),
            Block::PipelineResource => (PIPELINE_RESOURCE, &[]),
            Block::PipelineTrigger => (PIPELINE_TRIGGER, &[]),
            Block::Container => (CONTAINER, &[]),
            Block::MountReadOnly => (MOUNT_READ_ONLY, &[]),
            Block::Package => (PACKAGE, &[]),
            Block::Webhook => (WEBHOOK, &[]),
            Block::Workspace => (WORKSPACE, &[]),
            Block::RunOnce => (RUN_ONCE, &[]),
            Block::Rolling => (ROLLING, &[]),
            Block::Canary => (CANARY, &[]),
            Block::Hook => (HOOK, &[]),
        };
        first.iter().chain(
            then.iter()
                .filter(move |t| !first.iter().any(|f| f.name == t.name)),
        )
    }

    /// The names of the settings the block accepts, in order.
    pub fn names(self) -> impl Iterator<Item = &'static str> + Clone {
        self.settings().map(|s| s.name)
    }

    /// The setting of this block named `name`.
    pub fn setting(self, name: &str) -> Option<&'static Setting> {
        self.settings().find(|s| s.name == name)
    }

    /// The keywords that begin what else the block holds (declarations, steps,
    /// `when`), as the grammar's items of that block have them, less those the
    /// checker rejects there (a step directly in a stage, a gate in a job).
    pub fn keywords(self) -> &'static [&'static str] {
        // Steps and `use` first: they are what a hook holds.
        const STEPS_AND_MORE: &[&str] = &[
            "script",
            "bash",
            "pwsh",
            "powershell",
            "task",
            "publish",
            "download",
            "checkout",
            "use",
            "if",
            "when",
            "var",
            "secret",
            "group",
            "strategy",
        ];
        match self {
            Block::Pipeline => &["trigger", "pr", "schedule", "var", "secret", "group"],
            Block::Environment => &["gate"],
            Block::Stage => &[
                "job",
                "deployment",
                "use",
                "if",
                "gate",
                "when",
                "var",
                "secret",
                "group",
            ],
            Block::Job => STEPS_AND_MORE,
            // Hooks parse as any name (so a misspelt one gets a did-you-mean):
            // they are keywords of the block without being the grammar's.
            Block::RunOnce | Block::Rolling | Block::Canary => HOOKS,
            Block::Hook => &STEPS_AND_MORE[..9],
            Block::Template => &[
                "job",
                "deployment",
                "script",
                "bash",
                "pwsh",
                "powershell",
                "task",
                "publish",
                "download",
                "checkout",
                "use",
                "if",
                "gate",
                "when",
                "var",
                "secret",
                "group",
            ],
            Block::Script | Block::Task | Block::Publish | Block::Download | Block::Checkout => {
                &["when"]
            }
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[Block] = &[
        Block::Pipeline,
        Block::Trigger,
        Block::Pr,
        Block::Schedule,
        Block::Filter,
        Block::Pool,
        Block::Environment,
        Block::Approval,
        Block::BranchControl,
        Block::BusinessHours,
        Block::Lock,
        Block::ManualValidation,
        Block::Delay,
        Block::Http,
        Block::Stage,
        Block::Job,
        Block::Script,
        Block::Task,
        Block::Publish,
        Block::Download,
        Block::Checkout,
        Block::Template,
        Block::Parameter,
        Block::Repository,
        Block::PipelineResource,
        Block::PipelineTrigger,
        Block::Container,
        Block::MountReadOnly,
        Block::Package,
        Block::Webhook,
        Block::Workspace,
        Block::RunOnce,
        Block::Rolling,
        Block::Canary,
        Block::Hook,
    ];

    #[test]
    fn every_setting_is_documented_in_the_language_reference_once_per_block() {
        let doc = include_str!("../docs/language.md");
        for &b in ALL {
            let names: Vec<&str> = b.names().collect();
            for (i, n) in names.iter().enumerate() {
                assert!(doc.contains(&format!("`{n}")), "{n} of {b:?}");
                assert!(!names[..i].contains(n), "{n} twice in {b:?}");
            }
            assert!(!b.settings().any(|s| s.doc.is_empty()), "{b:?}");
        }
    }

    #[test]
    fn every_gate_kind_and_block_keyword_opens_its_block() {
        for k in GATE_KINDS {
            assert!(Block::opened_by(k).is_some(), "{k}");
        }
        // Every block is opened by some keyword.
        let keywords = [
            "pipeline",
            "trigger",
            "pr",
            "schedule",
            "branches",
            "pool",
            "environment",
            "approval",
            "branch_control",
            "business_hours",
            "lock",
            "manual_validation",
            "delay",
            "http",
            "stage",
            "job",
            "script",
            "task",
            "publish",
            "download",
            "checkout",
            "template",
            "parameter",
            "repository",
            "container",
            "mount_read_only",
            "package",
            "webhook",
            "workspace",
            "run_once",
            "rolling",
            "canary",
            "deploy",
        ];
        for &b in ALL {
            // Opened by a keyword that another block shares: `pipeline NAME {`
            // in `resources`, a pipeline resource's `trigger {`.
            if matches!(b, Block::PipelineResource | Block::PipelineTrigger) {
                continue;
            }
            assert!(
                keywords.iter().any(|k| Block::opened_by(k) == Some(b)),
                "{b:?}"
            );
        }
        let grammar = include_str!("../grammar/release.pest");
        for &b in ALL {
            if matches!(b, Block::RunOnce | Block::Rolling | Block::Canary) {
                // Hooks: names in the grammar, the schema's HOOKS.
                assert_eq!(b.keywords(), HOOKS);
                continue;
            }
            for k in b.keywords() {
                assert!(
                    grammar.contains(&format!("\"{k}\"")),
                    "{k} of {b:?} is no keyword"
                );
            }
        }
    }

    #[test]
    fn a_template_takes_the_stage_settings_then_the_jobs_each_once() {
        let names: Vec<&str> = Block::Template.names().collect();
        assert_eq!(
            names,
            [
                "display",
                "pool",
                "lock_behavior",
                "manual",
                "skippable",
                "timeout",
                "cancel_timeout",
                "continue_on_error",
                "container",
                "services",
                "workspace",
                "matrix",
                "max_parallel",
                "parallel"
            ]
        );
    }
}

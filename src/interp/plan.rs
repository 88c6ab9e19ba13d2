//! `relc plan`: what a simulated trigger would do, executing nothing.
//!
//! Stages are decided in dependency order with the same condition scope the
//! runner uses ([`super::context::Scope`]); a stage that would run is assumed
//! to succeed, one that waits on a gate is assumed to pass it (and says so),
//! so the plan shows the path a release takes when nothing fails.

use super::context::{Finished, Scope, Vars};
use super::gates::{self, StageCheck};
use super::outcome::Outcome;
use super::trigger::Start;
use crate::check::cron::DateTime;
use crate::ir::eval;
use crate::ir::{self, CheckKind, GateWait, JobKind, StepKind};
use indexmap::IndexMap;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Run,
    Skip,
    Wait,
    Fail,
}

#[derive(Debug, Serialize)]
pub struct Plan {
    pub pipeline: Option<String>,
    pub trigger: String,
    /// Whether the simulated event starts a run at all.
    pub starts: bool,
    /// Why it does not, when it does not.
    pub reason: Option<String>,
    pub variables: IndexMap<String, String>,
    /// The declared resources, one line each (`container mysql: mysql:8.0`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Templates of other files at the pipeline's level (`extends`, stage
    /// templates), one "not run locally" line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<String>,
    pub stages: Vec<StagePlan>,
}

#[derive(Debug, Serialize)]
pub struct StagePlan {
    pub name: String,
    pub display: Option<String>,
    pub after: Vec<String>,
    pub decision: Decision,
    pub reason: String,
    pub gates: Vec<GatePlan>,
    pub jobs: Vec<JobPlan>,
    /// Its job templates of other files, one "not run locally" line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct GatePlan {
    pub id: String,
    pub environment: String,
    pub kind: &'static str,
    pub decision: Decision,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct JobPlan {
    pub name: String,
    pub kind: &'static str,
    pub environment: Option<String>,
    pub decision: Decision,
    pub reason: String,
    pub publishes: Vec<String>,
    /// `artifact (from Stage/Job)`.
    pub downloads: Vec<String>,
    /// Tasks with no local meaning: reported, not run, unless mapped to a command.
    pub not_local: Vec<String>,
    /// What the job needs containers for (`container mysql and services db`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub containers: Option<String>,
    /// Why `relc run` would not run it on this machine (no container runtime).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_run_locally: Option<String>,
    /// Steps `relc run` reports without doing them: checkouts of repository
    /// resources, downloads from pipeline resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub simulated: Vec<String>,
    /// A deployment's hooks in the order they run here (empty without a strategy).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<String>,
}

/// The variables every condition and step starts from: the trigger's
/// predefined ones, the pipeline's, then `--var` overrides.
pub fn base_vars(p: &ir::Pipeline, start: &Start, overrides: &[(String, String)]) -> Vars {
    let mut v = Vars::default();
    let title = p.title.clone().unwrap_or_else(|| "pipeline".into());
    v.set("Build.DefinitionName", title, false);
    v.set("System.TeamProject", "local", false);
    v.set("Agent.OS", agent_os(), false);
    for (n, val) in &start.variables {
        v.set(n, val.as_str(), false);
    }
    declare(&mut v, &p.variables);
    for (n, val) in overrides {
        v.set(n, val.as_str(), false);
    }
    v
}

fn agent_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "Darwin",
        "windows" => "Windows_NT",
        _ => "Linux",
    }
}

/// Declared variables of one scope. Secrets are known by name only until the
/// runner is given their values; groups are not available on this machine.
pub fn declare(v: &mut Vars, vars: &[ir::Variable]) {
    for var in vars {
        match var {
            ir::Variable::Value { name, value, .. } => v.set(name, value.as_str(), false),
            ir::Variable::Secret { name, .. } => {
                if v.get(name).is_none() {
                    v.set(name, "", true);
                }
            }
            ir::Variable::Group { .. } => {}
        }
    }
}

/// Stage names in an order where each comes after its dependencies (source
/// order where the graph allows it).
pub fn stage_order(p: &ir::Pipeline) -> Vec<&str> {
    order(
        p.stages
            .iter()
            .map(|(n, s)| (n.as_str(), &s.depends_on[..])),
    )
}

/// Job names of a stage in dependency order.
pub fn job_order(s: &ir::Stage) -> Vec<&str> {
    order(s.jobs.iter().map(|(n, j)| (n.as_str(), &j.depends_on[..])))
}

fn order<'a>(nodes: impl Iterator<Item = (&'a str, &'a [String])>) -> Vec<&'a str> {
    let nodes: Vec<(&str, &[String])> = nodes.collect();
    let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.0, i)).collect();
    let mut pending: Vec<usize> = nodes
        .iter()
        .map(|(_, deps)| {
            deps.iter()
                .filter(|d| index.contains_key(d.as_str()))
                .count()
        })
        .collect();
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, (_, deps)) in nodes.iter().enumerate() {
        for d in deps.iter() {
            if let Some(&j) = index.get(d.as_str()) {
                dependants[j].push(i);
            }
        }
    }
    // A min-heap of ready indices keeps source order among ready nodes.
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = (0..nodes.len())
        .filter(|&i| pending[i] == 0)
        .map(std::cmp::Reverse)
        .collect();
    let mut out = Vec::with_capacity(nodes.len());
    while let Some(std::cmp::Reverse(i)) = ready.pop() {
        out.push(nodes[i].0);
        for &d in &dependants[i] {
            pending[d] -= 1;
            if pending[d] == 0 {
                ready.push(std::cmp::Reverse(d));
            }
        }
    }
    out
}

/// Why a condition holds or not, for a person.
pub fn judge(condition: &ir::Expr, scope: &Scope) -> (Option<bool>, String) {
    match eval::eval(condition, scope) {
        Some(v) if v.truthy() => (Some(true), String::new()),
        Some(_) => {
            let mut why = eval::explain_false(condition, scope);
            if why.contains("succeeded() is false") || why.contains("failed() is false") {
                let deps: Vec<String> = scope
                    .direct
                    .iter()
                    .filter_map(|d| {
                        let f = scope.finished.get(d)?;
                        (!f.upstream_succeeded).then(|| format!("{d}: {}", f.outcome))
                    })
                    .collect();
                if !deps.is_empty() {
                    why = format!("{why} ({})", deps.join(", "));
                }
            }
            (Some(false), why)
        }
        None => (
            None,
            format!(
                "decided at run time: {}",
                crate::backend::expr::to_azure(condition)
            ),
        ),
    }
}

/// The default condition of a job: `succeeded()` of its dependencies.
pub fn default_job_condition() -> ir::Expr {
    ir::Expr::call("succeeded", Vec::new(), crate::source::Span::default())
}

/// What the gates of a stage would do at `at` on `reference`.
fn plan_gate(c: &StageCheck, reference: &str, at: DateTime) -> GatePlan {
    let (decision, reason) = match &c.check.kind {
        CheckKind::Approval(a) => {
            let who = if a.approvers.is_empty() {
                "anyone".to_string()
            } else {
                a.approvers.join(", ")
            };
            let min = match a.min_approvers {
                0 if a.approvers.len() > 1 => " (all of them)".to_string(),
                0 | 1 => String::new(),
                n => format!(" ({n} of them)"),
            };
            (
                Decision::Wait,
                format!(
                    "waits for approval by {who}{min}; times out after {}",
                    minutes_text(a.timeout_minutes)
                ),
            )
        }
        CheckKind::BranchControl { allowed, .. } => match gates::branch_allowed(allowed, reference)
        {
            Ok(()) => (Decision::Run, format!("{reference} is allowed")),
            Err(why) => (Decision::Fail, why),
        },
        CheckKind::BusinessHours {
            days,
            start,
            end,
            time_zone,
            ..
        } => match gates::business_hours(days, start, end, time_zone, at) {
            Ok(()) => (Decision::Run, format!("{at} UTC is within business hours")),
            Err((why, next)) => (
                Decision::Wait,
                match next {
                    Some(n) => format!("{why}; opens {n} UTC"),
                    None => why,
                },
            ),
        },
        CheckKind::ExclusiveLock { .. } => (
            Decision::Run,
            format!("takes the exclusive lock on {}", c.environment),
        ),
        CheckKind::Http(h) => (
            Decision::Wait,
            format!(
                "asks `{}` ({} {}) every {} until it passes",
                h.connection,
                h.method,
                h.url_suffix.as_deref().unwrap_or("/"),
                minutes_text(h.retry_interval_minutes.max(1))
            ),
        ),
    };
    GatePlan {
        id: c.id.clone(),
        environment: c.environment.to_string(),
        kind: gates::kind_name(&c.check.kind),
        decision,
        reason,
    }
}

pub fn minutes_text(m: u64) -> String {
    match m {
        0 => "no limit".into(),
        m if m % 1440 == 0 => format!("{}d", m / 1440),
        m if m % 60 == 0 => format!("{}h", m / 60),
        m => format!("{m}m"),
    }
}

/// The plan for a pipeline and a simulated start.
pub fn plan(p: &ir::Pipeline, start: &Start, vars: &Vars, at: DateTime) -> Plan {
    // The jobs as they run here: a matrix job's legs, a deployment's hooks in order.
    let localized = super::strategy::localize(p.clone());
    let p = &localized;
    let reference = vars.get("Build.SourceBranch").unwrap_or("").to_string();
    let mut finished: HashMap<String, Finished> = HashMap::new();
    let mut stage_jobs: HashMap<String, Finished> = HashMap::new();
    let mut by_name: HashMap<&str, StagePlan> = HashMap::new();
    let publisher: HashMap<&str, String> = p
        .artifacts
        .values()
        .filter_map(|a| {
            let (s, j) = a.published_by.as_ref()?;
            Some((a.name.as_str(), format!("{s}/{j}")))
        })
        .collect();
    for name in stage_order(p) {
        let stage = &p.stages[name];
        let scope = Scope {
            vars,
            direct: &stage.depends_on,
            finished: &finished,
            stage_jobs: None,
            canceled: false,
        };
        let (mut decision, mut reason) = if start.not_started.is_some() {
            (Decision::Skip, "the run does not start".to_string())
        } else {
            match judge(&stage.condition, &scope) {
                (Some(false), why) => (Decision::Skip, why),
                (_, why) => (Decision::Run, why),
            }
        };
        let gate_plans: Vec<GatePlan> = if decision == Decision::Run {
            gates::stage_checks(p, stage)
                .iter()
                .map(|c| plan_gate(c, &reference, at))
                .collect()
        } else {
            Vec::new()
        };
        if let Some(g) = gate_plans.iter().find(|g| g.decision == Decision::Fail) {
            (decision, reason) = (Decision::Fail, format!("gate {} fails", g.id));
        } else if let Some(g) = gate_plans.iter().find(|g| g.decision == Decision::Wait) {
            (decision, reason) = (Decision::Wait, format!("waits on gate {}", g.id));
        }
        let stage_vars = {
            let mut v = vars.clone();
            declare(&mut v, &stage.variables);
            v
        };
        let mut job_finished: HashMap<String, Finished> = HashMap::new();
        let mut jobs = Vec::new();
        for jname in job_order(stage) {
            let job = &stage.jobs[jname];
            let jp = plan_job(
                job,
                decision,
                &stage_vars,
                &job_finished,
                &stage_jobs,
                &publisher,
            );
            let outcome = predicted(jp.decision);
            let f = Finished::new(
                outcome,
                IndexMap::new(),
                job.depends_on.iter().filter_map(|d| job_finished.get(d)),
            );
            stage_jobs.insert(format!("{name}/{jname}"), f.clone());
            job_finished.insert(jname.to_string(), f);
            jobs.push(jp);
        }
        // Keep the source order of jobs in the output.
        jobs.sort_by_key(|j| stage.jobs.get_index_of(&j.name));
        if decision == Decision::Run && jobs.iter().any(|j| j.decision == Decision::Wait) {
            let j = jobs
                .iter()
                .find(|j| j.decision == Decision::Wait)
                .expect("found");
            (decision, reason) = (Decision::Wait, format!("waits on gate job {}", j.name));
        }
        let outcome = match decision {
            Decision::Skip => Outcome::Skipped,
            Decision::Fail => Outcome::Failed,
            _ => Outcome::merge(jobs.iter().map(|j| predicted(j.decision))),
        };
        let f = Finished::new(
            outcome,
            IndexMap::new(),
            stage.depends_on.iter().filter_map(|d| finished.get(d)),
        );
        finished.insert(name.to_string(), f);
        by_name.insert(
            name,
            StagePlan {
                name: name.to_string(),
                display: stage.display.clone(),
                after: stage.depends_on.clone(),
                decision,
                reason,
                gates: gate_plans,
                jobs,
                templates: super::external::stage_notes(stage),
            },
        );
    }
    let stages = p
        .stages
        .keys()
        .filter_map(|n| by_name.remove(n.as_str()))
        .collect();
    Plan {
        pipeline: p.title.clone(),
        trigger: start.cause.clone(),
        starts: start.not_started.is_none(),
        reason: start.not_started.clone(),
        variables: start.variables.iter().cloned().collect(),
        resources: resource_lines(&p.resources),
        templates: super::external::pipeline_notes(p),
        stages,
    }
}

/// One line per declared resource, for a person.
fn resource_lines(r: &ir::Resources) -> Vec<String> {
    let mut out = Vec::new();
    for x in r.repositories.values() {
        let at = x
            .git_ref
            .as_ref()
            .map_or(String::new(), |g| format!(" at {g}"));
        out.push(format!("repository {}: {} {}{at}", x.alias, x.kind, x.name));
    }
    for x in r.pipelines.values() {
        let project = x
            .project
            .as_ref()
            .map_or(String::new(), |p| format!(" in {p}"));
        out.push(format!(
            "pipeline {}: runs of {}{project}",
            x.alias, x.source
        ));
    }
    for (alias, c) in &r.containers {
        out.push(format!("container {alias}: {}", c.image));
    }
    for x in r.packages.values() {
        let v = x
            .version
            .as_ref()
            .map_or(String::new(), |v| format!(" {v}"));
        out.push(format!("package {}: {} {}{v}", x.alias, x.kind, x.name));
    }
    for x in r.webhooks.values() {
        out.push(format!("webhook {}: calls to {}", x.alias, x.connection));
    }
    out
}

/// The outcome a plan assumes: what runs succeeds, what waits is let through.
fn predicted(d: Decision) -> Outcome {
    match d {
        Decision::Run | Decision::Wait => Outcome::Succeeded,
        Decision::Skip => Outcome::Skipped,
        Decision::Fail => Outcome::Failed,
    }
}

fn plan_job(
    job: &ir::Job,
    stage: Decision,
    vars: &Vars,
    finished: &HashMap<String, Finished>,
    stage_jobs: &HashMap<String, Finished>,
    publisher: &HashMap<&str, String>,
) -> JobPlan {
    let default = default_job_condition();
    let condition = job.condition.as_ref().unwrap_or(&default);
    let (mut decision, mut reason) = match stage {
        Decision::Skip => (Decision::Skip, "its stage is skipped".to_string()),
        Decision::Fail => (Decision::Skip, "its stage's checks fail".to_string()),
        _ => {
            let mut v = vars.clone();
            declare(&mut v, &job.variables);
            let scope = Scope {
                vars: &v,
                direct: &job.depends_on,
                finished,
                stage_jobs: Some(stage_jobs),
                canceled: false,
            };
            match judge(condition, &scope) {
                (Some(false), why) => (Decision::Skip, why),
                (_, why) => (Decision::Run, why),
            }
        }
    };
    let (kind, environment) = match &job.kind {
        JobKind::Agent => ("job", None),
        JobKind::Deployment { environment } => ("deployment", Some(environment.clone())),
        JobKind::Gate { wait, .. } => {
            if decision == Decision::Run {
                (decision, reason) = match wait {
                    GateWait::Validation {
                        notify,
                        timeout_minutes,
                        on_timeout,
                        ..
                    } => (
                        Decision::Wait,
                        format!(
                            "waits for manual validation (notifies {}); after {} it {}s",
                            notify.join(", "),
                            minutes_text(*timeout_minutes),
                            on_timeout.key()
                        ),
                    ),
                    GateWait::Delay { minutes } => {
                        (Decision::Run, format!("waits {}", minutes_text(*minutes)))
                    }
                };
            }
            ("gate", None)
        }
    };
    let mut publishes = Vec::new();
    let mut downloads = Vec::new();
    let mut not_local = Vec::new();
    let mut simulated = Vec::new();
    for step in &job.steps {
        match &step.kind {
            StepKind::Checkout { repository, .. }
                if repository != "self" && repository != "none" =>
            {
                simulated.push(format!("checkout {repository}"))
            }
            StepKind::DownloadPipeline {
                pipeline, artifact, ..
            } => simulated.push(match artifact {
                Some(a) => format!("download {pipeline}.{a}"),
                None => format!("download {pipeline}"),
            }),
            StepKind::Template(t) => not_local.push(format!("external template {}", t.reference())),
            StepKind::Publish { artifact, .. } => publishes.push(artifact.clone()),
            StepKind::Download { artifact, .. } => {
                downloads.push(match publisher.get(artifact.as_str()) {
                    Some(from) => format!("{artifact} (from {from})"),
                    None => artifact.clone(),
                })
            }
            StepKind::Task { task, .. }
                if !super::tasks::is_local(task) && !not_local.contains(task) =>
            {
                not_local.push(task.clone())
            }
            _ => {}
        }
    }
    let mut hooks = Vec::new();
    match job.local.as_deref() {
        Some(ir::Local::Legs {
            legs,
            max_parallel,
            strategy,
        }) if decision == Decision::Run => {
            let what = if strategy == "matrix" {
                "legs"
            } else {
                "slices"
            };
            let limit = max_parallel.map_or(String::new(), |m| format!(", at most {m} at a time"));
            reason = format!(
                "{strategy}: {} {what}{limit}, then done with the worst of their results",
                legs.len()
            );
        }
        Some(ir::Local::Hooks { phases, .. }) => hooks = super::strategy::hook_order(phases),
        _ => {}
    }
    JobPlan {
        name: job.name.clone(),
        kind,
        environment,
        decision,
        reason,
        publishes,
        downloads,
        not_local,
        containers: super::container::needs(job),
        not_run_locally: super::container::not_local(job),
        simulated,
        hooks,
    }
}

/// The plan as a person reads it.
pub fn render(plan: &Plan) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let title = plan.pipeline.as_deref().unwrap_or("pipeline");
    let _ = writeln!(out, "{title}: {}", plan.trigger);
    if let Some(why) = &plan.reason {
        let _ = writeln!(out, "no run starts: {why}");
        return out;
    }
    for (k, v) in &plan.variables {
        if k.starts_with("Build.Reason") || k.starts_with("Build.SourceBranch") {
            let _ = writeln!(out, "  {k} = {v}");
        }
    }
    if !plan.resources.is_empty() {
        let _ = writeln!(out, "\nresources");
        for r in &plan.resources {
            let _ = writeln!(out, "      {r}");
        }
    }
    if !plan.templates.is_empty() {
        let _ = writeln!(out);
        for t in &plan.templates {
            let _ = writeln!(out, "{t}");
        }
    }
    for s in &plan.stages {
        let word = decision_word(s.decision);
        let because = if s.reason.is_empty() {
            String::new()
        } else {
            format!(": {}", s.reason)
        };
        let _ = writeln!(out, "\n{word:<5} {}{because}", s.name);
        for g in &s.gates {
            let _ = writeln!(
                out,
                "      gate {} — {}: {}",
                g.id,
                decision_word(g.decision),
                g.reason
            );
        }
        for t in &s.templates {
            let _ = writeln!(out, "      {t}");
        }
        for j in &s.jobs {
            let env = j
                .environment
                .as_ref()
                .map_or(String::new(), |e| format!(" → {e}"));
            let because = if j.reason.is_empty()
                || j.decision == Decision::Run && s.decision != Decision::Run
            {
                String::new()
            } else {
                format!(": {}", j.reason)
            };
            let _ = writeln!(
                out,
                "      {:<5} {} {}{env}{because}",
                decision_word(j.decision),
                j.kind,
                j.name
            );
            if !j.hooks.is_empty() {
                let _ = writeln!(out, "              hooks: {}", j.hooks.join(" → "));
            }
            for a in &j.publishes {
                let _ = writeln!(out, "              publishes {a}");
            }
            for a in &j.downloads {
                let _ = writeln!(out, "              downloads {a}");
            }
            if !j.not_local.is_empty() {
                let _ = writeln!(
                    out,
                    "              not run locally: {}",
                    j.not_local.join(", ")
                );
            }
            match (&j.not_run_locally, &j.containers) {
                (Some(why), _) => {
                    let _ = writeln!(out, "              {why}");
                }
                (None, Some(needs)) => {
                    let _ = writeln!(out, "              runs with {needs} in local containers");
                }
                _ => {}
            }
            if !j.simulated.is_empty() {
                let _ = writeln!(
                    out,
                    "              simulated, not done locally: {}",
                    j.simulated.join(", ")
                );
            }
        }
    }
    out
}

fn decision_word(d: Decision) -> &'static str {
    match d {
        Decision::Run => "run",
        Decision::Skip => "skip",
        Decision::Wait => "wait",
        Decision::Fail => "fail",
    }
}

//! One job on this machine: its workspace, its steps in order with Azure's
//! step conditions (SEMANTICS.md §2.3: `succeeded()` of a step reads
//! `Agent.JobStatus`), variables set by earlier steps, retries,
//! continue-on-error, and the local meaning of tasks.
//!
//! The job reports every step through [`Report`]s; the scheduler records them.

use super::context::Vars;
use super::exec::{self, Program, StepEnd, StepSpec};
use super::mask::Masker;
use super::outcome::Outcome;
use super::record::{Event, SetVariable};
use super::store::Store;
use crate::ir::eval::{self, Env, Value};
use crate::ir::{self, Scalar, Shell, StepKind};
use indexmap::IndexMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// What a job tells the scheduler while it runs.
pub enum Report {
    Event(Event),
    /// A line for the terminal, already masked and prefixed.
    Line(String),
    Done {
        stage: String,
        job: String,
        outcome: Outcome,
        /// Output variables by `step.var`.
        outputs: IndexMap<String, String>,
        seconds: f64,
    },
}

/// Everything one job needs, owned, so that it can run on its own task.
pub struct JobRun {
    pub stage: String,
    pub job: ir::Job,
    pub environment: Option<ir::Environment>,
    pub vars: Vars,
    /// Steps already finished in an earlier attempt of this run (resume): their
    /// outcomes and the variables they set; they are not run again.
    pub done: Vec<(Outcome, Vec<SetVariable>)>,
    pub workspace: PathBuf,
    pub sources: PathBuf,
    /// Artifact name → fingerprint, as published so far in this run (or pinned
    /// by `relc promote`).
    pub artifacts: IndexMap<String, String>,
    pub state_dir: PathBuf,
    pub logs: PathBuf,
    pub masker: Masker,
    pub cancel: tokio::sync::watch::Receiver<bool>,
    pub task_commands: Arc<Vec<(String, String)>>,
    /// Runs script steps in place of real processes (tests of semantics).
    pub executor: Option<exec::Executor>,
    pub prefix: Option<String>,
    /// When the job's `timeout` runs out (set when the job starts).
    pub deadline: Option<Instant>,
    pub tx: UnboundedSender<Report>,
    /// The pipeline's container resources, for the job's container and services.
    pub container_resources: IndexMap<String, ir::Container>,
    /// The job's running containers, while it runs ([`super::container`]).
    pub session: Option<super::container::Session>,
}

/// The [`Env`] of a step condition.
struct StepScope<'a> {
    vars: &'a Vars,
    status: Outcome,
    canceled: bool,
}

impl Env for StepScope<'_> {
    fn variable(&self, name: &str) -> Option<Value> {
        if name.eq_ignore_ascii_case("Agent.JobStatus") {
            return Some(Value::Str(self.status.as_str().into()));
        }
        Some(
            self.vars
                .get(name)
                .map_or(Value::Null, |v| Value::Str(v.into())),
        )
    }
    fn context(&self, _: &str, _: &[String]) -> Option<Value> {
        Some(Value::Null)
    }
    fn status(&self, function: &str, _: &[String]) -> Option<bool> {
        let ok = self.status.is_success();
        Some(match function {
            "always" => true,
            "canceled" => self.canceled,
            "failed" => !self.canceled && self.status == Outcome::Failed,
            "succeededOrFailed" => !self.canceled,
            _ => !self.canceled && ok,
        })
    }
}

/// `$(name)` replaced by the variable's value; unknown names stay as written,
/// as Azure leaves them.
pub fn expand(text: &str, vars: &Vars) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, name) in crate::check::macros(text) {
        if let Some(v) = vars.get(name) {
            out.push_str(&text[last..at - 2]);
            out.push_str(v);
            last = at + name.len() + 1;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// Azure's mapping of a variable name to an environment variable: `a.b` → `A_B`.
pub fn env_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '.' | ' ' | '-' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

fn scalar_text(v: &Scalar) -> String {
    match v {
        Scalar::Str(s) => s.clone(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
    }
}

/// A shell word.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl JobRun {
    fn send(&self, e: Event) {
        let _ = self.tx.send(Report::Event(e));
    }

    fn dir(&self, sub: &str) -> PathBuf {
        self.workspace.join(sub)
    }

    /// The predefined variables of this job's agent, pointing at real directories.
    fn agent_vars(&mut self) {
        let w = self.workspace.display().to_string();
        let s = self.dir("s").display().to_string();
        let set = |v: &mut Vars, n: &str, val: &str| v.set(n, val, false);
        let v = &mut self.vars;
        set(v, "Pipeline.Workspace", &w);
        set(v, "Agent.BuildDirectory", &w);
        set(v, "Agent.WorkFolder", &w);
        set(v, "Build.SourcesDirectory", &s);
        set(v, "Build.Repository.LocalPath", &s);
        set(v, "System.DefaultWorkingDirectory", &s);
        let a = self.workspace.join("a").display().to_string();
        set(v, "Build.ArtifactStagingDirectory", &a);
        set(v, "Build.StagingDirectory", &a);
        set(
            v,
            "Build.BinariesDirectory",
            &self.workspace.join("b").display().to_string(),
        );
        set(
            v,
            "Agent.TempDirectory",
            &self.workspace.join("_temp").display().to_string(),
        );
        // The agent's home: on this machine, relc's state directory (`.relc`).
        set(
            v,
            "Agent.HomeDirectory",
            &self.state_dir.display().to_string(),
        );
        set(v, "System.StageName", &self.stage.clone());
        set(v, "System.JobName", &self.job.name.clone());
        set(v, "Agent.JobName", &self.job.name.clone());
        set(v, "System.PhaseName", &self.job.name.clone());
        if let Some(env) = &self.environment {
            set(v, "Environment.Name", &env.name.clone());
            let strategy = match self.job.local.as_deref() {
                Some(ir::Local::Hooks { strategy, .. }) => strategy.clone(),
                _ => "runOnce".to_string(),
            };
            set(v, "Strategy.Name", &strategy);
        }
    }

    /// The hooks of a flattened deployment: for each step, the phase it is in
    /// (empty for any other job).
    fn phases(&self) -> Vec<Option<ir::Phase>> {
        let Some(ir::Local::Hooks { phases, .. }) = self.job.local.as_deref() else {
            return Vec::new();
        };
        phases
            .iter()
            .flat_map(|p| std::iter::repeat_n(Some(p.clone()), p.steps))
            .collect()
    }

    /// Entering a hook: the strategy's variables for it (Azure's
    /// `Strategy.CycleName`, and for a canary `strategy.increment` and
    /// `strategy.action`).
    fn enter_hook(&mut self, p: &ir::Phase) {
        let cycle = match p.hook.as_str() {
            "preDeploy" => "PreIteration",
            h if h.starts_with("on.") => "PostIteration",
            _ => "Iteration",
        };
        self.vars.set("Strategy.CycleName", cycle, false);
        if let Some(i) = p.increment {
            self.vars.set("Strategy.Increment", i.to_string(), false);
            self.vars.set("Strategy.Action", "deploy", false);
        }
        self.line(&format!(
            "hook {}{}",
            p.hook,
            p.increment.map_or(String::new(), |i| format!(" ({i}%)"))
        ));
    }

    /// The steps this job runs: its own, then the environment's local deploy.
    fn steps(&self) -> Vec<ir::Step> {
        let mut steps = self.job.steps.clone();
        // Flattened hooks already run the local deploy in each `deploy` hook.
        let flattened = matches!(self.job.local.as_deref(), Some(ir::Local::Hooks { .. }));
        if let Some(cmd) = self
            .environment
            .as_ref()
            .and_then(|e| e.local_deploy.clone())
            .filter(|_| !flattened)
        {
            steps.push(ir::Step {
                kind: StepKind::Script {
                    shell: Shell::Bash,
                    text: cmd,
                },
                display: Some(format!(
                    "Deploy locally to {}",
                    self.environment.as_ref().map_or("", |e| e.name.as_str())
                )),
                options: None,
                span: self.job.span,
            });
        }
        steps
    }

    pub async fn run(mut self) {
        let started = Instant::now();
        // The job's own timeout bounds every step in it (0: no limit). Without
        // one written, a rehearsal has no limit (Azure's 60 minutes are the
        // hosted agents' limit, not this machine's).
        self.deadline = self
            .job
            .timeout_minutes
            .filter(|&m| m > 0)
            .map(|m| started + Duration::from_secs(m * 60));
        self.agent_vars();
        for sub in ["s", "a", "b", "_temp"] {
            let _ = std::fs::create_dir_all(self.dir(sub));
        }
        // The scheduler runs a job that needs containers only when a runtime works.
        if let Some(rt) = super::container::runtime()
            && super::container::needs(&self.job).is_some()
        {
            let name: Vec<String> = self
                .workspace
                .iter()
                .rev()
                .take(2)
                .map(|c| c.to_string_lossy().into_owned())
                .collect();
            match super::container::Session::start(
                rt,
                &self.job,
                &self.container_resources,
                &self.workspace,
                &name.join("-"),
            ) {
                Ok(s) => self.session = Some(s),
                Err(e) => {
                    self.line(&format!("error: cannot start the job's containers: {e}"));
                    let _ = self.tx.send(Report::Done {
                        stage: self.stage.clone(),
                        job: self.job.name.clone(),
                        outcome: Outcome::Failed,
                        outputs: IndexMap::new(),
                        seconds: started.elapsed().as_secs_f64(),
                    });
                    return;
                }
            }
        }
        let is_agent = matches!(self.job.kind, ir::JobKind::Agent);
        let explicit_checkout = self
            .job
            .steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::Checkout { .. }));
        if is_agent && !explicit_checkout && self.done.is_empty() {
            // Azure checks the repository out at the start of every agent job.
            if let Err(e) = copy_sources(&self.sources, &self.dir("s"), &self.state_dir) {
                self.line(&format!("warning: cannot copy the working tree: {e}"));
            }
        }
        let mut status = Outcome::Succeeded;
        let mut outputs: IndexMap<String, String> = IndexMap::new();
        let mut downloaded: Vec<(String, String)> = Vec::new();
        let steps = self.steps();
        let done = std::mem::take(&mut self.done);
        // A job that starts once the run is canceled (its condition says
        // `always()`) is not itself canceled: its steps run as in any job.
        // Only a cancellation while it runs cancels it (SEMANTICS.md §2.3).
        let canceled_before = *self.cancel.borrow();
        let canceled_now = |job: &Self| *job.cancel.borrow() && !canceled_before;
        // A deployment's hooks (SEMANTICS.md §6.2): each has its own
        // `Agent.JobStatus` (`status`, reset as a hook starts); a failed hook
        // skips the hooks after it and selects `on.failure` over `on.success`;
        // the job's result is the worst of the hooks that ran (`overall`).
        let phases = self.phases();
        let mut overall = Outcome::Succeeded;
        let mut hook_failed = false;
        for (i, step) in steps.iter().enumerate() {
            let reference = step.options().name.clone();
            let phase = phases.get(i).cloned().flatten();
            let previous = i
                .checked_sub(1)
                .and_then(|j| phases.get(j).cloned().flatten());
            let starts_hook = phase.as_ref().is_some_and(|p| {
                previous
                    .as_ref()
                    .is_none_or(|q| (&q.hook, q.increment) != (&p.hook, p.increment))
            });
            if starts_hook {
                overall = merge_step(overall, status);
                hook_failed |= !status.is_success();
                status = Outcome::Succeeded;
            }
            let hook_skipped = phase.as_ref().and_then(|p| match p.hook.as_str() {
                "on.failure" if !hook_failed => {
                    Some("on.failure runs only when a hook before it failed")
                }
                "on.success" if hook_failed => {
                    Some("on.success runs only when every hook succeeded")
                }
                h if hook_failed && !h.starts_with("on.") => Some("a hook before it failed"),
                _ => None,
            });
            if let Some(p) = phase
                .as_ref()
                .filter(|_| starts_hook && hook_skipped.is_none())
            {
                self.enter_hook(p);
            }
            if let Some((outcome, vars)) = done.get(i) {
                status = merge_step(status, *outcome);
                self.apply(vars, reference.as_deref(), &mut outputs, &[]);
                continue;
            }
            if let Some(reason) = hook_skipped {
                self.send(Event::StepFinished {
                    stage: self.stage.clone(),
                    job: self.job.name.clone(),
                    step: i,
                    outcome: Outcome::Skipped,
                    reason: Some(reason.to_string()),
                    variables: Vec::new(),
                    issues: Vec::new(),
                    tail: Vec::new(),
                    seconds: 0.0,
                });
                continue;
            }
            let display = step_display(step);
            let timed_out = self.deadline.is_some_and(|d| Instant::now() >= d);
            let canceled = canceled_now(&self) || timed_out;
            let began = Instant::now();
            let default = crate::interp::plan::default_job_condition();
            let condition = step.options().condition.as_ref().unwrap_or(&default);
            let scope = StepScope {
                vars: &self.vars,
                status,
                canceled,
            };
            let runs = step.options().enabled != Some(false)
                && eval::eval(condition, &scope).is_some_and(|v| v.truthy());
            if !runs {
                let reason = if step.options().enabled == Some(false) {
                    "disabled".to_string()
                } else if step.options().condition.is_none() {
                    format!("a step before it did not succeed (Agent.JobStatus is {status})")
                } else {
                    eval::explain_false(condition, &scope)
                };
                self.send(Event::StepFinished {
                    stage: self.stage.clone(),
                    job: self.job.name.clone(),
                    step: i,
                    outcome: Outcome::Skipped,
                    reason: Some(reason),
                    variables: Vec::new(),
                    issues: Vec::new(),
                    tail: Vec::new(),
                    seconds: 0.0,
                });
                continue;
            }
            self.send(Event::StepStarted {
                stage: self.stage.clone(),
                job: self.job.name.clone(),
                step: i,
                display: self.masker.mask(&display),
            });
            let attempts = step.options().retries.unwrap_or(0).min(10) + 1;
            let mut end = StepEnd::default();
            for attempt in 1..=attempts {
                end = self.step(step, i, &mut downloaded).await;
                let failed = end.outcome == Some(Outcome::Failed);
                if !failed || attempt == attempts || canceled_now(&self) {
                    break;
                }
                self.line(&format!("retrying ({attempt} of {})", attempts - 1));
                tokio::time::sleep(Duration::from_secs(attempt * attempt)).await;
            }
            let mut outcome = end.outcome.unwrap_or(Outcome::Succeeded);
            if outcome == Outcome::Failed && step.options().continue_on_error {
                outcome = Outcome::SucceededWithIssues;
            }
            for (name, value) in &end.secrets {
                self.masker.add(value);
                self.vars.set(name, value.as_str(), true);
                if let Some(r) = &reference {
                    self.vars.set(&format!("{r}.{name}"), value.as_str(), true);
                }
            }
            self.apply(
                &end.variables,
                reference.as_deref(),
                &mut outputs,
                &end.secrets,
            );
            status = merge_step(status, outcome);
            let tail = if outcome == Outcome::Failed || outcome == Outcome::Canceled {
                end.tail
            } else {
                Vec::new()
            };
            self.send(Event::StepFinished {
                stage: self.stage.clone(),
                job: self.job.name.clone(),
                step: i,
                outcome,
                reason: end.reason.map(|r| self.masker.mask(&r)),
                // Recorded masked: a plain variable may carry a secret's value.
                variables: end
                    .variables
                    .into_iter()
                    .map(|v| SetVariable {
                        value: v.value.map(|x| self.masker.mask(&x)),
                        ..v
                    })
                    .collect(),
                issues: end.issues,
                tail,
                seconds: began.elapsed().as_secs_f64(),
            });
        }
        let status = merge_step(overall, status);
        if status.is_success()
            && let Some(env) = &self.environment
        {
            let artifacts = if downloaded.is_empty() {
                self.artifacts
                    .iter()
                    .map(|(a, f)| (a.clone(), f.clone()))
                    .collect()
            } else {
                downloaded
            };
            self.send(Event::Deployed {
                environment: env.name.clone(),
                stage: self.stage.clone(),
                job: self.job.name.clone(),
                artifacts,
            });
        }
        if let Some(mut s) = self.session.take() {
            s.stop();
        }
        let _ = self.tx.send(Report::Done {
            stage: self.stage.clone(),
            job: self.job.name.clone(),
            outcome: status,
            outputs,
            seconds: started.elapsed().as_secs_f64(),
        });
    }

    /// Variables a step set, for the steps after it (and outputs for the jobs after).
    fn apply(
        &mut self,
        vars: &[SetVariable],
        reference: Option<&str>,
        outputs: &mut IndexMap<String, String>,
        secrets: &[(String, String)],
    ) {
        for v in vars {
            let Some(value) = v.value.clone().or_else(|| {
                secrets
                    .iter()
                    .find(|(n, _)| n == &v.name)
                    .map(|(_, val)| val.clone())
            }) else {
                continue;
            };
            let secret = v.value.is_none();
            if v.output {
                let key = match reference {
                    Some(r) => format!("{r}.{}", v.name),
                    None => v.name.clone(),
                };
                self.vars.set(&key, value.as_str(), secret);
                outputs.insert(key, value);
            } else {
                self.vars.set(&v.name, value.as_str(), secret);
            }
        }
    }

    fn line(&self, text: &str) {
        if let Some(p) = &self.prefix {
            let _ = self
                .tx
                .send(Report::Line(format!("{p}{}", self.masker.mask(text))));
        }
    }

    /// The terminal side of a step's output.
    fn sink(&self) -> Option<exec::Sink> {
        let p = self.prefix.clone()?;
        let tx = self.tx.clone();
        Some(std::sync::Arc::new(move |line: String| {
            let _ = tx.send(Report::Line(format!("{p}{line}")));
        }))
    }

    /// The environment of a script: every variable that is not secret, as
    /// Azure maps names, then the step's own `env`.
    fn process_env(&self, step: &ir::Step) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = self
            .vars
            .iter()
            .filter(|(_, _, secret)| !secret)
            .map(|(n, v, _)| (env_name(n), v.to_string()))
            .collect();
        env.push(("TF_BUILD".into(), "True".into()));
        for (k, v) in &step.options().env {
            env.push((k.clone(), expand(v, &self.vars)));
        }
        env
    }

    fn spec(&self, step: &ir::Step, i: usize, program: Program) -> StepSpec {
        let workdir = step
            .options()
            .working_directory
            .as_ref()
            .map(|w| {
                let w = expand(w, &self.vars);
                let p = Path::new(&w);
                if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    self.dir("s").join(p)
                }
            })
            .unwrap_or_else(|| self.dir("s"));
        StepSpec {
            program,
            workdir,
            temp_dir: self.dir("_temp"),
            env: self.process_env(step),
            timeout: {
                let own = step
                    .options()
                    .timeout_minutes
                    .filter(|&m| m > 0)
                    .map(|m| Duration::from_secs(m * 60));
                let left = self
                    .deadline
                    .map(|d| d.saturating_duration_since(Instant::now()));
                match (own, left) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            },
            log: self
                .logs
                .join(format!("{}.{}.{:03}.log", self.stage, self.job.name, i + 1)),
            show: self.sink(),
            masker: self.masker.clone(),
            cancel: self.cancel.clone(),
            fail_on_stderr: step.options().fail_on_stderr,
        }
    }

    fn done(outcome: Outcome, reason: impl Into<String>) -> StepEnd {
        StepEnd {
            outcome: Some(outcome),
            reason: Some(reason.into()),
            ..StepEnd::default()
        }
    }

    async fn step(
        &mut self,
        step: &ir::Step,
        i: usize,
        downloaded: &mut Vec<(String, String)>,
    ) -> StepEnd {
        match &step.kind {
            StepKind::Script { shell, text } => {
                let text = expand(text, &self.vars);
                if let Some(run) = &self.executor {
                    return run(&text);
                }
                let program = match shell {
                    Shell::Script | Shell::Bash => Program::Bash(text),
                    Shell::Pwsh | Shell::PowerShell => Program::Pwsh(text),
                };
                let mut spec = self.spec(step, i, program);
                if let Some(s) = &self.session {
                    let p = std::mem::replace(&mut spec.program, Program::Bash(String::new()));
                    spec.program = s.wrap(p, &spec.workdir, &spec.env);
                }
                exec::run(spec).await
            }
            StepKind::Publish { artifact, path } => {
                let path = expand(path, &self.vars);
                let full = self.dir("s").join(&path);
                match Store::new(&self.state_dir).put(&full) {
                    Ok(fp) => {
                        self.line(&format!(
                            "published {artifact} {} from {}",
                            super::store::short(&fp),
                            full.display()
                        ));
                        self.artifacts.insert(artifact.clone(), fp.clone());
                        self.send(Event::ArtifactPublished {
                            stage: self.stage.clone(),
                            job: self.job.name.clone(),
                            artifact: artifact.clone(),
                            fingerprint: fp,
                        });
                        StepEnd {
                            outcome: Some(Outcome::Succeeded),
                            ..StepEnd::default()
                        }
                    }
                    Err(e) => Self::done(Outcome::Failed, e),
                }
            }
            StepKind::NoDownload => Self::done(Outcome::Succeeded, "nothing to download"),
            StepKind::Download { artifact, .. } => {
                let Some(fp) = self.artifacts.get(artifact).cloned() else {
                    return Self::done(
                        Outcome::Failed,
                        format!("artifact `{artifact}` was not published in this run"),
                    );
                };
                let dest = self.workspace.join(artifact);
                match Store::new(&self.state_dir).materialize(&fp, &dest) {
                    Ok(n) => {
                        self.line(&format!(
                            "downloaded {artifact} {} ({n} file{}) to {}",
                            super::store::short(&fp),
                            if n == 1 { "" } else { "s" },
                            dest.display()
                        ));
                        downloaded.push((artifact.clone(), fp));
                        StepEnd {
                            outcome: Some(Outcome::Succeeded),
                            ..StepEnd::default()
                        }
                    }
                    Err(e) => Self::done(Outcome::Failed, e),
                }
            }
            StepKind::Checkout { repository, .. } => match repository.as_str() {
                "none" => Self::done(Outcome::Succeeded, "no checkout"),
                "self" => match copy_sources(&self.sources, &self.dir("s"), &self.state_dir) {
                    Ok(n) => {
                        self.line(&format!("checked out the working tree ({n} files)"));
                        StepEnd {
                            outcome: Some(Outcome::Succeeded),
                            ..StepEnd::default()
                        }
                    }
                    Err(e) => Self::done(Outcome::Failed, e),
                },
                other => {
                    self.line(&format!(
                        "warning: repository `{other}` is not checked out locally"
                    ));
                    Self::done(
                        Outcome::Skipped,
                        format!("not done locally: checkout of repository `{other}` (simulated)"),
                    )
                }
            },
            StepKind::DownloadPipeline {
                pipeline, artifact, ..
            } => {
                let what = artifact.as_deref().unwrap_or("the artifacts");
                self.line(&format!(
                    "warning: {what} of pipeline resource `{pipeline}` is not downloaded locally"
                ));
                Self::done(
                    Outcome::Skipped,
                    format!(
                        "not done locally: download {what} of pipeline resource `{pipeline}` (simulated)"
                    ),
                )
            }
            StepKind::Task { task, inputs } => self.task(step, i, task, inputs).await,
            StepKind::Template(t) => {
                let note = super::external::note(t);
                self.line(&format!("warning: {note}"));
                StepEnd {
                    outcome: Some(Outcome::Skipped),
                    reason: Some(note),
                    issues: vec![format!(
                        "warning: external template {} was not run locally",
                        t.reference()
                    )],
                    ..StepEnd::default()
                }
            }
        }
    }

    async fn task(
        &mut self,
        step: &ir::Step,
        i: usize,
        task: &str,
        inputs: &IndexMap<String, Scalar>,
    ) -> StepEnd {
        let input = |name: &str| -> Option<String> {
            inputs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| expand(&scalar_text(v), &self.vars))
        };
        if let Some((_, command)) = self.task_commands.iter().find(|(t, _)| {
            t.eq_ignore_ascii_case(task) || t.eq_ignore_ascii_case(super::tasks::name(task))
        }) {
            // A task mapped to a local command sees its inputs as Azure passes
            // them to task scripts: INPUT_<NAME>.
            let mut spec = self.spec(step, i, Program::Bash(expand(command, &self.vars)));
            for (k, v) in inputs {
                spec.env.push((
                    format!("INPUT_{}", env_name(k)),
                    expand(&scalar_text(v), &self.vars),
                ));
            }
            return exec::run(spec).await;
        }
        let name = super::tasks::name(task).to_ascii_lowercase();
        match name.as_str() {
            "bash" | "cmdline" | "powershell" => {
                let inline = input("targetType").is_none_or(|t| t.eq_ignore_ascii_case("inline"));
                let body = if inline || name == "cmdline" {
                    input("script").unwrap_or_default()
                } else {
                    let file = input("filePath").unwrap_or_default();
                    let args = input("arguments").unwrap_or_default();
                    format!("{} {args}", quote(&file))
                };
                let program = if name == "powershell" {
                    Program::Pwsh(body)
                } else {
                    Program::Bash(body)
                };
                let mut spec = self.spec(step, i, program);
                if let Some(w) = input("workingDirectory") {
                    spec.workdir = self.dir("s").join(w);
                }
                spec.fail_on_stderr =
                    input("failOnStderr").is_some_and(|v| v.eq_ignore_ascii_case("true"));
                exec::run(spec).await
            }
            "copyfiles" => {
                let from = self
                    .dir("s")
                    .join(input("SourceFolder").unwrap_or_default());
                let to = self
                    .dir("s")
                    .join(input("TargetFolder").unwrap_or_default());
                let patterns = input("Contents").unwrap_or_else(|| "**".into());
                match super::files::copy_matching(&from, &to, &patterns) {
                    Ok(n) => {
                        self.line(&format!("copied {n} file(s) to {}", to.display()));
                        StepEnd {
                            outcome: Some(Outcome::Succeeded),
                            ..StepEnd::default()
                        }
                    }
                    Err(e) => Self::done(Outcome::Failed, e),
                }
            }
            "archivefiles" => {
                let root = input("rootFolderOrFile")
                    .unwrap_or_else(|| "$(Build.BinariesDirectory)".into());
                let archive = input("archiveFile").unwrap_or_else(|| {
                    "$(Build.ArtifactStagingDirectory)/$(Build.BuildId).zip".into()
                });
                let (root, archive) = (expand(&root, &self.vars), expand(&archive, &self.vars));
                let include_root =
                    input("includeRootFolder").is_none_or(|v| v.eq_ignore_ascii_case("true"));
                let kind = input("archiveType").unwrap_or_else(|| "zip".into());
                let (dir, what) = if include_root {
                    let p = Path::new(&root);
                    (
                        p.parent().map_or(".".into(), |d| d.display().to_string()),
                        p.file_name()
                            .map_or(".".into(), |n| n.to_string_lossy().into_owned()),
                    )
                } else {
                    (root.clone(), ".".to_string())
                };
                let script = if kind.eq_ignore_ascii_case("tar") {
                    format!(
                        "mkdir -p \"$(dirname {a})\" && tar -C {d} -czf {a} {w}",
                        a = quote(&archive),
                        d = quote(&dir),
                        w = quote(&what)
                    )
                } else {
                    format!(
                        "mkdir -p \"$(dirname {a})\" && cd {d} && zip -qr {a} {w}",
                        a = quote(&archive),
                        d = quote(&dir),
                        w = quote(&what)
                    )
                };
                exec::run(self.spec(step, i, Program::Bash(script))).await
            }
            "extractfiles" => {
                let pattern = input("archiveFilePatterns").unwrap_or_default();
                let dest = input("destinationFolder").unwrap_or_default();
                let script = format!(
                    "mkdir -p {d} && for f in {p}; do case \"$f\" in *.zip) unzip -qo \"$f\" -d {d};; *) tar -xf \"$f\" -C {d};; esac; done",
                    d = quote(&dest),
                    p = pattern.split_whitespace().collect::<Vec<_>>().join(" ")
                );
                exec::run(self.spec(step, i, Program::Bash(script))).await
            }
            "publishpipelineartifact" | "downloadpipelineartifact" => {
                let artifact = input("artifact")
                    .or_else(|| input("artifactName"))
                    .unwrap_or_else(|| "drop".into());
                let kind = if name.starts_with("publish") {
                    StepKind::Publish {
                        artifact,
                        path: input("targetPath")
                            .or_else(|| input("path"))
                            .unwrap_or_else(|| "$(Pipeline.Workspace)".into()),
                    }
                } else {
                    StepKind::Download {
                        artifact,
                        patterns: None,
                    }
                };
                let inner = ir::Step {
                    kind,
                    ..step.clone()
                };
                Box::pin(self.step(&inner, i, &mut Vec::new())).await
            }
            "delay" => Self::done(
                Outcome::Succeeded,
                format!(
                    "a delay of {} minute(s) passes on the run's clock",
                    input("delayForMinutes").unwrap_or_default()
                ),
            ),
            _ => {
                self.line(&format!(
                    "warning: {task} is not run locally (no local meaning; map it with --task {task}=COMMAND)"
                ));
                StepEnd {
                    outcome: Some(Outcome::Skipped),
                    reason: Some(format!("{task} is not run locally")),
                    issues: vec![format!("warning: {task} was not run locally")],
                    ..StepEnd::default()
                }
            }
        }
    }
}

/// A job's status after a step: the worse of the two, skipped steps aside.
fn merge_step(status: Outcome, step: Outcome) -> Outcome {
    if step == Outcome::Skipped {
        status
    } else {
        status.max(step)
    }
}

pub fn step_display(step: &ir::Step) -> String {
    if let Some(d) = &step.display {
        return d.clone();
    }
    match &step.kind {
        StepKind::Script { shell, text } => {
            let first = text.lines().next().unwrap_or("");
            let cut: String = first.chars().take(60).collect();
            format!("{}: {cut}", shell.key())
        }
        StepKind::Task { task, .. } => task.clone(),
        StepKind::Publish { artifact, .. } => format!("Publish {artifact}"),
        StepKind::Download { artifact, .. } => format!("Download {artifact}"),
        StepKind::NoDownload => "Download none".to_string(),
        StepKind::Checkout { repository, .. } => format!("Checkout {repository}"),
        StepKind::Template(t) => format!("Template {}", t.reference()),
        StepKind::DownloadPipeline {
            pipeline, artifact, ..
        } => match artifact {
            Some(a) => format!("Download {pipeline}.{a}"),
            None => format!("Download {pipeline}"),
        },
    }
}

/// Copy the working tree (what Git tracks and does not ignore, when it is a
/// Git work tree; else every file) into `dest`, leaving out relc's state.
fn copy_sources(from: &Path, dest: &Path, state_dir: &Path) -> Result<usize, String> {
    let listed = std::process::Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(from)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success());
    let files: Vec<PathBuf> = match listed {
        Some(out) => out
            .stdout
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            .collect(),
        None => super::files::list(from).map_err(|e| e.to_string())?,
    };
    let state = state_dir.canonicalize().unwrap_or(state_dir.to_path_buf());
    let mut n = 0;
    for rel in files {
        let src = from.join(&rel);
        if src.canonicalize().is_ok_and(|c| c.starts_with(&state)) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&src) else {
            continue; // deleted but still in the index
        };
        if !meta.is_file() {
            continue;
        }
        let target = dest.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::copy(&src, &target).map_err(|e| format!("{}: {e}", src.display()))?;
        n += 1;
    }
    Ok(n)
}

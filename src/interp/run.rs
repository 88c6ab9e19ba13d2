//! `relc run` and `relc resume`: a ready-queue scheduler over the true
//! dependency graph.
//!
//! A stage is decided the moment its own dependencies are finished (its
//! condition, then its gates); a job starts the moment its stage has started
//! and its own dependencies are finished, up to `--max-parallel` at once.
//! Nothing waits for a whole level.
//!
//! Every state change is an [`Event`]: recorded (flushed to disk) first, then
//! applied to the in-memory [`State`] by [`State::apply`], the same function
//! that rebuilds the state from the record on `relc resume`. So what a run
//! did is exactly what its record says.

use super::approvals::{Approval, tally};
pub use super::approvals::{check_verdict, waiting_approvals};
use super::context::Scope;
use super::gates::{self, StageCheck};
use super::job::{JobRun, Report};
use super::mask::Masker;
use super::outcome::Outcome;
use super::plan::{self, judge};
use super::record::{self, Event, Record};
use super::state::{JobStatus, StageStatus};
pub use super::state::{State, requested_for, secrets_of};
use super::store;
use crate::check::cron::DateTime;
use crate::ir::{self, CheckKind, GateWait, JobKind};
use indexmap::IndexMap;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// A verdict given on the command line or at a prompt.
#[derive(Debug, Clone)]
pub struct GivenVerdict {
    /// A gate id (`staging/approval`, `QA/qa_signoff`), an environment or a stage.
    pub target: String,
    pub approve: bool,
    pub by: String,
    pub comment: Option<String>,
}

pub struct Options {
    pub state_dir: PathBuf,
    /// The directory whose working tree `checkout self` copies.
    pub sources: PathBuf,
    pub max_parallel: usize,
    pub verdicts: Vec<GivenVerdict>,
    /// Ask on the terminal for approvals nobody has given yet.
    pub prompt: bool,
    /// Print events as JSON lines on stdout instead of progress.
    pub json: bool,
    /// `Task@N` → command, for tasks with no local meaning.
    pub task_commands: Arc<Vec<(String, String)>>,
    /// Secret values, by name.
    pub secrets: Vec<(String, String)>,
    /// Artifacts pinned by `relc promote`: name → fingerprint.
    pub pinned: IndexMap<String, String>,
    /// HTTP check connection → local base URL.
    pub connections: Vec<(String, String)>,
    /// Runs script steps instead of processes (tests of semantics).
    pub executor: Option<super::exec::Executor>,
    /// Print nothing (the record is still written).
    pub quiet: bool,
}

/// What one check decides now.
enum Verdict {
    Pass(String),
    Fail(Outcome, String),
    Wait(String),
}

struct Runner {
    state: State,
    record: Record,
    options: Options,
    masker: Masker,
    tx: tokio::sync::mpsc::UnboundedSender<Report>,
    rx: tokio::sync::mpsc::UnboundedReceiver<Report>,
    cancel_tx: tokio::sync::watch::Sender<bool>,
    running: usize,
    /// Events emitted so far: `advance` repeats until a pass changes nothing.
    emitted: usize,
    progress: std::cell::RefCell<super::progress::Progress>,
    /// When (on the run's clock) each HTTP check last asked its service, and
    /// what it was told: asked again only after its retry interval.
    asked: HashMap<String, (i64, String)>,
}

/// How a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Finished(Outcome),
    Waiting,
}

impl Runner {
    fn emit(&mut self, e: Event) {
        if let Err(err) = self.record.append(&e) {
            eprintln!("error: cannot write the run record: {err}");
        }
        self.state.apply(&e);
        self.show(&e);
        self.emitted += 1;
    }

    fn show(&self, e: &Event) {
        if self.options.quiet {
            return;
        }
        if self.options.json {
            let line = serde_json::to_string(e).unwrap_or_default();
            say!("{}", self.masker.mask(&line));
            return;
        }
        {
            let mut p = self.progress.borrow_mut();
            match e {
                Event::JobStarted { stage, job, .. } => p.job_started(format!("{stage}/{job}")),
                Event::StepStarted {
                    stage, job, step, ..
                } => p.step_started(&format!("{stage}/{job}"), step + 1),
                Event::JobFinished { stage, job, .. } => p.job_finished(&format!("{stage}/{job}")),
                _ => {}
            }
        }
        let line = match e {
            Event::StageStarted { stage } => {
                let mut line = format!("▶ {stage}");
                if let Some(s) = self.state.pipeline.stages.get(stage) {
                    for n in super::external::stage_notes(s) {
                        line.push_str(&format!("\n  warning: {n}"));
                    }
                }
                line
            }
            Event::StageSkipped { stage, reason } => format!("- {stage}: skipped: {reason}"),
            Event::GateWaiting { gate, reason, .. } => format!("⏸ {gate}: {reason}"),
            Event::GatePassed { gate, reason, .. } => format!("✓ {gate}: {reason}"),
            Event::GateFailed {
                gate,
                outcome,
                reason,
                ..
            } => format!("✗ {gate}: {outcome}: {reason}"),
            Event::Verdict {
                gate,
                approve,
                by,
                comment,
                ..
            } => format!(
                "{} {gate} by {by}{}",
                if *approve { "approved" } else { "rejected" },
                comment.as_ref().map_or(String::new(), |c| format!(": {c}"))
            ),
            Event::JobStarted { stage, job, .. } => format!("  ▶ {stage}/{job}"),
            Event::JobSkipped { stage, job, reason } => {
                format!("  - {stage}/{job}: skipped: {reason}")
            }
            Event::StepStarted {
                stage,
                job,
                step,
                display,
            } => format!("[{stage}/{job}] step {}: {display}", step + 1),
            Event::StepFinished {
                stage,
                job,
                step,
                outcome,
                reason,
                seconds,
                ..
            } => {
                let why = reason.as_ref().map_or(String::new(), |r| format!(": {r}"));
                format!(
                    "[{stage}/{job}] step {} {outcome}{why} ({seconds:.1}s)",
                    step + 1
                )
            }
            Event::ArtifactPublished {
                artifact,
                fingerprint,
                ..
            } => format!("  artifact {artifact} = {}", store::short(fingerprint)),
            Event::Deployed {
                environment,
                artifacts,
                ..
            } => {
                let what: Vec<String> = artifacts
                    .iter()
                    .map(|(a, f)| format!("{a} {}", store::short(f)))
                    .collect();
                format!("  deployed {} to {environment}", what.join(", "))
            }
            Event::JobFinished {
                stage,
                job,
                outcome,
                seconds,
            } => format!(
                "  {} {stage}/{job}: {outcome} ({seconds:.1}s)",
                mark(*outcome)
            ),
            Event::StageFinished { stage, outcome } => {
                format!("{} {stage}: {outcome}", mark(*outcome))
            }
            Event::CancelRequested => {
                "canceling: running steps are stopped; always() steps still run".into()
            }
            _ => return,
        };
        self.progress.borrow_mut().line(&self.masker.mask(&line));
    }

    /// Decide every stage whose dependencies are done and start the jobs that
    /// are ready, until nothing more can happen without a job finishing.
    fn advance(&mut self) {
        loop {
            let before = self.emitted;
            self.advance_once();
            if self.emitted == before {
                break;
            }
        }
    }

    fn advance_once(&mut self) {
        let order: Vec<String> = plan::stage_order(&self.state.pipeline)
            .into_iter()
            .map(String::from)
            .collect();
        for name in &order {
            match self.state.stages[name].status {
                StageStatus::Pending => self.decide_stage(name),
                StageStatus::Started => self.drive_stage(name),
                StageStatus::Done(_) => {}
            }
        }
    }

    fn decide_stage(&mut self, name: &str) {
        let pipeline = self.state.pipeline.clone();
        let stage = &pipeline.stages[name];
        if stage
            .depends_on
            .iter()
            .any(|d| self.state.stage_done(d).is_none())
        {
            return;
        }
        let finished = self.state.finished_stages();
        let scope = Scope {
            vars: &self.state.base,
            direct: &stage.depends_on,
            finished: &finished,
            stage_jobs: None,
            canceled: self.state.canceled,
        };
        match judge(&stage.condition, &scope) {
            (Some(true), _) => self.emit(Event::StageStarted {
                stage: name.to_string(),
            }),
            (_, reason) => self.emit(Event::StageSkipped {
                stage: name.to_string(),
                reason,
            }),
        }
    }

    /// A started stage: its gates, then its jobs, then its end.
    fn drive_stage(&mut self, name: &str) {
        let pipeline = self.state.pipeline.clone();
        let stage = &pipeline.stages[name];
        if self.state.stages[name].failed.is_none() {
            for c in gates::stage_checks(&pipeline, stage) {
                if self.state.stages[name].passed.contains(&c.id) {
                    continue;
                }
                let v = self.check(name, &c);
                self.verdict(name, &c.id, v);
                if self.state.stages[name].failed.is_some() {
                    break;
                }
            }
        }
        if let Some((outcome, _)) = self.state.stages[name].failed.clone() {
            // A failed or timed-out check: nothing in the stage runs.
            let pending: Vec<String> = self.state.stages[name]
                .jobs
                .iter()
                .filter(|(_, j)| matches!(j.status, JobStatus::Pending | JobStatus::Waiting))
                .map(|(n, _)| n.clone())
                .collect();
            for job in pending {
                self.emit(Event::JobSkipped {
                    stage: name.to_string(),
                    job,
                    reason: "the stage's checks did not pass".into(),
                });
            }
            if self.running_in(name) == 0 {
                self.emit(Event::StageFinished {
                    stage: name.to_string(),
                    outcome,
                });
            }
            return;
        }
        if !self.state.stages[name].waiting.is_empty()
            && self.state.stages[name].waiting.keys().any(|g| {
                !g.contains(&format!("{name}/"))
                    || !stage
                        .jobs
                        .contains_key(g.split_once('/').map_or("", |x| x.1))
            })
        {
            return; // a stage check still waits: no job starts
        }
        for jname in plan::job_order(stage) {
            let status = self.state.stages[name].jobs[jname].status.clone();
            match status {
                JobStatus::Pending | JobStatus::Waiting => {}
                _ => continue,
            }
            let job = &stage.jobs[jname];
            if job.depends_on.iter().any(|d| {
                !matches!(
                    self.state.stages[name].jobs[d.as_str()].status,
                    JobStatus::Done(_)
                )
            }) {
                continue;
            }
            // A matrix or parallel job runs nothing itself: it is done when its copies are.
            if let Some(ir::Local::Legs { legs, .. }) = job.local.as_deref() {
                let outcome = Outcome::merge(legs.iter().map(|l| {
                    match self.state.stages[name]
                        .jobs
                        .get(l.as_str())
                        .map(|j| &j.status)
                    {
                        Some(JobStatus::Done(o)) => *o,
                        _ => Outcome::Skipped,
                    }
                }));
                self.emit(Event::JobFinished {
                    stage: name.to_string(),
                    job: jname.to_string(),
                    outcome,
                    seconds: 0.0,
                });
                continue;
            }
            if status == JobStatus::Pending {
                let finished = self.state.finished_jobs(name);
                let upstream = self.state.upstream_jobs(name);
                let mut vars = self.state.base.clone();
                plan::declare(&mut vars, &stage.variables);
                plan::declare(&mut vars, &job.variables);
                let scope = Scope {
                    vars: &vars,
                    direct: &job.depends_on,
                    finished: &finished,
                    stage_jobs: Some(&upstream),
                    canceled: self.state.canceled,
                };
                let default = plan::default_job_condition();
                match judge(job.condition.as_ref().unwrap_or(&default), &scope) {
                    (Some(true), _) => {}
                    (_, reason) => {
                        self.emit(Event::JobSkipped {
                            stage: name.to_string(),
                            job: jname.to_string(),
                            reason,
                        });
                        continue;
                    }
                }
            }
            if let JobKind::Gate { wait, .. } = &job.kind {
                self.gate_job(name, jname, wait);
                continue;
            }
            // Never its steps on the host as if they were in the container.
            if let Some(reason) = super::container::not_local(job) {
                self.emit(Event::JobSkipped {
                    stage: name.to_string(),
                    job: jname.to_string(),
                    reason,
                });
                continue;
            }
            if self.running >= self.options.max_parallel || self.legs_at_limit(stage, job) {
                continue;
            }
            self.start_job(name, jname);
        }
        let all_done = self.state.stages[name]
            .jobs
            .values()
            .all(|j| matches!(j.status, JobStatus::Done(_)));
        if all_done {
            let outcome =
                Outcome::merge(
                    self.state.stages[name]
                        .jobs
                        .values()
                        .map(|j| match j.status {
                            JobStatus::Done(o) => o,
                            _ => Outcome::Skipped,
                        }),
                );
            let outcome =
                if self.state.canceled && outcome != Outcome::Failed && !outcome.is_success() {
                    Outcome::Canceled
                } else {
                    outcome
                };
            self.emit(Event::StageFinished {
                stage: name.to_string(),
                outcome,
            });
        }
    }

    /// Whether `job` is a copy of a matrix job whose `max_parallel` copies already run.
    fn legs_at_limit(&self, stage: &ir::Stage, job: &ir::Job) -> bool {
        let Some(ir::Local::Leg { of }) = job.local.as_deref() else {
            return false;
        };
        let Some(ir::Local::Legs {
            legs,
            max_parallel: Some(max),
            ..
        }) = stage.jobs.get(of).and_then(|p| p.local.as_deref())
        else {
            return false;
        };
        let running = legs
            .iter()
            .filter(|l| {
                self.state.stages[&stage.name]
                    .jobs
                    .get(l.as_str())
                    .is_some_and(|j| j.status == JobStatus::Running)
            })
            .count();
        running as u64 >= *max
    }

    fn running_in(&self, stage: &str) -> usize {
        self.state.stages[stage]
            .jobs
            .values()
            .filter(|j| j.status == JobStatus::Running)
            .count()
    }

    fn gate_job(&mut self, stage: &str, job: &str, wait: &GateWait) {
        let id = format!("{stage}/{job}");
        let v = match wait {
            GateWait::Delay { minutes } => {
                let now = self.state.now();
                self.emit(Event::ClockSet {
                    simulated_at: now + *minutes as i64 * 60,
                    at: record::unix_now(),
                });
                Verdict::Pass(format!(
                    "waited {} on the run's clock",
                    plan::minutes_text(*minutes)
                ))
            }
            GateWait::Validation {
                approvers,
                requester_can_approve,
                timeout_minutes,
                on_timeout,
                ..
            } => {
                // Without approvers anyone may validate (in Azure, anyone with
                // permission on the run); the notified are only told.
                let can = requester_can_approve.unwrap_or(true);
                match tally(&self.state, stage, &id, None, approvers, 1, can) {
                    Approval::Approved(w) => Verdict::Pass(w),
                    Approval::Rejected(w) => Verdict::Fail(Outcome::Failed, w),
                    Approval::Pending(w) => {
                        let since = self.state.stages[stage].waiting.get(&id).copied();
                        match since {
                            Some(t)
                                if *timeout_minutes > 0
                                    && self.state.now() - t >= *timeout_minutes as i64 * 60 =>
                            {
                                if *on_timeout == ir::OnTimeout::Resume {
                                    Verdict::Pass("timed out; on_timeout resume".into())
                                } else {
                                    Verdict::Fail(
                                        Outcome::Failed,
                                        "timed out; on_timeout reject".into(),
                                    )
                                }
                            }
                            _ => Verdict::Wait(w),
                        }
                    }
                }
            }
        };
        let outcome = match &v {
            Verdict::Pass(_) => Some(Outcome::Succeeded),
            Verdict::Fail(o, _) => Some(*o),
            Verdict::Wait(_) => None,
        };
        match v {
            Verdict::Wait(reason) => {
                if !self.state.stages[stage].waiting.contains_key(&id) {
                    let at = self.state.now();
                    self.emit(Event::GateWaiting {
                        stage: stage.into(),
                        gate: id,
                        reason,
                        at,
                    });
                }
            }
            Verdict::Pass(reason) | Verdict::Fail(_, reason) => {
                let outcome = outcome.expect("decided");
                if outcome.is_success() {
                    self.emit(Event::GatePassed {
                        stage: stage.into(),
                        gate: id.clone(),
                        reason,
                    });
                } else {
                    // A gate job's failure fails the job, not the stage's checks.
                    self.state
                        .stages
                        .get_mut(stage)
                        .expect("stage")
                        .waiting
                        .remove(&id);
                    if !self.options.json {
                        say!("✗ {id}: {reason}");
                    }
                }
                self.emit(Event::JobFinished {
                    stage: stage.into(),
                    job: job.into(),
                    outcome,
                    seconds: 0.0,
                });
            }
        }
    }

    fn verdict(&mut self, stage: &str, gate: &str, v: Verdict) {
        match v {
            Verdict::Pass(reason) => self.emit(Event::GatePassed {
                stage: stage.into(),
                gate: gate.into(),
                reason,
            }),
            Verdict::Fail(outcome, reason) => self.emit(Event::GateFailed {
                stage: stage.into(),
                gate: gate.into(),
                outcome,
                reason,
            }),
            Verdict::Wait(reason) => {
                if !self.state.stages[stage].waiting.contains_key(gate) {
                    let at = self.state.now();
                    self.emit(Event::GateWaiting {
                        stage: stage.into(),
                        gate: gate.into(),
                        reason,
                        at,
                    });
                }
            }
        }
    }

    /// What a stage check says now.
    fn check(&mut self, stage: &str, c: &StageCheck) -> Verdict {
        let since = self.state.stages[stage].waiting.get(&c.id).copied();
        let timed_out = |minutes: u64, now: i64| {
            since.is_some_and(|t| minutes > 0 && now - t >= minutes as i64 * 60)
        };
        let now = self.state.now();
        if self.state.canceled {
            // Canceling a run while its checks are pending cancels the stage.
            return Verdict::Fail(Outcome::Canceled, "the run was canceled".into());
        }
        match &c.check.kind {
            CheckKind::Approval(a) => {
                match tally(
                    &self.state,
                    stage,
                    &c.id,
                    Some(c.environment),
                    &a.approvers,
                    a.min_approvers,
                    a.requester_can_approve,
                ) {
                    Approval::Approved(w) => Verdict::Pass(w),
                    Approval::Rejected(w) => Verdict::Fail(Outcome::Failed, w),
                    Approval::Pending(_) if timed_out(a.timeout_minutes, now) => Verdict::Fail(
                        Outcome::Skipped,
                        format!(
                            "nobody approved within {}",
                            plan::minutes_text(a.timeout_minutes)
                        ),
                    ),
                    Approval::Pending(w) => Verdict::Wait(w),
                }
            }
            CheckKind::BranchControl { allowed, .. } => {
                match gates::branch_allowed(allowed, &self.state.reference) {
                    Ok(()) => Verdict::Pass(format!("{} is allowed", self.state.reference)),
                    Err(why) => Verdict::Fail(Outcome::Failed, why),
                }
            }
            CheckKind::BusinessHours {
                days,
                start,
                end,
                time_zone,
                timeout_minutes,
            } => {
                let at = DateTime::from_unix(now);
                match gates::business_hours(days, start, end, time_zone, at) {
                    Ok(()) => Verdict::Pass(format!("{at} UTC is within business hours")),
                    Err(_) if timed_out(*timeout_minutes, now) => Verdict::Fail(
                        Outcome::Failed,
                        "business hours did not open before the check timed out".into(),
                    ),
                    Err((why, next)) => Verdict::Wait(match next {
                        Some(n) => {
                            format!("{why}; opens {n} UTC (`relc resume RUN --at` moves the clock)")
                        }
                        None => why,
                    }),
                }
            }
            CheckKind::ExclusiveLock { timeout_minutes } => {
                match super::lock::try_lock(&self.options.state_dir, c.environment) {
                    Ok(Some(file)) => {
                        self.state.stages.get_mut(stage).expect("stage").lock = Some(file);
                        Verdict::Pass(format!("holds the exclusive lock on {}", c.environment))
                    }
                    Ok(None) if timed_out(*timeout_minutes, now) => Verdict::Fail(
                        Outcome::Failed,
                        format!("the lock on {} was not free in time", c.environment),
                    ),
                    Ok(None) => Verdict::Wait(format!(
                        "another run holds the exclusive lock on {}",
                        c.environment
                    )),
                    Err(e) => Verdict::Fail(Outcome::Failed, format!("cannot take the lock: {e}")),
                }
            }
            CheckKind::Http(h) => {
                if timed_out(h.timeout_minutes, now) {
                    return Verdict::Fail(
                        Outcome::Failed,
                        "the HTTP check did not pass in time".into(),
                    );
                }
                // Every pass of the scheduler comes here: the service is asked
                // once per retry interval (at least a minute), not once per pass.
                let interval = h.retry_interval_minutes.max(1) as i64 * 60;
                if let Some((last, answer)) = self.asked.get(&c.id)
                    && now - last < interval
                {
                    return Verdict::Wait(answer.clone());
                }
                match super::http::check(
                    h,
                    &self.options.connections,
                    &self.state.base,
                    &self.masker,
                ) {
                    Ok(w) => Verdict::Pass(w),
                    Err(super::http::Failure::NotYet(w)) => {
                        self.asked.insert(c.id.clone(), (now, w.clone()));
                        Verdict::Wait(w)
                    }
                    Err(super::http::Failure::Broken(w)) => Verdict::Fail(Outcome::Failed, w),
                }
            }
        }
    }

    fn start_job(&mut self, stage: &str, job: &str) {
        let pipeline = self.state.pipeline.clone();
        let ir_stage = &pipeline.stages[stage];
        let ir_job = ir_stage.jobs[job].clone();
        let js = &self.state.stages[stage].jobs[job];
        let workspace = js.workspace.clone().unwrap_or_else(|| {
            self.options
                .state_dir
                .join("work")
                .join(self.state.id.to_string())
                .join(format!("{stage}.{job}"))
        });
        let done = js.steps.clone();
        let mut vars = self.state.base.clone();
        plan::declare(&mut vars, &ir_stage.variables);
        plan::declare(&mut vars, &ir_job.variables);
        for (n, v) in &self.options.secrets {
            vars.set(n, v.as_str(), true);
        }
        // Output variables of the jobs and stages it depends on, as macros can read them.
        for (k, f) in self.state.finished_jobs(stage) {
            for (key, v) in &f.outputs {
                vars.set(
                    &format!("dependencies.{k}.outputs['{key}']"),
                    v.as_str(),
                    false,
                );
            }
        }
        let environment = match &ir_job.kind {
            JobKind::Deployment { environment } => pipeline.environments.get(environment).cloned(),
            _ => None,
        };
        let mut artifacts = self.state.artifacts.clone();
        for (a, f) in &self.options.pinned {
            artifacts.insert(a.clone(), f.clone());
        }
        self.emit(Event::JobStarted {
            stage: stage.into(),
            job: job.into(),
            workspace: workspace.clone(),
        });
        let run = JobRun {
            stage: stage.into(),
            job: ir_job,
            environment,
            vars,
            done,
            workspace,
            sources: self.options.sources.clone(),
            artifacts,
            state_dir: self.options.state_dir.clone(),
            logs: self.record.dir.join("logs"),
            masker: self.masker.clone(),
            cancel: self.cancel_tx.subscribe(),
            task_commands: self.options.task_commands.clone(),
            executor: self.options.executor.clone(),
            prefix: (!self.options.json).then(|| format!("[{stage}/{job}] ")),
            tx: self.tx.clone(),
            deadline: None,
            container_resources: pipeline.resources.containers.clone(),
            session: None,
        };
        self.running += 1;
        tokio::spawn(run.run());
    }

    fn on_report(&mut self, r: Report) {
        match r {
            Report::Line(l) => {
                if !self.options.quiet {
                    self.progress.borrow_mut().line(&l)
                }
            }
            Report::Event(e) => {
                if let Event::Deployed {
                    environment,
                    stage,
                    job,
                    artifacts,
                } = &e
                {
                    for (artifact, fingerprint) in artifacts {
                        let d = store::Deployment {
                            environment: environment.clone(),
                            artifact: artifact.clone(),
                            fingerprint: fingerprint.clone(),
                            run: self.state.id,
                            stage: stage.clone(),
                            job: job.clone(),
                            at: self.state.now(),
                        };
                        if let Err(err) = store::record_deployment(&self.options.state_dir, &d) {
                            eprintln!("error: cannot write the ledger: {err}");
                        }
                    }
                }
                self.emit(e);
            }
            Report::Done {
                stage,
                job,
                outcome,
                outputs,
                seconds,
            } => {
                self.running -= 1;
                if let Some(j) = self.state.job_mut(&stage, &job) {
                    j.outputs = outputs;
                }
                let ir_job = &self.state.pipeline.stages[&stage].jobs[&job];
                // A job that may fail without failing the run counts as partial success.
                let outcome = if outcome == Outcome::Failed && ir_job.continue_on_error {
                    Outcome::SucceededWithIssues
                } else {
                    outcome
                };
                self.emit(Event::JobFinished {
                    stage,
                    job,
                    outcome,
                    seconds,
                });
            }
        }
    }

    /// Ask on the terminal about each approval that waits; true if any verdict was given.
    fn prompt(&mut self) -> bool {
        use std::io::{BufRead, Write};
        let mut given = false;
        for (gate, _stage, approvers, can) in waiting_approvals(&self.state) {
            let who = if approvers.is_empty() {
                "anyone".into()
            } else {
                approvers.join(", ")
            };
            say_inline!("approve {gate} (approvers: {who})? [y]es / [n]o / [l]ater: ");
            let _ = std::io::stdout().flush();
            let mut answer = String::new();
            if std::io::stdin().lock().read_line(&mut answer).is_err() {
                return given;
            }
            let approve = match answer.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => true,
                "n" | "no" => false,
                _ => continue,
            };
            let by = approvers
                .iter()
                .find(|a| can || !a.eq_ignore_ascii_case(&self.state.requested_for))
                .cloned()
                .unwrap_or_else(super::local_user);
            self.emit(Event::Verdict {
                gate,
                approve,
                by,
                comment: Some("at the terminal".into()),
                at: record::unix_now(),
            });
            given = true;
        }
        given
    }

    async fn drive(&mut self) -> Stop {
        let mut interrupts = 0;
        // Registered once, before any step runs: an interrupt that arrives
        // while the loop is busy waits for the next `select!` instead of
        // being lost.
        let mut interrupt = Interrupt::new();
        loop {
            if self.state.finished.is_none() {
                self.advance();
            }
            let all_done = self
                .state
                .stages
                .values()
                .all(|s| matches!(s.status, StageStatus::Done(_)));
            if all_done {
                let outcome = Outcome::merge(self.state.stages.values().map(|s| match s.status {
                    StageStatus::Done(o) => o,
                    _ => Outcome::Skipped,
                }));
                let outcome = if self.state.canceled {
                    Outcome::Canceled
                } else {
                    outcome
                };
                let outcome = if outcome == Outcome::Skipped {
                    Outcome::Succeeded
                } else {
                    outcome
                };
                if self.state.finished.is_none() {
                    self.emit(Event::RunFinished { outcome });
                }
                return Stop::Finished(outcome);
            }
            if self.running == 0 {
                let waiting: Vec<String> = self
                    .state
                    .stages
                    .values()
                    .flat_map(|s| s.waiting.keys().cloned())
                    .collect();
                let locks = self.state.stages.iter().any(|(n, s)| {
                    s.waiting.keys().any(|g| {
                        g.ends_with("/lock") && self.state.stages[n].status == StageStatus::Started
                    })
                });
                if locks {
                    tokio::select! {
                        _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
                        _ = interrupt.next() => self.interrupted(&mut interrupts),
                    }
                    continue;
                }
                if self.options.prompt
                    && !waiting_approvals(&self.state).is_empty()
                    && self.prompt()
                {
                    continue;
                }
                if !waiting.is_empty() {
                    self.emit(Event::RunWaiting { on: waiting });
                    return Stop::Waiting;
                }
                // Nothing runs, nothing waits, yet not done: a dependency that can
                // never finish (cannot happen for a checked pipeline).
                let outcome = Outcome::Failed;
                self.emit(Event::RunFinished { outcome });
                return Stop::Finished(outcome);
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {
                    self.progress.borrow_mut().draw();
                }
                r = self.rx.recv() => {
                    if let Some(r) = r {
                        self.on_report(r);
                    }
                }
                _ = interrupt.next() => self.interrupted(&mut interrupts),
            }
        }
    }

    /// Ctrl-C: the first cancels the run (running steps are stopped, `always()`
    /// steps still run), the second kills every step and exits.
    fn interrupted(&mut self, interrupts: &mut u32) {
        *interrupts += 1;
        if *interrupts == 1 {
            self.emit(Event::CancelRequested);
            let _ = self.cancel_tx.send(true);
        } else {
            eprintln!("second interrupt: killing every step now");
            super::exec::kill_all();
            std::process::exit(130);
        }
    }

    fn summary(&self) {
        if self.options.json || self.options.quiet {
            return;
        }
        self.progress.borrow_mut().finish();
        say!(
            "\nrun {} — {}",
            self.state.id,
            self.state.pipeline.title.as_deref().unwrap_or("pipeline")
        );
        for (sname, s) in &self.state.stages {
            let so = match &s.status {
                StageStatus::Done(o) => o.as_str().to_string(),
                StageStatus::Started if !s.waiting.is_empty() => "Waiting".into(),
                StageStatus::Started => "Running".into(),
                StageStatus::Pending => "Pending".into(),
            };
            say!("  {sname:<24} {so}");
            for (jname, j) in &s.jobs {
                let jo = match &j.status {
                    JobStatus::Done(o) => o.as_str().to_string(),
                    JobStatus::Waiting => "Waiting".into(),
                    JobStatus::Running => "Running".into(),
                    JobStatus::Pending => "Pending".into(),
                };
                let secs = self
                    .state
                    .durations
                    .get(&(sname.clone(), jname.clone()))
                    .map_or(String::new(), |s| format!("{s:>7.1}s"));
                say!("    {jname:<22} {jo:<20}{secs}");
            }
        }
        for (at, step, lines) in &self.state.failures {
            say!("\n  {at} {step}:");
            for l in lines.iter().rev().take(5).rev() {
                say!("    | {l}");
            }
        }
        if !self.state.gate_log.is_empty() {
            say!("\n  gates:");
            for g in &self.state.gate_log {
                say!("    {g}");
            }
        }
        for n in &self.state.not_local {
            say!("  note: {n}");
        }
        let p = &self.state.pipeline;
        let stage_notes = p.stages.values().flat_map(super::external::stage_notes);
        for n in super::external::pipeline_notes(p)
            .into_iter()
            .chain(stage_notes)
        {
            say!("  note: {n}");
        }
    }
}

/// SIGINT (Ctrl-C) and SIGTERM as a stream that keeps a signal until it is
/// read; both mean "cancel the run".
struct Interrupt {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Interrupt {
    fn new() -> Interrupt {
        use tokio::signal::unix::{SignalKind, signal};
        Interrupt {
            int: signal(SignalKind::interrupt()).ok(),
            term: signal(SignalKind::terminate()).ok(),
        }
    }

    async fn next(&mut self) {
        async fn one(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        if self.int.is_none() && self.term.is_none() {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
        tokio::select! {
            _ = one(&mut self.int) => {}
            _ = one(&mut self.term) => {}
        }
    }
}

/// Run (or resume) until the run finishes or waits.
pub async fn drive(state: State, record: Record, options: Options) -> Stop {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (cancel_tx, _) = tokio::sync::watch::channel(state.canceled);
    let masker = Masker::default();
    for (_, v) in &options.secrets {
        masker.add(v);
    }
    let live = {
        use std::io::IsTerminal;
        !options.json && !options.quiet && std::io::stdout().is_terminal()
    };
    let mut runner = Runner {
        state,
        record,
        options,
        masker,
        tx,
        rx,
        cancel_tx,
        running: 0,
        emitted: 0,
        progress: std::cell::RefCell::new(super::progress::Progress::new(live)),
        asked: HashMap::new(),
    };
    for v in runner.options.verdicts.clone() {
        runner.emit(Event::Verdict {
            gate: v.target,
            approve: v.approve,
            by: v.by,
            comment: v.comment,
            at: record::unix_now(),
        });
    }
    if !runner.options.json && !runner.options.quiet {
        for n in super::external::pipeline_notes(&runner.state.pipeline) {
            runner.progress.borrow_mut().line(&format!("warning: {n}"));
        }
    }
    let stop = runner.drive().await;
    runner.summary();
    stop
}

/// A new run: its record created, its first event written.
pub fn start(
    pipeline: ir::Pipeline,
    file: &str,
    sim: &super::trigger::Simulation,
    overrides: &[(String, String)],
    options: &Options,
) -> Result<(State, Record), String> {
    let start = super::trigger::start(&pipeline, sim);
    if let Some(why) = &start.not_started {
        return Err(format!("no run starts: {why}"));
    }
    // The record holds the jobs as they run here: matrix legs, flattened hooks.
    let pipeline = super::strategy::localize(pipeline);
    let (id, mut record) = Record::create(&options.state_dir, &pipeline).map_err(|e| {
        format!(
            "cannot create the run record under {}: {e}",
            options.state_dir.display()
        )
    })?;
    let mut state = State::new(id, pipeline);
    let first = Event::RunStarted {
        run: id,
        file: file.to_string(),
        at: record::unix_now(),
        simulated_at: sim.at.to_unix(),
        simulation: sim.clone(),
        start,
        secrets: options.secrets.iter().map(|(n, _)| n.clone()).collect(),
        overrides: overrides.to_vec(),
        max_parallel: options.max_parallel,
    };
    record
        .append(&first)
        .map_err(|e| format!("cannot write the run record: {e}"))?;
    if options.json {
        // The stream starts as the record does: with the run's id and start.
        say!("{}", serde_json::to_string(&first).unwrap_or_default());
    }
    state.apply(&first);
    Ok((state, record))
}

/// A run's state rebuilt from its record. Jobs that were running when the run
/// stopped go back to pending: their finished steps are kept, the interrupted
/// one runs again.
pub fn load(state_dir: &std::path::Path, id: u64) -> Result<(State, Record), String> {
    let dir = record::runs_dir(state_dir).join(id.to_string());
    let pipeline = record::read_pipeline(&dir)?;
    let events = record::read_events(&dir)?;
    let mut state = State::new(id, pipeline);
    for e in &events {
        state.apply(e);
    }
    let pipeline = state.pipeline.clone();
    for (name, s) in state.stages.iter_mut() {
        for j in s.jobs.values_mut() {
            if j.status == JobStatus::Running {
                j.status = JobStatus::Pending;
            }
        }
        // An exclusive lock was held by the process that took it (the kernel
        // dropped it when that process ended): a stage that has not finished
        // takes it again before anything more of it runs.
        if s.status == StageStatus::Started {
            for c in gates::stage_checks(&pipeline, &pipeline.stages[name]) {
                if matches!(c.check.kind, CheckKind::ExclusiveLock { .. }) {
                    s.passed.remove(&c.id);
                }
            }
        }
    }
    let record = Record::open(&dir).map_err(|e| format!("cannot open {}: {e}", dir.display()))?;
    Ok((state, record))
}

fn mark(o: Outcome) -> &'static str {
    match o {
        Outcome::Succeeded => "✓",
        Outcome::SucceededWithIssues => "!",
        Outcome::Failed => "✗",
        Outcome::Canceled => "⊘",
        Outcome::Skipped => "-",
    }
}

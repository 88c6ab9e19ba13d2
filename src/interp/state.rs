//! A run's state: a fold of its events ([`State::apply`] is the one place
//! it changes), and the views of it that conditions read (finished stages and
//! jobs with their outputs).

use super::context::{Finished, Vars};
use super::outcome::Outcome;
use super::plan;
use super::record::{self, Event, SetVariable};
use crate::check::cron::DateTime;
use crate::ir::{self, JobKind};
use indexmap::IndexMap;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum StageStatus {
    Pending,
    /// Started: its gates are being decided or its jobs run.
    Started,
    Done(Outcome),
}

#[derive(Debug, Clone, PartialEq)]
pub enum JobStatus {
    Pending,
    Running,
    /// A gate job waiting for a person.
    Waiting,
    Done(Outcome),
}

pub struct JobState {
    pub status: JobStatus,
    pub steps: Vec<(Outcome, Vec<SetVariable>)>,
    pub outputs: IndexMap<String, String>,
    pub workspace: Option<PathBuf>,
}

pub struct StageState {
    pub status: StageStatus,
    pub passed: HashSet<String>,
    pub failed: Option<(Outcome, String)>,
    pub waiting: HashMap<String, i64>,
    pub jobs: IndexMap<String, JobState>,
    pub lock: Option<std::fs::File>,
}

/// A run's state: a fold of its events.
pub struct State {
    pub id: u64,
    pub pipeline: Arc<ir::Pipeline>,
    pub base: Vars,
    pub stages: IndexMap<String, StageState>,
    pub verdicts: Vec<(String, bool, String, Option<String>)>,
    pub artifacts: IndexMap<String, String>,
    pub canceled: bool,
    /// (simulated, real) unix seconds at the last clock event.
    pub clock: (i64, i64),
    pub requested_for: String,
    pub reference: String,
    pub finished: Option<Outcome>,
    pub durations: HashMap<(String, String), f64>,
    pub failures: Vec<(String, String, Vec<String>)>,
    pub not_local: Vec<String>,
    /// How each gate was decided, for the summary.
    pub gate_log: Vec<String>,
}

impl State {
    pub(crate) fn new(id: u64, pipeline: ir::Pipeline) -> State {
        let stages = pipeline
            .stages
            .iter()
            .map(|(n, s)| {
                let jobs = s
                    .jobs
                    .keys()
                    .map(|j| {
                        (
                            j.clone(),
                            JobState {
                                status: JobStatus::Pending,
                                steps: Vec::new(),
                                outputs: IndexMap::new(),
                                workspace: None,
                            },
                        )
                    })
                    .collect();
                (
                    n.clone(),
                    StageState {
                        status: StageStatus::Pending,
                        passed: HashSet::new(),
                        failed: None,
                        waiting: HashMap::new(),
                        jobs,
                        lock: None,
                    },
                )
            })
            .collect();
        State {
            id,
            pipeline: Arc::new(pipeline),
            base: Vars::default(),
            stages,
            verdicts: Vec::new(),
            artifacts: IndexMap::new(),
            canceled: false,
            clock: (0, 0),
            requested_for: String::new(),
            reference: String::new(),
            finished: None,
            durations: HashMap::new(),
            failures: Vec::new(),
            not_local: Vec::new(),
            gate_log: Vec::new(),
        }
    }

    /// The run's simulated time now.
    pub fn now(&self) -> i64 {
        self.clock.0 + (record::unix_now() - self.clock.1)
    }

    pub(crate) fn job_mut(&mut self, stage: &str, job: &str) -> Option<&mut JobState> {
        self.stages.get_mut(stage)?.jobs.get_mut(job)
    }

    /// The one place state changes.
    pub fn apply(&mut self, e: &Event) {
        match e {
            Event::RunStarted {
                simulated_at,
                at,
                start,
                overrides,
                simulation,
                secrets,
                ..
            } => {
                self.clock = (*simulated_at, *at);
                self.base = plan::base_vars(&self.pipeline, start, overrides);
                for s in secrets {
                    self.base.set(s, "", true);
                }
                self.base.set("Build.BuildId", self.id.to_string(), false);
                let day = DateTime::from_unix(*simulated_at);
                self.base.set(
                    "Build.BuildNumber",
                    format!("{:04}{:02}{:02}.{}", day.year, day.month, day.day, self.id),
                    false,
                );
                self.requested_for = simulation.requested_for.clone();
                self.reference = self
                    .base
                    .get("Build.SourceBranch")
                    .unwrap_or("")
                    .to_string();
            }
            Event::ClockSet { simulated_at, at } => self.clock = (*simulated_at, *at),
            Event::StageStarted { stage } => {
                if let Some(s) = self.stages.get_mut(stage) {
                    s.status = StageStatus::Started;
                }
            }
            Event::StageSkipped { stage, .. } => {
                if let Some(s) = self.stages.get_mut(stage) {
                    s.status = StageStatus::Done(Outcome::Skipped);
                    for j in s.jobs.values_mut() {
                        j.status = JobStatus::Done(Outcome::Skipped);
                    }
                }
            }
            Event::GateWaiting {
                stage, gate, at, ..
            } => {
                if let Some(s) = self.stages.get_mut(stage) {
                    s.waiting.entry(gate.clone()).or_insert(*at);
                    if let Some((_, job)) = gate.split_once('/')
                        && let Some(j) = s.jobs.get_mut(job)
                    {
                        j.status = JobStatus::Waiting;
                    }
                }
            }
            Event::Verdict {
                gate,
                approve,
                by,
                comment,
                ..
            } => self
                .verdicts
                .push((gate.clone(), *approve, by.clone(), comment.clone())),
            Event::GatePassed {
                stage,
                gate,
                reason,
            } => {
                self.gate_log.push(format!("{gate}: {reason}"));
                if let Some(s) = self.stages.get_mut(stage) {
                    s.waiting.remove(gate);
                    s.passed.insert(gate.clone());
                }
            }
            Event::GateFailed {
                stage,
                gate,
                outcome,
                reason,
            } => {
                self.gate_log.push(format!("{gate}: {outcome}: {reason}"));
                if let Some(s) = self.stages.get_mut(stage) {
                    s.waiting.remove(gate);
                    s.failed = Some((*outcome, format!("{gate}: {reason}")));
                }
            }
            Event::JobStarted {
                stage,
                job,
                workspace,
            } => {
                if let Some(j) = self.job_mut(stage, job) {
                    j.status = JobStatus::Running;
                    j.workspace = Some(workspace.clone());
                }
            }
            Event::JobSkipped { stage, job, .. } => {
                if let Some(j) = self.job_mut(stage, job) {
                    j.status = JobStatus::Done(Outcome::Skipped);
                }
            }
            Event::StepStarted { .. } => {}
            Event::StepFinished {
                stage,
                job,
                step,
                outcome,
                variables,
                tail,
                reason,
                issues,
                ..
            } => {
                // Output variables as later jobs read them (`step.var`): rebuilt
                // from the record too, so that a resumed run still has them.
                let reference = self
                    .pipeline
                    .stages
                    .get(stage)
                    .and_then(|s| s.jobs.get(job))
                    .and_then(|j| j.steps.get(*step))
                    .and_then(|s| s.options().name.clone());
                if let Some(j) = self.job_mut(stage, job) {
                    for v in variables.iter().filter(|v| v.output) {
                        if let Some(value) = &v.value {
                            let key = match &reference {
                                Some(r) => format!("{r}.{}", v.name),
                                None => v.name.clone(),
                            };
                            j.outputs.insert(key, value.clone());
                        }
                    }
                    if j.steps.len() == *step {
                        j.steps.push((*outcome, variables.clone()));
                    } else if j.steps.len() < *step {
                        // Steps before it were skipped without an event (never happens
                        // in a record relc wrote); keep indices aligned regardless.
                        j.steps.resize(*step, (Outcome::Skipped, Vec::new()));
                        j.steps.push((*outcome, variables.clone()));
                    }
                }
                if matches!(outcome, Outcome::Failed | Outcome::Canceled) {
                    let mut lines = tail.clone();
                    if let Some(r) = reason {
                        lines.push(r.clone());
                    }
                    self.failures.push((
                        format!("{stage}/{job}"),
                        format!("step {}", step + 1),
                        lines,
                    ));
                }
                for i in issues {
                    if i.contains("was not run locally") && !self.not_local.contains(i) {
                        self.not_local.push(i.clone());
                    }
                }
            }
            Event::ArtifactPublished {
                artifact,
                fingerprint,
                ..
            } => {
                self.artifacts.insert(artifact.clone(), fingerprint.clone());
            }
            Event::Deployed { .. } => {}
            Event::JobFinished {
                stage,
                job,
                outcome,
                seconds,
            } => {
                self.durations
                    .insert((stage.clone(), job.clone()), *seconds);
                let outputs = self.leg_outputs(stage, job);
                if let Some(j) = self.job_mut(stage, job) {
                    j.status = JobStatus::Done(*outcome);
                    j.outputs.extend(outputs);
                }
            }
            Event::StageFinished { stage, outcome } => {
                if let Some(s) = self.stages.get_mut(stage) {
                    s.status = StageStatus::Done(*outcome);
                    s.lock = None;
                }
            }
            Event::RunWaiting { .. } => {}
            Event::CancelRequested => self.canceled = true,
            Event::RunFinished { outcome } => self.finished = Some(*outcome),
        }
    }

    /// The outputs of a matrix or parallel job: its copies', keyed as Azure
    /// keys them, `leg.step.var` (none for any other job).
    fn leg_outputs(&self, stage: &str, job: &str) -> Vec<(String, String)> {
        let legs = match self
            .pipeline
            .stages
            .get(stage)
            .and_then(|s| s.jobs.get(job))
            .and_then(|j| j.local.as_deref())
        {
            Some(ir::Local::Legs { legs, .. }) => legs,
            _ => return Vec::new(),
        };
        let prefix = format!("{job} ");
        let mut out = Vec::new();
        for l in legs {
            let short = l.strip_prefix(&prefix).unwrap_or(l);
            if let Some(js) = self.stages.get(stage).and_then(|s| s.jobs.get(l.as_str())) {
                for (k, v) in &js.outputs {
                    out.push((format!("{short}.{k}"), v.clone()));
                }
            }
        }
        out
    }

    pub(crate) fn stage_done(&self, name: &str) -> Option<Outcome> {
        match self.stages.get(name)?.status {
            StageStatus::Done(o) => Some(o),
            _ => None,
        }
    }

    /// `Finished` records of the stages that are done, with their outputs
    /// keyed `job.step.var` (runOnce deployments: `job.job.step.var`).
    pub(crate) fn finished_stages(&self) -> HashMap<String, Finished> {
        let mut out: HashMap<String, Finished> = HashMap::new();
        for name in plan::stage_order(&self.pipeline) {
            let Some(outcome) = self.stage_done(name) else {
                continue;
            };
            let st = &self.stages[name];
            let mut outputs = IndexMap::new();
            for (j, js) in &st.jobs {
                for (k, v) in &js.outputs {
                    outputs.insert(format!("{}.{k}", self.job_key(name, j)), v.clone());
                }
            }
            let deps: Vec<Finished> = self.pipeline.stages[name]
                .depends_on
                .iter()
                .filter_map(|d| out.get(d).cloned())
                .collect();
            out.insert(
                name.to_string(),
                Finished::new(outcome, outputs, deps.iter()),
            );
        }
        out
    }

    /// How outputs of a job are prefixed: a runOnce deployment's carry its name twice.
    pub(crate) fn job_key(&self, stage: &str, job: &str) -> String {
        match self.pipeline.stages[stage].jobs.get(job).map(|j| &j.kind) {
            Some(JobKind::Deployment { .. }) => format!("{job}.{job}"),
            _ => job.to_string(),
        }
    }

    /// `Finished` records of a stage's finished jobs (outputs keyed `step.var`,
    /// or `job.step.var` for a deployment).
    pub(crate) fn finished_jobs(&self, stage: &str) -> HashMap<String, Finished> {
        let st = &self.stages[stage];
        let ir_stage = &self.pipeline.stages[stage];
        let mut out: HashMap<String, Finished> = HashMap::new();
        for j in plan::job_order(ir_stage) {
            let JobStatus::Done(outcome) = st.jobs[j].status else {
                continue;
            };
            let prefix = match ir_stage.jobs[j].kind {
                JobKind::Deployment { .. } => format!("{j}."),
                _ => String::new(),
            };
            let outputs = st.jobs[j]
                .outputs
                .iter()
                .map(|(k, v)| (format!("{prefix}{k}"), v.clone()))
                .collect();
            let deps: Vec<Finished> = ir_stage.jobs[j]
                .depends_on
                .iter()
                .filter_map(|d| out.get(d).cloned())
                .collect();
            out.insert(j.to_string(), Finished::new(outcome, outputs, deps.iter()));
        }
        out
    }

    /// Jobs of the stages a stage depends on, keyed `Stage/Job`, for `stageDependencies`.
    pub(crate) fn upstream_jobs(&self, stage: &str) -> HashMap<String, Finished> {
        let mut out = HashMap::new();
        for d in &self.pipeline.stages[stage].depends_on {
            for (j, f) in self.finished_jobs(d) {
                out.insert(format!("{d}/{j}"), f);
            }
        }
        out
    }
}

pub fn requested_for(state: &State) -> &str {
    &state.requested_for
}

pub fn secrets_of(state_dir: &std::path::Path, id: u64) -> Vec<String> {
    let dir = record::runs_dir(state_dir).join(id.to_string());
    match record::read_events(&dir)
        .ok()
        .and_then(|e| e.into_iter().next())
    {
        Some(Event::RunStarted { secrets, .. }) => secrets,
        _ => Vec::new(),
    }
}

//! The run record: `.relc/runs/<id>/` holds `pipeline.json` (the checked IR
//! the run executes, written before anything runs), `events.jsonl` (an
//! append-only log, each line flushed to disk before the state change it
//! records takes effect) and `logs/` (one file per step).
//!
//! The state of a run is a fold over its events, so a run killed at any
//! moment is resumed from what its record says: a torn last line (the write
//! the kill interrupted) is ignored.

use super::outcome::Outcome;
use super::trigger::{Simulation, Start};
use crate::ir;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A variable set by a step's logging command.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetVariable {
    pub name: String,
    /// `None` for a secret: its value is never recorded.
    pub value: Option<String>,
    pub output: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        run: u64,
        file: String,
        /// Unix seconds, real and simulated.
        at: i64,
        simulated_at: i64,
        simulation: Simulation,
        start: Start,
        /// Names of the secrets given; their values are never recorded.
        secrets: Vec<String>,
        /// The variables from `--var`.
        overrides: Vec<(String, String)>,
        max_parallel: usize,
    },
    /// The run's simulated clock moves (a delay gate, `relc resume --at`).
    ClockSet {
        simulated_at: i64,
        at: i64,
    },
    StageStarted {
        stage: String,
    },
    StageSkipped {
        stage: String,
        reason: String,
    },
    GateWaiting {
        stage: String,
        gate: String,
        reason: String,
        at: i64,
    },
    /// An approval or a rejection, by a person (`relc approve`, `--approve`, a prompt).
    Verdict {
        gate: String,
        approve: bool,
        by: String,
        comment: Option<String>,
        at: i64,
    },
    GatePassed {
        stage: String,
        gate: String,
        reason: String,
    },
    GateFailed {
        stage: String,
        gate: String,
        outcome: Outcome,
        reason: String,
    },
    JobStarted {
        stage: String,
        job: String,
        workspace: PathBuf,
    },
    JobSkipped {
        stage: String,
        job: String,
        reason: String,
    },
    StepStarted {
        stage: String,
        job: String,
        step: usize,
        display: String,
    },
    StepFinished {
        stage: String,
        job: String,
        step: usize,
        outcome: Outcome,
        /// Why, when it did not succeed or was skipped.
        reason: Option<String>,
        variables: Vec<SetVariable>,
        /// Warnings and errors the step reported.
        issues: Vec<String>,
        /// The last lines of output of a step that failed (masked).
        #[serde(default)]
        tail: Vec<String>,
        seconds: f64,
    },
    ArtifactPublished {
        stage: String,
        job: String,
        artifact: String,
        fingerprint: String,
    },
    Deployed {
        environment: String,
        stage: String,
        job: String,
        artifacts: Vec<(String, String)>,
    },
    JobFinished {
        stage: String,
        job: String,
        outcome: Outcome,
        seconds: f64,
    },
    StageFinished {
        stage: String,
        outcome: Outcome,
    },
    /// The run stopped to wait; `relc resume` goes on.
    RunWaiting {
        on: Vec<String>,
    },
    CancelRequested,
    RunFinished {
        outcome: Outcome,
    },
}

pub struct Record {
    pub dir: PathBuf,
    events: std::fs::File,
}

pub fn runs_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("runs")
}

/// Run ids in use, ascending.
pub fn run_ids(state_dir: &Path) -> Vec<u64> {
    let mut ids: Vec<u64> = std::fs::read_dir(runs_dir(state_dir))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    ids.sort_unstable();
    ids
}

/// `last` or a number, as an existing run id.
pub fn resolve(state_dir: &Path, run: &str) -> Result<u64, String> {
    let ids = run_ids(state_dir);
    let id = if run == "last" {
        *ids.last()
            .ok_or_else(|| format!("no runs under {}", state_dir.display()))?
    } else {
        run.trim_start_matches('#')
            .parse()
            .map_err(|_| format!("`{run}` is not a run id (a number or `last`)"))?
    };
    if !ids.contains(&id) {
        return Err(format!(
            "there is no run {id} under {}",
            state_dir.display()
        ));
    }
    Ok(id)
}

impl Record {
    /// A new run directory with the next free id, holding the pipeline.
    pub fn create(state_dir: &Path, pipeline: &ir::Pipeline) -> std::io::Result<(u64, Record)> {
        let runs = runs_dir(state_dir);
        std::fs::create_dir_all(&runs)?;
        let mut id = run_ids(state_dir).last().map_or(1, |l| l + 1);
        let dir = loop {
            let dir = runs.join(id.to_string());
            match std::fs::create_dir(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => id += 1,
                Err(e) => return Err(e),
            }
        };
        let ir = serde_json::to_vec(pipeline).map_err(std::io::Error::other)?;
        super::store::write_atomic(&dir.join("pipeline.json"), &ir)?;
        let record = Record::open(&dir)?;
        Ok((id, record))
    }

    pub fn open(dir: &Path) -> std::io::Result<Record> {
        std::fs::create_dir_all(dir.join("logs"))?;
        let events = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("events.jsonl"))?;
        Ok(Record {
            dir: dir.to_path_buf(),
            events,
        })
    }

    /// Append one event and flush it to disk. One `write` per line: with
    /// O_APPEND, lines from two writers never interleave.
    pub fn append(&mut self, e: &Event) -> std::io::Result<()> {
        append_to(&mut self.events, e)
    }

    pub fn log_path(&self, stage: &str, job: &str, step: usize) -> PathBuf {
        self.dir
            .join("logs")
            .join(format!("{stage}.{job}.{:03}.log", step + 1))
    }
}

fn append_to(f: &mut std::fs::File, e: &Event) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(e).map_err(std::io::Error::other)?;
    line.push(b'\n');
    f.write_all(&line)?;
    f.sync_data()
}

/// Append an event to a run that may not be running (`relc approve`).
pub fn append_event(dir: &Path, e: &Event) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("events.jsonl"))?;
    append_to(&mut f, e)
}

/// The events of a run, oldest first; a line that does not parse ends the
/// log only if it is the last (a torn write); elsewhere it is an error.
pub fn read_events(dir: &Path) -> Result<Vec<Event>, String> {
    let text = std::fs::read_to_string(dir.join("events.jsonl"))
        .map_err(|e| format!("cannot read the run record {}: {e}", dir.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    let mut events = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str(line) {
            Ok(e) => events.push(e),
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => break,
            Err(e) => {
                return Err(format!(
                    "the run record {} is damaged at line {}: {e}",
                    dir.display(),
                    i + 1
                ));
            }
        }
    }
    Ok(events)
}

pub fn read_pipeline(dir: &Path) -> Result<ir::Pipeline, String> {
    let bytes = std::fs::read(dir.join("pipeline.json"))
        .map_err(|e| format!("cannot read {}: {e}", dir.join("pipeline.json").display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("damaged pipeline.json: {e}"))
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

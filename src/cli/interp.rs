//! The interpreter's commands: `plan`, `run`, `approve`, `reject`, `resume`,
//! `runs`, `logs`, `status`, `promote`.

use crate::check::cron::DateTime;
use crate::interp::outcome::Outcome;
use crate::interp::{plan, record, run, store, trigger};
use crate::say;
use std::path::Path;
use std::process::ExitCode;

/// The trigger options of `relc plan` and `relc run`.
#[derive(clap::Args, Clone)]
pub struct TriggerArgs {
    /// What starts the run.
    #[arg(long = "trigger", value_enum, default_value_t = trigger::Kind::Push)]
    pub kind: trigger::Kind,
    /// The branch pushed, the pull request's target, or the scheduled branch (`main`
    /// or a full ref such as `refs/tags/v1.0`).
    #[arg(long, default_value = "main")]
    pub branch: String,
    /// The simulated time the run starts, UTC: `2026-12-03T03:00` or `03:00` (today).
    #[arg(long)]
    pub at: Option<String>,
    /// Only this schedule may fire (with `--trigger schedule`).
    #[arg(long)]
    pub schedule: Option<String>,
    /// Set a variable (overrides the file's value).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_assignment)]
    pub vars: Vec<(String, String)>,
    /// Set a runtime parameter (else its default, else the first of its values).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_assignment)]
    pub params: Vec<(String, String)>,
    /// A secret variable; its value comes from the environment variable NAME,
    /// else a prompt on a terminal.
    #[arg(long = "secret", value_name = "NAME")]
    pub secrets: Vec<String>,
    /// Who requests the run (`Build.RequestedFor`).
    #[arg(long = "as", value_name = "PERSON")]
    pub requested_for: Option<String>,
}

fn parse_assignment(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))?;
    let name = name.trim();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
    {
        return Err(format!("`{name}` is not a variable name"));
    }
    Ok((name.to_string(), value.to_string()))
}

/// The current minute, UTC.
pub fn now() -> DateTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    DateTime::from_unix(secs)
}

impl TriggerArgs {
    pub fn simulation(&self) -> Result<trigger::Simulation, String> {
        let today = now();
        let at = match &self.at {
            None => today,
            Some(t) => trigger::parse_time(t, today).ok_or_else(|| {
                format!("--at `{t}` is not a time; write `2026-12-03T03:00` or `03:00` (UTC)")
            })?,
        };
        if self.schedule.is_some() && self.kind != trigger::Kind::Schedule {
            return Err("--schedule needs --trigger schedule".into());
        }
        Ok(trigger::Simulation {
            kind: self.kind,
            branch: self.branch.clone(),
            at,
            schedule: self.schedule.clone(),
            requested_for: self
                .requested_for
                .clone()
                .unwrap_or_else(crate::interp::local_user),
        })
    }
}

pub fn plan(
    file: &Path,
    root: Option<&Path>,
    args: &TriggerArgs,
    json: bool,
    color: bool,
) -> ExitCode {
    let (sim, pipeline) = match simulated(file, root, args, color, "plan") {
        Ok(x) => x,
        Err(code) => return code,
    };
    let start = trigger::start(&pipeline, &sim);
    let vars = plan::base_vars(&pipeline, &start, &args.vars);
    let plan = plan::plan(&pipeline, &start, &vars, sim.at);
    let text = if json {
        serde_json::to_string_pretty(&plan).unwrap_or_default() + "\n"
    } else {
        plan::render(&plan)
    };
    match super::write_stdout(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// Where runs are kept: `--state-dir`, else `.relc/` beside the file, else in
/// the current directory.
pub fn state_dir(given: Option<&Path>, file: Option<&Path>) -> std::path::PathBuf {
    if let Some(d) = given {
        return d.to_path_buf();
    }
    let base = file
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| std::path::PathBuf::from("."), Path::to_path_buf);
    base.join(".relc")
}

/// Options of `relc run`, `relc resume` and `relc promote` that shape execution.
#[derive(clap::Args, Clone)]
pub struct ExecArgs {
    /// How many jobs may run at once (default: the number of CPUs).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub max_parallel: Option<u16>,
    /// Run a task that has no local meaning as this bash command (its inputs are
    /// in INPUT_<NAME> variables): `--task AzureWebApp@1='cp -r "$INPUT_PACKAGE" /srv/app'`.
    #[arg(long = "task", value_name = "TASK=COMMAND", value_parser = parse_mapping)]
    pub tasks: Vec<(String, String)>,
    /// Where an HTTP check's connection points on this machine:
    /// `--connection change-management=http://127.0.0.1:8080`.
    #[arg(long = "connection", value_name = "NAME=URL", value_parser = parse_mapping)]
    pub connections: Vec<(String, String)>,
    /// Print the run's events as JSON lines instead of progress.
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
    /// Never ask on the terminal; leave approvals waiting (exit 3).
    #[arg(long)]
    pub no_prompt: bool,
}

#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum RunFormat {
    Human,
    Json,
}

fn parse_mapping(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))?;
    if k.trim().is_empty() {
        return Err(format!("`{s}` names nothing before `=`"));
    }
    Ok((k.trim().to_string(), v.to_string()))
}

/// A secret's value: the environment variable of its name, else a prompt.
fn secret_value(name: &str) -> Result<String, String> {
    if let Ok(v) = std::env::var(name) {
        return Ok(v);
    }
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint!("value of secret {name} (not echoed): ");
        let _ = std::process::Command::new("stty").arg("-echo").status();
        let mut line = String::new();
        let read = std::io::stdin().read_line(&mut line);
        let _ = std::process::Command::new("stty").arg("echo").status();
        eprintln!();
        read.map_err(|e| e.to_string())?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    Err(format!(
        "secret {name} has no value: set the environment variable {name} (or run on a terminal to be asked)"
    ))
}

/// The state directory of commands that take a run (not a file), and the
/// run's id (`last` or a number).
fn find_run(
    given_state_dir: Option<&Path>,
    run: &str,
) -> Result<(std::path::PathBuf, u64), ExitCode> {
    let dir = state_dir(given_state_dir, None);
    let id = record::resolve(&dir, run).map_err(|e| super::usage_error(&e))?;
    Ok((dir, id))
}

/// The simulated trigger and the checked pipeline of `plan` and `run`.
fn simulated(
    file: &Path,
    root: Option<&Path>,
    args: &TriggerArgs,
    color: bool,
    verb: &str,
) -> Result<(trigger::Simulation, crate::ir::Pipeline), ExitCode> {
    let sim = args.simulation().map_err(|e| super::usage_error(&e))?;
    let (_, c) = super::compile_pipeline(file, root, color, verb)?;
    let mut pipeline = c.pipeline.expect("compile_pipeline gives a pipeline");
    crate::interp::parameters::bind(&mut pipeline, &args.params)
        .map_err(|e| super::usage_error(&e))?;
    Ok((sim, pipeline))
}

/// The values of these secrets (see [`secret_value`]).
fn secret_values(names: &[String]) -> Result<Vec<(String, String)>, ExitCode> {
    names
        .iter()
        .map(|n| {
            Ok((
                n.clone(),
                secret_value(n).map_err(|e| super::usage_error(&e))?,
            ))
        })
        .collect()
}

fn exit_for(stop: run::Stop) -> ExitCode {
    ExitCode::from(match stop {
        run::Stop::Finished(o) if o.is_success() => 0,
        run::Stop::Finished(Outcome::Canceled) => 130,
        run::Stop::Finished(_) => 1,
        run::Stop::Waiting => 3,
    })
}

fn options(
    state_dir: std::path::PathBuf,
    sources: std::path::PathBuf,
    exec: &ExecArgs,
    secrets: Vec<(String, String)>,
    verdicts: Vec<run::GivenVerdict>,
) -> run::Options {
    use std::io::IsTerminal;
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    // Steps run in other directories: every path handed to them is absolute.
    let _ = std::fs::create_dir_all(&state_dir);
    let state_dir = state_dir.canonicalize().unwrap_or(state_dir);
    let sources = sources.canonicalize().unwrap_or(sources);
    run::Options {
        state_dir,
        sources,
        max_parallel: exec.max_parallel.map_or(cpus, usize::from),
        verdicts,
        prompt: !exec.no_prompt
            && exec.format == RunFormat::Human
            && std::io::stdin().is_terminal(),
        json: exec.format == RunFormat::Json,
        task_commands: std::sync::Arc::new(exec.tasks.clone()),
        secrets,
        pinned: Default::default(),
        connections: exec.connections.clone(),
        executor: None,
        quiet: false,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

#[allow(clippy::too_many_arguments)]
pub fn run_file(
    file: &Path,
    root: Option<&Path>,
    args: &TriggerArgs,
    exec: &ExecArgs,
    approve: &[String],
    reject: &[String],
    approver: Option<&str>,
    given_state_dir: Option<&Path>,
    color: bool,
) -> ExitCode {
    let (sim, pipeline) = match simulated(file, root, args, color, "run") {
        Ok(x) => x,
        Err(code) => return code,
    };
    let secrets = match secret_values(&args.secrets) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let by = approver.map_or_else(crate::interp::local_user, str::to_string);
    let verdicts = approve
        .iter()
        .map(|t| (t, true))
        .chain(reject.iter().map(|t| (t, false)))
        .map(|(t, approve)| run::GivenVerdict {
            target: t.clone(),
            approve,
            by: by.clone(),
            comment: Some("given with relc run".into()),
        })
        .collect();
    let dir = state_dir(given_state_dir, Some(file));
    let sources = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| std::path::PathBuf::from("."), Path::to_path_buf);
    let opts = options(dir, sources, exec, secrets, verdicts);
    let (state, record) = match run::start(
        pipeline,
        &file.display().to_string(),
        &sim,
        &args.vars,
        &opts,
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(if e.starts_with("no run starts") { 0 } else { 2 });
        }
    };
    if !opts.json {
        say!(
            "run {} of {} ({})",
            state.id,
            file.display(),
            crate::interp::trigger::start(&state.pipeline, &sim).cause
        );
    }
    exit_for(runtime().block_on(run::drive(state, record, opts)))
}

pub fn resume(
    run_id: &str,
    at: Option<&str>,
    exec: &ExecArgs,
    given_state_dir: Option<&Path>,
) -> ExitCode {
    let (dir, id) = match find_run(given_state_dir, run_id) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let (mut state, mut record) = match run::load(&dir, id) {
        Ok(s) => s,
        Err(e) => return super::usage_error(&e),
    };
    let json = exec.format == RunFormat::Json;
    if let Some(outcome) = state.finished {
        if !json {
            say!("run {id} has finished: {outcome}");
        }
        return exit_for(run::Stop::Finished(outcome));
    }
    if let Some(t) = at {
        let Some(t) = trigger::parse_time(t, DateTime::from_unix(state.now())) else {
            return super::usage_error(&format!("--at `{t}` is not a time"));
        };
        let e = record::Event::ClockSet {
            simulated_at: t.to_unix(),
            at: record::unix_now(),
        };
        if let Err(err) = record.append(&e) {
            return super::usage_error(&format!("cannot write the run record: {err}"));
        }
        if json {
            say!("{}", serde_json::to_string(&e).unwrap_or_default());
        }
        state.apply(&e);
    }
    let secrets = match secret_values(&run::secrets_of(&dir, id)) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let sources = run_sources(&dir, id);
    let opts = options(dir, sources, exec, secrets, Vec::new());
    if !opts.json {
        say!("resuming run {id}");
    }
    exit_for(runtime().block_on(run::drive(state, record, opts)))
}

/// The directory of the file a run was started from (its sources).
fn run_sources(dir: &Path, id: u64) -> std::path::PathBuf {
    let events =
        record::read_events(&record::runs_dir(dir).join(id.to_string())).unwrap_or_default();
    match events.first() {
        Some(record::Event::RunStarted { file, .. }) => Path::new(file)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| std::path::PathBuf::from("."), Path::to_path_buf),
        _ => std::path::PathBuf::from("."),
    }
}

pub fn verdict(
    run_id: &str,
    gate: Option<&str>,
    person: &str,
    comment: Option<&str>,
    approve: bool,
    given_state_dir: Option<&Path>,
) -> ExitCode {
    let (dir, id) = match find_run(given_state_dir, run_id) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let (state, _) = match run::load(&dir, id) {
        Ok(s) => s,
        Err(e) => return super::usage_error(&e),
    };
    let waiting = run::waiting_approvals(&state);
    let chosen: Vec<_> = waiting
        .iter()
        .filter(|(g, stage, ..)| {
            gate.is_none_or(|n| {
                g.eq_ignore_ascii_case(n)
                    || stage.eq_ignore_ascii_case(n)
                    || g.split('/')
                        .next()
                        .is_some_and(|e| e.eq_ignore_ascii_case(n))
            })
        })
        .collect();
    let names: Vec<&str> = waiting.iter().map(|w| w.0.as_str()).collect();
    let (g, _, approvers, can) = match chosen.as_slice() {
        [one] => *one,
        [] if waiting.is_empty() => {
            return super::usage_error(&format!("run {id} waits for no approval"));
        }
        [] => {
            return super::usage_error(&format!(
                "run {id} has no waiting approval `{}`; it waits for: {}",
                gate.unwrap_or(""),
                names.join(", ")
            ));
        }
        _ => {
            return super::usage_error(&format!(
                "run {id} waits for several approvals; name one: {}",
                names.join(", ")
            ));
        }
    };
    if let Err(e) = run::check_verdict(person, run::requested_for(&state), approvers, *can) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    let e = record::Event::Verdict {
        gate: g.clone(),
        approve,
        by: person.to_string(),
        comment: comment.map(str::to_string),
        at: record::unix_now(),
    };
    if let Err(err) = record::append_event(&record::runs_dir(&dir).join(id.to_string()), &e) {
        return super::usage_error(&format!("cannot write the run record: {err}"));
    }
    say!(
        "{} {g} as {person}; `relc resume {id}` goes on",
        if approve { "approved" } else { "rejected" }
    );
    ExitCode::SUCCESS
}

pub fn runs(given_state_dir: Option<&Path>) -> ExitCode {
    let dir = state_dir(given_state_dir, None);
    let ids = record::run_ids(&dir);
    if ids.is_empty() {
        say!("no runs under {}", dir.display());
        return ExitCode::SUCCESS;
    }
    for id in ids {
        let events =
            record::read_events(&record::runs_dir(&dir).join(id.to_string())).unwrap_or_default();
        let (when, cause) = match events.first() {
            Some(record::Event::RunStarted { at, start, .. }) => {
                (DateTime::from_unix(*at).to_string(), start.cause.clone())
            }
            _ => (String::new(), String::new()),
        };
        let status = events.iter().rev().find_map(|e| match e {
            record::Event::RunFinished { outcome } => Some(outcome.to_string()),
            record::Event::RunWaiting { on } => Some(format!("Waiting ({})", on.join(", "))),
            _ => None,
        });
        let status = status.unwrap_or_else(|| "Interrupted (resume it)".into());
        say!("{id:>4}  {when}  {status:<28} {cause}");
    }
    ExitCode::SUCCESS
}

pub fn logs(run_id: &str, selector: Option<&str>, given_state_dir: Option<&Path>) -> ExitCode {
    let (dir, id) = match find_run(given_state_dir, run_id) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let logs = record::runs_dir(&dir).join(id.to_string()).join("logs");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&logs)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let parts: Vec<&str> = selector.map_or(Vec::new(), |s| s.split('/').collect());
    let mut shown = 0;
    for f in files {
        let name = f
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        let fields: Vec<&str> = name.trim_end_matches(".log").split('.').collect();
        let matches = parts.iter().enumerate().all(|(i, p)| {
            fields.get(i).is_some_and(|x| {
                x.eq_ignore_ascii_case(p)
                    || (i == 2 && x.trim_start_matches('0') == p.trim_start_matches('0'))
            })
        });
        if !matches {
            continue;
        }
        say!("── {} ──", fields.join("/"));
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let _ = super::write_stdout(text.as_bytes());
        shown += 1;
    }
    if shown == 0 {
        eprintln!("no logs match in run {id}");
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

pub fn status(json: bool, given_state_dir: Option<&Path>) -> ExitCode {
    let dir = state_dir(given_state_dir, None);
    let mut latest: indexmap::IndexMap<String, store::Deployment> = indexmap::IndexMap::new();
    for d in store::deployments(&dir) {
        latest.insert(format!("{}\u{0}{}", d.environment, d.artifact), d);
    }
    if json {
        let rows: Vec<serde_json::Value> = latest
            .values()
            .map(|d| {
                serde_json::json!({
                    "environment": d.environment, "artifact": d.artifact,
                    "fingerprint": d.fingerprint, "run": d.run, "at": DateTime::from_unix(d.at).to_string(),
                })
            })
            .collect();
        say!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
        return ExitCode::SUCCESS;
    }
    if latest.is_empty() {
        say!("nothing deployed yet (under {})", dir.display());
    }
    for d in latest.values() {
        say!(
            "{:<16} {} {}  run {}  {} UTC",
            d.environment,
            d.artifact,
            store::short(&d.fingerprint),
            d.run,
            DateTime::from_unix(d.at)
        );
    }
    ExitCode::SUCCESS
}

pub fn promote(
    run_id: &str,
    to: &str,
    force: bool,
    exec: &ExecArgs,
    given_state_dir: Option<&Path>,
) -> ExitCode {
    let (dir, id) = match find_run(given_state_dir, run_id) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let run_dir = record::runs_dir(&dir).join(id.to_string());
    let (pipeline, events) = match (
        record::read_pipeline(&run_dir),
        record::read_events(&run_dir),
    ) {
        (Ok(p), Ok(e)) => (p, e),
        (Err(e), _) | (_, Err(e)) => return super::usage_error(&e),
    };
    let Some(record::Event::RunStarted {
        simulation,
        overrides,
        file,
        ..
    }) = events.first().cloned()
    else {
        return super::usage_error(&format!("run {id} has no start in its record"));
    };
    let mut artifacts: indexmap::IndexMap<String, String> = indexmap::IndexMap::new();
    for e in &events {
        if let record::Event::ArtifactPublished {
            artifact,
            fingerprint,
            ..
        } = e
        {
            artifacts.insert(artifact.clone(), fingerprint.clone());
        }
    }
    if artifacts.is_empty() {
        return super::usage_error(&format!("run {id} published no artifacts to promote"));
    }
    match crate::interp::promote::restrict(&pipeline, to) {
        Err(e) => super::usage_error(&e),
        Ok((stage, promoted, before)) => {
            let ledger = store::deployments(&dir);
            let missing: Vec<String> = before
                .iter()
                .filter(|env| {
                    !artifacts.values().all(|fp| {
                        ledger
                            .iter()
                            .any(|d| &d.environment == *env && &d.fingerprint == fp)
                    })
                })
                .cloned()
                .collect();
            if !missing.is_empty() && !force {
                eprintln!(
                    "error: run {id}'s artifacts have not been deployed to {} (which come before {to}); \
                     promote them there first, or pass --force",
                    missing.join(", ")
                );
                return ExitCode::from(1);
            }
            let secrets = match secret_values(&run::secrets_of(&dir, id)) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let mut sim = simulation;
            sim.kind = trigger::Kind::Manual;
            sim.at = now();
            let sources = run_sources(&dir, id);
            let mut opts = options(dir, sources, exec, secrets, Vec::new());
            opts.pinned = artifacts.clone();
            let (state, record) = match run::start(promoted, &file, &sim, &overrides, &opts) {
                Ok(s) => s,
                Err(e) => return super::usage_error(&e),
            };
            if !opts.json {
                let what: Vec<String> = artifacts
                    .iter()
                    .map(|(a, f)| format!("{a} {}", store::short(f)))
                    .collect();
                say!(
                    "run {}: promoting {} from run {id} to {to} (stage {stage})",
                    state.id,
                    what.join(", ")
                );
            }
            exit_for(runtime().block_on(run::drive(state, record, opts)))
        }
    }
}

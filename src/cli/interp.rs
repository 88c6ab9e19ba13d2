//! The interpreter's commands: `plan`, `run`, `approve`, `reject`, `resume`,
//! `runs`, `logs`, `status`, `promote`.

use crate::check::cron::DateTime;
use crate::interp::{plan, trigger};
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
            requested_for: self.requested_for.clone().unwrap_or_else(local_user),
        })
    }
}

/// The person at this machine, for `Build.RequestedFor`.
pub fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "local".into())
}

pub fn plan(
    file: &Path,
    root: Option<&Path>,
    args: &TriggerArgs,
    json: bool,
    color: bool,
) -> ExitCode {
    let sim = match args.simulation() {
        Ok(s) => s,
        Err(e) => return super::usage_error(&e),
    };
    let pipeline = match super::compile_pipeline(file, root, color) {
        Ok(p) => p,
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

//! Running one step as a real process, as Azure's agent does on Linux: the
//! script is written to a file under `Agent.TempDirectory` and run by
//! `bash --noprofile --norc` (or `pwsh -NoLogo -NoProfile -NonInteractive`),
//! in its own process group so that a timeout, a cancellation or the end of
//! the step leaves no process behind — nor the death of relc itself: a
//! watchdog process kills the group when relc goes away without doing it. Output is read line by line: logging
//! commands (`##vso[…]`) are acted on, every line is masked and logged.

use super::mask::Masker;
use super::outcome::Outcome;
use super::record::SetVariable;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// What to run.
pub enum Program {
    Bash(String),
    Pwsh(String),
}

/// What runs a script step. Real runs use [`run`]; semantics tests put a
/// function here that decides a step's end from its expanded text, so they
/// exercise the scheduler without processes or sleeping.
pub type Executor = std::sync::Arc<dyn Fn(&str) -> StepEnd + Send + Sync>;

/// A receiver of output lines, already masked.
pub type Sink = std::sync::Arc<dyn Fn(String) + Send + Sync>;

pub struct StepSpec {
    pub program: Program,
    pub workdir: PathBuf,
    pub temp_dir: PathBuf,
    pub env: Vec<(String, String)>,
    pub timeout: Option<Duration>,
    pub log: PathBuf,
    /// Where each output line goes besides the log (the terminal); `None`: only the log.
    pub show: Option<Sink>,
    pub masker: Masker,
    /// Becomes true when the run is canceled.
    pub cancel: tokio::sync::watch::Receiver<bool>,
    pub fail_on_stderr: bool,
}

#[derive(Debug, Default)]
pub struct StepEnd {
    pub outcome: Option<Outcome>,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    pub variables: Vec<SetVariable>,
    pub issues: Vec<String>,
    /// The last lines of output, masked, for the summary of a failure.
    pub tail: Vec<String>,
    /// Secret variables the step set: `(name, value)`. Kept in memory for the
    /// steps after it; never written anywhere.
    pub secrets: Vec<(String, String)>,
}

/// A parsed `##vso[area.action k=v;…]message`.
struct Command<'a> {
    name: &'a str,
    props: Vec<(String, String)>,
    message: String,
}

/// Azure's escaping of logging-command values.
fn unescape(v: &str) -> String {
    v.replace("%3B", ";")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%5D", "]")
        .replace("%25", "%")
}

fn parse_command(line: &str) -> Option<Command<'_>> {
    let at = line.find("##vso[")?;
    let rest = &line[at + 6..];
    let close = rest.find(']')?;
    let head = &rest[..close];
    let (name, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(';')
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.trim().to_ascii_lowercase(), unescape(v.trim())))
        })
        .collect();
    Some(Command {
        name,
        props,
        message: unescape(&rest[close + 1..]),
    })
}

fn prop<'a>(c: &'a Command, key: &str) -> Option<&'a str> {
    c.props
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn is_true(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Act on one line of stdout; `false` when the line is a logging command that
/// must not be shown as is (it may carry a secret).
fn logging_command(line: &str, end: &mut StepEnd, masker: &Masker) -> bool {
    let Some(c) = parse_command(line) else {
        return true;
    };
    match c.name.to_ascii_lowercase().as_str() {
        "task.setvariable" => {
            let Some(name) = prop(&c, "variable") else {
                end.issues
                    .push("warning: ##vso[task.setvariable] without `variable=`".into());
                return false;
            };
            // A value holding a secret is a secret: it must not reach the record.
            let secret = is_true(prop(&c, "issecret")) || masker.mask(&c.message) != c.message;
            if secret {
                masker.add(&c.message);
            }
            end.variables.push(SetVariable {
                name: name.to_string(),
                value: if secret {
                    None
                } else {
                    Some(c.message.clone())
                },
                output: is_true(prop(&c, "isoutput")),
            });
            if secret {
                end.secrets.push((name.to_string(), c.message));
            }
            false
        }
        "task.setsecret" => {
            masker.add(&c.message);
            false
        }
        "task.complete" => {
            end.outcome = match prop(&c, "result").map(str::to_ascii_lowercase).as_deref() {
                Some("failed") => Some(Outcome::Failed),
                Some("succeededwithissues") => Some(Outcome::SucceededWithIssues),
                _ => Some(Outcome::Succeeded),
            };
            if !c.message.is_empty() {
                end.reason = Some(masker.mask(&c.message));
            }
            true
        }
        "task.logissue" => {
            let kind = prop(&c, "type").unwrap_or("warning").to_ascii_lowercase();
            end.issues
                .push(format!("{kind}: {}", masker.mask(&c.message)));
            true
        }
        _ => true,
    }
}

/// Whether a program is on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// Process groups of the steps running now, for a second Ctrl-C.
static GROUPS: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

/// Kill every step's process group at once.
pub fn kill_all() {
    let groups = GROUPS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    #[cfg(unix)]
    for g in groups {
        signal_group(g, libc::SIGKILL);
    }
}

/// Send `signal` to the whole process group of `pid`.
#[cfg(unix)]
fn signal_group(pid: u32, signal: i32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) has no memory effects; a group that is gone gives ESRCH.
        unsafe {
            libc::kill(-pid, signal);
        }
    }
}

/// A process that kills the step's process group when relc dies without
/// doing it (`kill -9`, a crash): it waits for the end of a pipe that only
/// relc holds open (the kernel closes it when relc dies, however it dies).
/// In its own process group, so that a Ctrl-C at the terminal does not stop it.
#[cfg(unix)]
fn watchdog(group: u32) -> Option<tokio::process::Child> {
    if group == 0 {
        return None;
    }
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(format!("read -r _; kill -9 -{group} 2>/dev/null"))
        .env_clear()
        .envs(inherited_env().into_iter().filter(|(k, _)| k == "PATH"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .process_group(0);
    cmd.spawn().ok()
}

/// Run the step to its end, its timeout or the run's cancellation.
pub async fn run(spec: StepSpec) -> StepEnd {
    let mut end = StepEnd::default();
    let (program, args, ext, text) = match &spec.program {
        Program::Bash(t) => ("bash", vec!["--noprofile", "--norc"], "sh", t),
        Program::Pwsh(t) => (
            "pwsh",
            vec![
                "-NoLogo",
                "-NoProfile",
                "-NonInteractive",
                "-ExecutionPolicy",
                "Unrestricted",
                "-File",
            ],
            "ps1",
            t,
        ),
    };
    let mut log = match tokio::fs::File::create(&spec.log).await {
        Ok(f) => f,
        Err(e) => {
            end.outcome = Some(Outcome::Failed);
            end.reason = Some(format!("cannot write the log {}: {e}", spec.log.display()));
            return end;
        }
    };
    if !on_path(program) {
        end.outcome = Some(Outcome::Failed);
        end.reason = Some(format!("`{program}` is not installed on this machine"));
        return end;
    }
    let script = spec.temp_dir.join(format!(
        "step-{}-{}.{ext}",
        std::process::id(),
        SCRIPT_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    if let Err(e) =
        std::fs::create_dir_all(&spec.temp_dir).and_then(|_| std::fs::write(&script, text))
    {
        end.outcome = Some(Outcome::Failed);
        end.reason = Some(format!("cannot write the script: {e}"));
        return end;
    }
    if let Err(e) = std::fs::create_dir_all(&spec.workdir) {
        end.outcome = Some(Outcome::Failed);
        end.reason = Some(format!("cannot create {}: {e}", spec.workdir.display()));
        return end;
    }
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(&args)
        .arg(&script)
        .current_dir(&spec.workdir)
        .env_clear()
        .envs(inherited_env())
        .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            end.outcome = Some(Outcome::Failed);
            end.reason = Some(format!("cannot start {program}: {e}"));
            return end;
        }
    };
    let pid = child.id().unwrap_or(0);
    GROUPS.lock().unwrap_or_else(|e| e.into_inner()).push(pid);
    #[cfg(unix)]
    let mut watchdog = watchdog(pid);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(bool, String)>();
    for (is_err, pipe) in [
        (
            false,
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ),
        (
            true,
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ),
    ] {
        if let Some(pipe) = pipe {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(pipe).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if tx.send((is_err, line)).is_err() {
                        break;
                    }
                }
            });
        }
    }
    drop(tx);
    let started = Instant::now();
    let deadline = spec.timeout.map(|t| started + t);
    let mut cancel = spec.cancel.clone();
    // A step that starts after the run was canceled (an `always()` step) runs
    // to its end: only a change from here on cancels it.
    let canceled_before = *cancel.borrow_and_update();
    let mut heartbeat = tokio::time::interval(Duration::from_secs(30));
    heartbeat.tick().await;
    let mut status = None;
    let mut stderr_written = false;
    let mut tail: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    let mut open = true;
    let timeout = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(timeout);
    loop {
        tokio::select! {
            line = rx.recv(), if open => match line {
                Some((is_err, line)) => {
                    let show = is_err || logging_command(&line, &mut end, &spec.masker);
                    let masked = spec.masker.mask(&line);
                    if is_err && !line.trim().is_empty() {
                        stderr_written = true;
                    }
                    let _ = log.write_all(masked.as_bytes()).await;
                    let _ = log.write_all(b"\n").await;
                    if show {
                        if let Some(sink) = &spec.show {
                            sink(masked.clone());
                        }
                        tail.push_back(masked);
                        if tail.len() > 10 {
                            tail.pop_front();
                        }
                    }
                }
                None => open = false,
            },
            s = child.wait(), if status.is_none() => {
                status = Some(s);
                // The script is done: whatever it left running goes with it.
                #[cfg(unix)]
                signal_group(pid, libc::SIGKILL);
            },
            _ = &mut timeout, if status.is_none() => {
                #[cfg(unix)]
                signal_group(pid, libc::SIGKILL);
                end.outcome = Some(Outcome::Failed);
                end.reason = Some(format!(
                    "timed out after {}",
                    super::plan::minutes_text(spec.timeout.map_or(0, |t| t.as_secs().div_ceil(60)))
                ));
            },
            _ = cancel.changed(), if status.is_none() && !canceled_before => {
                if *cancel.borrow() {
                    #[cfg(unix)]
                    {
                        signal_group(pid, libc::SIGTERM);
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        signal_group(pid, libc::SIGKILL);
                    }
                    end.outcome = Some(Outcome::Canceled);
                    end.reason = Some("the run was canceled".into());
                }
            },
            _ = heartbeat.tick(), if status.is_none() => {
                if let Some(sink) = &spec.show {
                    sink(format!("… still running ({}s)", started.elapsed().as_secs()));
                }
            },
        }
        if status.is_some() && !open {
            break;
        }
    }
    GROUPS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|&g| g != pid);
    #[cfg(unix)]
    if let Some(w) = watchdog.as_mut() {
        // Killed before its pipe closes: it must not act on a group that is gone.
        let _ = w.start_kill();
    }
    let _ = log.flush().await;
    let _ = std::fs::remove_file(&script);
    end.tail = tail.into();
    let status = status.and_then(Result::ok);
    end.exit_code = status.and_then(|s| s.code());
    if end.outcome.is_none() || end.outcome == Some(Outcome::Succeeded) {
        match end.exit_code {
            Some(0) if spec.fail_on_stderr && stderr_written => {
                end.outcome = Some(Outcome::Failed);
                end.reason = Some("the step wrote to stderr (failOnStderr)".into());
            }
            Some(0) => {
                end.outcome.get_or_insert(Outcome::Succeeded);
            }
            Some(code) => {
                end.outcome = Some(Outcome::Failed);
                end.reason = Some(format!("exited with code {code}"));
            }
            None if end.outcome.is_none() => {
                end.outcome = Some(Outcome::Failed);
                end.reason = Some("killed by a signal".into());
            }
            None => {}
        }
    }
    end
}

static SCRIPT_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// What a step inherits from relc's own environment: what finding programs
/// and the user's home need, nothing that could carry a secret of the shell
/// relc was started from.
fn inherited_env() -> Vec<(String, String)> {
    [
        "PATH", "HOME", "USER", "LANG", "LC_ALL", "TERM", "TZ", "SHELL", "TMPDIR",
    ]
    .iter()
    .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logging_commands_set_variables_and_register_secrets() {
        let m = Masker::default();
        let mut end = StepEnd::default();
        assert!(!logging_command(
            "##vso[task.setvariable variable=ver;isOutput=true]1.2%3B3",
            &mut end,
            &m
        ));
        assert_eq!(end.variables[0].value.as_deref(), Some("1.2;3"));
        assert!(end.variables[0].output);
        logging_command(
            "##vso[task.setvariable variable=tok;issecret=true]s3cr3t",
            &mut end,
            &m,
        );
        assert_eq!(end.variables[1].value, None);
        assert_eq!(m.mask("x s3cr3t"), "x ***");
        assert_eq!(end.secrets, vec![("tok".to_string(), "s3cr3t".to_string())]);
        logging_command(
            "##vso[task.complete result=SucceededWithIssues;]done",
            &mut end,
            &m,
        );
        assert_eq!(end.outcome, Some(Outcome::SucceededWithIssues));
        logging_command("##vso[task.logissue type=error]bad s3cr3t", &mut end, &m);
        assert_eq!(end.issues, vec!["error: bad ***"]);
    }
}

//! `relc run` and friends driven as a user would: small pipelines written into
//! fresh directories, the real binary run on them, and the facts asserted from
//! what it records — the JSON event stream, exit codes, files, the ledger.
//!
//! Nothing here depends on how long anything takes: tests wait for recorded
//! facts (an event in the run record, a file) and assert on the order of
//! events, never on durations. Deadlines only turn a hang into a failure.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HEADER: &str = "pipeline \"t\" { trigger { branches [\"main\"] } }\n";

/// A fresh directory for one test, removed when the test ends.
struct Sandbox {
    dir: PathBuf,
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    /// The stdout of `--format json`: one event a line, nothing else.
    fn events(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("not a JSON event ({e}): {l}\n{}", self.stdout))
            })
            .collect()
    }
}

fn parse_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

impl Sandbox {
    fn new(name: &str) -> Sandbox {
        let dir = std::env::temp_dir()
            .join("relc-run-tests")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Sandbox {
            dir: dir.canonicalize().unwrap(),
        }
    }

    /// A sandbox with `p.release` holding `HEADER` + `body`.
    fn with(name: &str, body: &str) -> Sandbox {
        let s = Sandbox::new(name);
        s.write("p.release", &format!("{HEADER}{body}"));
        s
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_relc"));
        c.args(args)
            .current_dir(&self.dir)
            .env("USER", "tester")
            .env_remove("TOKEN")
            .stdin(Stdio::null());
        c
    }

    fn relc(&self, args: &[&str]) -> Out {
        let out = self.command(args).output().expect("relc runs");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `relc run p.release --format json ARGS…`.
    fn run(&self, args: &[&str]) -> Out {
        let mut all = vec!["run", "p.release", "--format", "json", "--no-prompt"];
        all.extend_from_slice(args);
        self.relc(&all)
    }

    /// `relc resume last --format json ARGS…`.
    fn resume(&self, args: &[&str]) -> Out {
        let mut all = vec!["resume", "last", "--format", "json"];
        all.extend_from_slice(args);
        self.relc(&all)
    }

    /// A run in the background, its stdout discarded (the record has it all).
    fn spawn(&self, args: &[&str]) -> Bg {
        let mut all = vec!["run", "p.release", "--format", "json", "--no-prompt"];
        all.extend_from_slice(args);
        self.spawn_relc(&all)
    }

    /// Any relc command in the background.
    fn spawn_relc(&self, all: &[&str]) -> Bg {
        self.command(all)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map(Bg)
            .expect("relc starts")
    }

    fn run_dir(&self, id: u64) -> PathBuf {
        self.path(&format!(".relc/runs/{id}"))
    }

    /// The recorded events of a run (a torn last line left out).
    fn record(&self, id: u64) -> Vec<Value> {
        parse_lines(
            &std::fs::read_to_string(self.run_dir(id).join("events.jsonl")).unwrap_or_default(),
        )
    }

    /// Wait until the record of run `id` has an event matching `f`.
    fn wait_for_event(&self, id: u64, what: &str, f: impl Fn(&Value) -> bool) {
        wait_until(what, || self.record(id).iter().any(&f));
    }

    /// Processes (other than zombies) working in this sandbox's job workspaces.
    fn step_processes(&self) -> Vec<String> {
        let work = self.path(".relc/work");
        let mut found = Vec::new();
        for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(cwd) = std::fs::read_link(e.path().join("cwd")) else {
                continue;
            };
            if !cwd.starts_with(&work) {
                continue;
            }
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let state = stat.rsplit(')').next().unwrap_or("").trim().chars().next();
            if state == Some('Z') {
                continue;
            }
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            found.push(format!("{pid}: {cmdline}"));
        }
        found
    }

    /// Wait until no process works in a job workspace any more.
    fn assert_no_step_processes(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = self.step_processes();
            if left.is_empty() {
                return;
            }
            if Instant::now() > deadline {
                for p in &left {
                    if let Some(pid) = p.split(':').next().and_then(|p| p.parse::<i32>().ok()) {
                        // SAFETY: kill(2) of a process this test's run left behind.
                        unsafe {
                            libc::kill(pid, libc::SIGKILL);
                        }
                    }
                }
                panic!("processes of the steps are left behind: {left:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Poll `f` until it holds; a deadline only turns a hang into a failure.
fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A background relc, killed if the test ends (fails) before it does.
struct Bg(Child);

impl Bg {
    fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Bg {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// The exit code and stderr of a background run; a deadline only turns a
/// hang into a failure (the run is killed then).
fn wait_child(mut bg: Bg) -> (i32, String) {
    let c = &mut bg.0;
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = c.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = c.kill();
            let _ = c.wait();
            panic!("relc (pid {}) did not finish", c.id());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    if let Some(mut e) = c.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    (status.code().unwrap_or(-1), err)
}

fn is(e: &Value, event: &str) -> bool {
    e["event"] == event
}

fn at(e: &Value, event: &str, stage: &str, job: &str) -> bool {
    is(e, event) && e["stage"] == stage && e["job"] == job
}

/// The index of the first event matching `f`.
fn pos(events: &[Value], what: &str, f: impl Fn(&Value) -> bool) -> usize {
    events
        .iter()
        .position(f)
        .unwrap_or_else(|| panic!("no {what} in {}", dump(events)))
}

fn count(events: &[Value], f: impl Fn(&Value) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

fn dump(events: &[Value]) -> String {
    events
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn step_outcome(events: &[Value], stage: &str, job: &str, step: u64) -> String {
    let e = &events[pos(events, "step_finished", |e| {
        at(e, "step_finished", stage, job) && e["step"] == step
    })];
    e["outcome"].as_str().unwrap().to_string()
}

fn job_outcome(events: &[Value], stage: &str, job: &str) -> String {
    let e = &events[pos(events, "job_finished", |e| {
        at(e, "job_finished", stage, job)
    })];
    e["outcome"].as_str().unwrap().to_string()
}

fn stage_outcome(events: &[Value], stage: &str) -> String {
    if let Some(e) = events
        .iter()
        .find(|e| is(e, "stage_finished") && e["stage"] == stage)
    {
        return e["outcome"].as_str().unwrap().to_string();
    }
    if events
        .iter()
        .any(|e| is(e, "stage_skipped") && e["stage"] == stage)
    {
        return "Skipped".into();
    }
    panic!("stage {stage} did not finish: {}", dump(events))
}

fn run_outcome(events: &[Value]) -> String {
    let e = &events[pos(events, "run_finished", |e| is(e, "run_finished"))];
    e["outcome"].as_str().unwrap().to_string()
}

fn skipped_job(events: &[Value], stage: &str, job: &str) -> bool {
    events.iter().any(|e| at(e, "job_skipped", stage, job))
}

fn started_job(events: &[Value], stage: &str, job: &str) -> bool {
    events.iter().any(|e| at(e, "job_started", stage, job))
}

/// The log of one step (1-based), as `relc logs` shows it.
fn log(s: &Sandbox, stage: &str, job: &str, step: usize) -> String {
    s.read(&format!(".relc/runs/1/logs/{stage}.{job}.{step:03}.log"))
}

// ── 1. Conditions and results (SEMANTICS.md §2.3–2.4) ──────────────────────

#[test]
fn a_failing_step_skips_later_default_steps_but_not_an_always_step() {
    let s = Sandbox::with(
        "failing-step",
        r#"
stage A {
  job J {
    script "echo one; exit 3"
    script "echo two"
    script "echo three" { when always() }
    script "echo four" { when succeeded() }
  }
}
"#,
    );
    let out = s.run(&[]);
    let ev = out.events();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(step_outcome(&ev, "A", "J", 0), "Failed");
    assert_eq!(step_outcome(&ev, "A", "J", 1), "Skipped");
    assert_eq!(step_outcome(&ev, "A", "J", 2), "Succeeded");
    assert_eq!(step_outcome(&ev, "A", "J", 3), "Skipped");
    assert_eq!(count(&ev, |e| is(e, "step_started")), 2);
    assert_eq!(job_outcome(&ev, "A", "J"), "Failed");
    assert_eq!(run_outcome(&ev), "Failed");
    assert!(log(&s, "A", "J", 3).contains("three"));
}

#[test]
fn continue_on_error_makes_a_failure_succeeded_with_issues_and_the_run_exits_0() {
    let s = Sandbox::with(
        "continue-on-error",
        r#"
stage A {
  job J {
    script "exit 1" { continue_on_error true }
    script "echo after"
  }
}
stage B { job K { script "echo b" } }
"#,
    );
    let out = s.run(&[]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", dump(&ev));
    assert_eq!(step_outcome(&ev, "A", "J", 0), "SucceededWithIssues");
    // Later default steps still run (Agent.JobStatus is SucceededWithIssues).
    assert_eq!(step_outcome(&ev, "A", "J", 1), "Succeeded");
    assert_eq!(job_outcome(&ev, "A", "J"), "SucceededWithIssues");
    assert_eq!(stage_outcome(&ev, "A"), "SucceededWithIssues");
    // succeeded() counts partial success: the next stage runs.
    assert_eq!(stage_outcome(&ev, "B"), "Succeeded");
    assert_eq!(run_outcome(&ev), "SucceededWithIssues");
}

#[test]
fn a_failed_job_skips_default_dependants_and_runs_those_waiting_for_failure() {
    let s = Sandbox::with(
        "failed-job",
        r#"
stage A {
  job J { script "exit 1" }
  job K after J { script "echo k" }
  job L after J {
    when failed()
    script "echo l"
  }
  job M after K { when succeededOrFailed()  script "echo m" }
  job Other { script "echo other" }
}
"#,
    );
    let out = s.run(&["--max-parallel", "1"]);
    let ev = out.events();
    assert_eq!(out.code, 1);
    assert_eq!(job_outcome(&ev, "A", "J"), "Failed");
    assert!(skipped_job(&ev, "A", "K"), "{}", dump(&ev));
    assert!(!started_job(&ev, "A", "K"));
    assert_eq!(job_outcome(&ev, "A", "L"), "Succeeded");
    // M's dependency was skipped, not failed: succeededOrFailed() is true.
    assert_eq!(job_outcome(&ev, "A", "M"), "Succeeded");
    assert_eq!(job_outcome(&ev, "A", "Other"), "Succeeded");
    assert_eq!(stage_outcome(&ev, "A"), "Failed");
}

#[test]
fn a_failed_stage_skips_its_dependants_transitively() {
    let s = Sandbox::with(
        "failed-stage",
        r#"
stage A { job J { script "exit 1" } }
stage B { job J { script "echo b" } }
stage C { job J { script "echo c" } }
stage Report after A {
  when failed()
  job J { script "echo report" }
}
stage Free after none { job J { script "echo free" } }
"#,
    );
    let out = s.run(&[]);
    let ev = out.events();
    assert_eq!(out.code, 1);
    assert_eq!(stage_outcome(&ev, "A"), "Failed");
    assert_eq!(stage_outcome(&ev, "B"), "Skipped");
    // C depends on B only; B was skipped, so C is skipped too.
    assert_eq!(stage_outcome(&ev, "C"), "Skipped");
    assert_eq!(stage_outcome(&ev, "Report"), "Succeeded");
    assert_eq!(stage_outcome(&ev, "Free"), "Succeeded");
    assert!(!started_job(&ev, "B", "J") && !started_job(&ev, "C", "J"));
    assert_eq!(run_outcome(&ev), "Failed");
}

#[test]
fn task_complete_succeeded_with_issues_marks_partial_success() {
    let s = Sandbox::with(
        "task-complete",
        r#"
stage A {
  job J {
    script "echo '##vso[task.logissue type=warning]careful'; echo '##vso[task.complete result=SucceededWithIssues;]almost'"
    script "echo next"
  }
}
"#,
    );
    let out = s.run(&[]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", dump(&ev));
    assert_eq!(step_outcome(&ev, "A", "J", 0), "SucceededWithIssues");
    let first = &ev[pos(&ev, "step 0", |e| {
        at(e, "step_finished", "A", "J") && e["step"] == 0
    })];
    assert!(first["issues"].to_string().contains("careful"), "{first}");
    assert_eq!(step_outcome(&ev, "A", "J", 1), "Succeeded");
    assert_eq!(job_outcome(&ev, "A", "J"), "SucceededWithIssues");
    assert_eq!(run_outcome(&ev), "SucceededWithIssues");
}

#[test]
fn a_step_with_retries_runs_again_after_failing() {
    let s = Sandbox::with(
        "retries",
        r#"
stage A {
  job J {
    script "echo attempt >> ../attempts; if [ -f ../marker ]; then echo second; else touch ../marker; exit 1; fi" { retries 2 }
    script "echo after"
  }
}
"#,
    );
    let out = s.run(&[]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", dump(&ev));
    assert_eq!(step_outcome(&ev, "A", "J", 0), "Succeeded");
    assert_eq!(
        count(&ev, |e| at(e, "step_finished", "A", "J") && e["step"] == 0),
        1,
        "all attempts are one step"
    );
    assert_eq!(s.read(".relc/work/1/A.J/attempts").lines().count(), 2);
    assert_eq!(step_outcome(&ev, "A", "J", 1), "Succeeded");
}

// ── 2. Output variables ─────────────────────────────────────────────────────

#[test]
fn an_output_variable_is_read_in_its_job_and_by_a_later_job_of_the_stage() {
    let s = Sandbox::with(
        "outputs-job",
        r#"
stage A {
  job J {
    script "echo '##vso[task.setvariable variable=v;isOutput=true]yes'" { name "setv" }
    script "echo macro=$(setv.v)"
  }
  job K after J {
    when dependencies.J.outputs['setv.v'] == 'yes'
    script "echo k"
  }
  job N after J {
    when dependencies.J.outputs['setv.v'] == 'no'
    script "echo n"
  }
}
"#,
    );
    let out = s.run(&[]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", dump(&ev));
    let set = &ev[pos(&ev, "step 0", |e| {
        at(e, "step_finished", "A", "J") && e["step"] == 0
    })];
    assert_eq!(set["variables"][0]["name"], "v");
    assert_eq!(set["variables"][0]["output"], true);
    assert!(
        log(&s, "A", "J", 2).contains("macro=yes"),
        "{}",
        log(&s, "A", "J", 2)
    );
    assert_eq!(job_outcome(&ev, "A", "K"), "Succeeded");
    assert!(skipped_job(&ev, "A", "N"));
}

#[test]
fn an_output_variable_crosses_stages() {
    let s = Sandbox::with(
        "outputs-stage",
        r#"
stage A {
  job J {
    script "echo '##vso[task.setvariable variable=v;isOutput=true]yes'" { name "setv" }
  }
}
stage B after A {
  when dependencies.A.outputs['J.setv.v'] == 'yes'
  job X {
    when stageDependencies.A.J.outputs['setv.v'] == 'yes'
    script "echo b"
  }
  job Y {
    when stageDependencies.A.J.outputs['setv.v'] == 'no'
    script "echo y"
  }
}
stage C after A {
  when dependencies.A.outputs['J.setv.v'] == 'no'
  job X { script "echo c" }
}
"#,
    );
    let out = s.run(&[]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", dump(&ev));
    assert_eq!(stage_outcome(&ev, "B"), "Succeeded");
    assert_eq!(job_outcome(&ev, "B", "X"), "Succeeded");
    assert!(skipped_job(&ev, "B", "Y"));
    assert_eq!(stage_outcome(&ev, "C"), "Skipped");
}

#[test]
fn output_variables_survive_a_resume() {
    // The job that reads the output is decided after the approval, in another
    // process: the output must come back from the record.
    let s = Sandbox::with(
        "outputs-resume",
        r#"
environment prod { gate approval { approvers ["Mara"] } }
stage A {
  job J {
    script "echo '##vso[task.setvariable variable=v;isOutput=true]yes'" { name "setv" }
  }
}
stage B {
  deployment X to prod {
    when stageDependencies.A.J.outputs['setv.v'] == 'yes'
    script "echo b"
  }
}
"#,
    );
    assert_eq!(s.run(&[]).code, 3);
    assert_eq!(s.relc(&["approve", "last", "--as", "Mara"]).code, 0);
    let out = s.resume(&[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let ev = out.events();
    assert_eq!(job_outcome(&ev, "B", "X"), "Succeeded", "{}", dump(&ev));
}

#[test]
fn a_plain_variable_reaches_later_steps_as_macro_and_environment_variable() {
    let s = Sandbox::with(
        "plain-variable",
        r#"
stage A {
  job J {
    script "echo '##vso[task.setvariable variable=my.plain]hello'; echo same=[$MY_PLAIN]"
    script "echo macro=$(my.plain) env=$MY_PLAIN"
  }
  job K after J { script "echo other=[$MY_PLAIN]" }
}
"#,
    );
    let out = s.run(&[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(log(&s, "A", "J", 1).contains("same=[]"));
    assert!(log(&s, "A", "J", 2).contains("macro=hello env=hello"));
    // Not an output: other jobs do not see it.
    assert!(log(&s, "A", "K", 1).contains("other=[]"));
}

// ── 3. The environment of a step ────────────────────────────────────────────

#[test]
fn variables_map_to_environment_names_and_predefined_directories_are_real() {
    let s = Sandbox::with(
        "environment",
        r#"
var my.setting = "from-the-file"
stage A {
  job J {
    script """
      echo "setting=$MY_SETTING"
      echo "Pipeline.Workspace=$(Pipeline.Workspace)"
      echo "Build.SourcesDirectory=$(Build.SourcesDirectory)"
      echo "Build.ArtifactStagingDirectory=$(Build.ArtifactStagingDirectory)"
      echo "Agent.TempDirectory=$(Agent.TempDirectory)"
      echo "PIPELINE_WORKSPACE=$PIPELINE_WORKSPACE"
      echo "BUILD_SOURCESDIRECTORY=$BUILD_SOURCESDIRECTORY"
      echo "BUILD_ARTIFACTSTAGINGDIRECTORY=$BUILD_ARTIFACTSTAGINGDIRECTORY"
      echo "AGENT_TEMPDIRECTORY=$AGENT_TEMPDIRECTORY"
      echo "cwd=$PWD"
      """
  }
}
"#,
    );
    let out = s.run(&["--var", "my.setting=from-the-command-line"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let text = log(&s, "A", "J", 1);
    let value = |k: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k} in {text}"))
            .to_string()
    };
    assert_eq!(value("setting"), "from-the-command-line");
    let workspace = PathBuf::from(value("Pipeline.Workspace"));
    for (name, env) in [
        ("Pipeline.Workspace", "PIPELINE_WORKSPACE"),
        ("Build.SourcesDirectory", "BUILD_SOURCESDIRECTORY"),
        (
            "Build.ArtifactStagingDirectory",
            "BUILD_ARTIFACTSTAGINGDIRECTORY",
        ),
        ("Agent.TempDirectory", "AGENT_TEMPDIRECTORY"),
    ] {
        let dir = PathBuf::from(value(name));
        assert!(dir.is_absolute(), "{name} = {}", dir.display());
        assert!(dir.is_dir(), "{name} = {} is no directory", dir.display());
        assert!(dir.starts_with(&workspace), "{name} = {}", dir.display());
        assert_eq!(value(env), value(name), "{env}");
    }
    assert_eq!(value("cwd"), value("Build.SourcesDirectory"));
}

#[test]
fn workdir_and_step_env_apply_to_the_step() {
    let s = Sandbox::with(
        "workdir-env",
        r#"
var greeting = "hello"
stage A {
  job J {
    script "mkdir -p tools/bin"
    script "echo cwd=$PWD greet=$GREET plain=$PLAIN" {
      workdir "tools/bin"
      env { GREET = "$(greeting) world"  PLAIN = "as written" }
    }
    script "echo next=[$GREET]"
  }
}
"#,
    );
    let out = s.run(&[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let sources = s.path(".relc/work/1/A.J/s");
    assert!(
        log(&s, "A", "J", 2).contains(&format!(
            "cwd={}/tools/bin greet=hello world plain=as written",
            sources.display()
        )),
        "{}",
        log(&s, "A", "J", 2)
    );
    // A step's env is its own.
    assert!(log(&s, "A", "J", 3).contains("next=[]"));
}

// ── 4. The ready-queue scheduler ────────────────────────────────────────────

#[test]
fn a_job_starts_when_its_own_dependencies_are_done_not_its_level() {
    // B finishes only once C has run: a scheduler that waited for the whole
    // level (A and B) before starting C would never finish B (it gives up
    // and fails after a while).
    let s = Sandbox::with(
        "ready-queue",
        r#"
stage S {
  job A { script "echo a" }
  job B {
    script "for i in $(seq 600); do [ -f ../../c-ran ] && exit 0; sleep 0.1; done; exit 1"
  }
  job C after A { script "touch ../../c-ran" }
}
"#,
    );
    let out = s.run(&["--max-parallel", "3"]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", dump(&ev));
    let c_started = pos(&ev, "C started", |e| at(e, "job_started", "S", "C"));
    let b_finished = pos(&ev, "B finished", |e| at(e, "job_finished", "S", "B"));
    let a_finished = pos(&ev, "A finished", |e| at(e, "job_finished", "S", "A"));
    assert!(
        a_finished < c_started && c_started < b_finished,
        "{}",
        dump(&ev)
    );
}

#[test]
fn max_parallel_1_never_runs_two_jobs_at_once() {
    let s = Sandbox::with(
        "max-parallel",
        r#"
stage S {
  job A { script "echo a" }
  job B { script "echo b" }
  job C { script "echo c" }
  job D after [A, B] { script "echo d" }
}
stage T after none {
  job E { script "echo e" }
  job F { script "echo f" }
}
"#,
    );
    let out = s.run(&["--max-parallel", "1"]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", dump(&ev));
    let mut running = 0i32;
    for e in &ev {
        if is(e, "job_started") {
            running += 1;
        } else if is(e, "job_finished") {
            running -= 1;
        }
        assert!(running <= 1, "two jobs at once:\n{}", dump(&ev));
    }
    assert_eq!(count(&ev, |e| is(e, "job_started")), 6);
}

// ── 5. Approvals ────────────────────────────────────────────────────────────

fn approval_pipeline(name: &str, gate: &str) -> Sandbox {
    Sandbox::with(
        name,
        &format!(
            r#"
artifact app
environment prod protected {{
  gate approval {{ {gate} }}
}}
stage Build {{
  job B {{
    script "mkdir -p out && echo v1 > out/app.txt"
    publish app from "out"
  }}
}}
stage Prod {{ deployment D to prod {{ script "echo deploy" }} }}
"#
        ),
    )
}

#[test]
fn an_approval_waits_then_approve_and_resume_deploys() {
    let s = approval_pipeline("approve", r#"approvers ["Mara"]"#);
    let out = s.run(&[]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    let ev = out.events();
    assert!(
        ev.iter()
            .any(|e| is(e, "gate_waiting") && e["gate"] == "prod/approval")
    );
    assert_eq!(ev.last().unwrap()["event"], "run_waiting");
    assert!(!started_job(&ev, "Prod", "D"));
    let status: Value =
        serde_json::from_str(&s.relc(&["status", "--format", "json"]).stdout).unwrap();
    assert_eq!(status, serde_json::json!([]));

    let ok = s.relc(&["approve", "last", "--as", "Mara", "--comment", "looks good"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let out = s.resume(&[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let ev = s.record(1);
    let verdict = pos(&ev, "verdict", |e| is(e, "verdict"));
    assert_eq!(ev[verdict]["by"], "Mara");
    assert_eq!(ev[verdict]["comment"], "looks good");
    let passed = pos(&ev, "gate passed", |e| is(e, "gate_passed"));
    let started = pos(&ev, "D started", |e| at(e, "job_started", "Prod", "D"));
    assert!(verdict < passed && passed < started);
    assert_eq!(run_outcome(&ev), "Succeeded");

    let status: Value =
        serde_json::from_str(&s.relc(&["status", "--format", "json"]).stdout).unwrap();
    let rows = status.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{status}");
    assert_eq!(rows[0]["environment"], "prod");
    assert_eq!(rows[0]["artifact"], "app");
    assert_eq!(rows[0]["run"], 1);
    let published = &ev[pos(&ev, "artifact", |e| is(e, "artifact_published"))];
    assert_eq!(rows[0]["fingerprint"], published["fingerprint"]);
}

#[test]
fn a_rejection_fails_the_stage() {
    let s = approval_pipeline("reject", r#"approvers ["Mara"]"#);
    assert_eq!(s.run(&[]).code, 3);
    let r = s.relc(&["reject", "last", "--as", "Mara", "--comment", "not today"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = s.resume(&[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let ev = s.record(1);
    let failed = &ev[pos(&ev, "gate failed", |e| is(e, "gate_failed"))];
    assert!(
        failed["reason"].as_str().unwrap().contains("not today"),
        "{failed}"
    );
    assert_eq!(stage_outcome(&ev, "Prod"), "Failed");
    assert!(skipped_job(&ev, "Prod", "D"));
    assert!(!started_job(&ev, "Prod", "D"));
    assert_eq!(s.read(".relc/ledger.jsonl"), "");
}

#[test]
fn the_requester_cannot_approve_when_the_gate_says_so() {
    let s = approval_pipeline(
        "requester",
        r#"approvers ["Mara", "Ravi"] min 1 requester_can_approve false"#,
    );
    assert_eq!(s.run(&["--as", "Mara"]).code, 3);
    let refused = s.relc(&["approve", "last", "--as", "Mara"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("requested this run"),
        "{}",
        refused.stderr
    );
    assert!(!s.record(1).iter().any(|e| is(e, "verdict")));
    assert_eq!(s.resume(&[]).code, 3);
    let stranger = s.relc(&["approve", "last", "--as", "Lee"]);
    assert_eq!(stranger.code, 1, "not an approver");
    assert_eq!(s.relc(&["approve", "last", "--as", "Ravi"]).code, 0);
    assert_eq!(s.resume(&[]).code, 0);
}

#[test]
fn min_2_approvers_needs_two_people() {
    let s = approval_pipeline(
        "two-approvers",
        r#"approvers ["Mara", "Ravi", "Lee"] min 2"#,
    );
    assert_eq!(s.run(&[]).code, 3);
    assert_eq!(s.relc(&["approve", "last", "--as", "Mara"]).code, 0);
    let out = s.resume(&[]);
    assert_eq!(out.code, 3, "one approval is not enough: {}", out.stdout);
    // The same person twice is still one person.
    assert_eq!(s.relc(&["approve", "last", "--as", "mara"]).code, 0);
    assert_eq!(s.resume(&[]).code, 3);
    assert!(!started_job(&s.record(1), "Prod", "D"));
    assert_eq!(s.relc(&["approve", "last", "--as", "Lee"]).code, 0);
    let out = s.resume(&[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let ev = s.record(1);
    let passed = &ev[pos(&ev, "gate passed", |e| is(e, "gate_passed"))];
    assert!(
        passed["reason"].as_str().unwrap().contains("Lee"),
        "{passed}"
    );
    assert_eq!(job_outcome(&ev, "Prod", "D"), "Succeeded");
}

#[test]
fn an_approval_times_out_on_the_run_clock() {
    let s = approval_pipeline("approval-timeout", r#"approvers ["Mara"] timeout 1h"#);
    let out = s.run(&["--at", "2026-12-03T10:00"]);
    assert_eq!(out.code, 3);
    let ev = out.events();
    let started = &ev[0];
    assert_eq!(started["event"], "run_started");
    let t0 = started["simulated_at"].as_i64().unwrap();
    let waiting = &ev[pos(&ev, "gate waiting", |e| is(e, "gate_waiting"))];
    assert!(waiting["at"].as_i64().unwrap() >= t0);
    // Half an hour later it still waits.
    assert_eq!(s.resume(&["--at", "2026-12-03T10:30"]).code, 3);
    // Past the timeout: the stage is skipped (nobody approved), the run is done.
    let out = s.resume(&["--at", "2026-12-03T11:30"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let ev = s.record(1);
    let clock: Vec<i64> = ev
        .iter()
        .filter(|e| is(e, "clock_set"))
        .map(|e| e["simulated_at"].as_i64().unwrap())
        .collect();
    assert_eq!(clock, vec![t0 + 30 * 60, t0 + 90 * 60]);
    let failed = &ev[pos(&ev, "gate failed", |e| is(e, "gate_failed"))];
    assert_eq!(failed["outcome"], "Skipped");
    assert_eq!(stage_outcome(&ev, "Prod"), "Skipped");
    assert!(!started_job(&ev, "Prod", "D"));
}

#[test]
fn a_manual_validation_nobody_gives_times_out_and_rejects() {
    let s = Sandbox::with(
        "manual-validation",
        r#"
gate qa = manual_validation { notify ["qa@example.com"] timeout 1h on_timeout reject }
stage A { job J { script "echo a" } }
stage B {
  gate qa
  job X { script "echo b" }
}
"#,
    );
    let out = s.run(&["--at", "2026-12-03T10:00"]);
    assert_eq!(out.code, 3);
    assert!(
        out.events()
            .iter()
            .any(|e| is(e, "gate_waiting") && e["gate"] == "B/qa")
    );
    let out = s.resume(&["--at", "2026-12-03T11:01"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let ev = out.events();
    assert_eq!(ev[0]["event"], "clock_set");
    assert_eq!(job_outcome(&ev, "B", "qa"), "Failed");
    assert!(skipped_job(&ev, "B", "X"));
    assert_eq!(stage_outcome(&ev, "B"), "Failed");
}

#[test]
fn a_delay_passes_on_the_run_clock() {
    let s = Sandbox::with(
        "delay",
        r#"
gate soak = delay { for 30m }
stage A { job J { script "echo a" } }
stage B {
  gate soak
  job X { script "echo b" }
}
"#,
    );
    let out = s.run(&["--at", "2026-12-03T10:00"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let ev = out.events();
    let t0 = ev[0]["simulated_at"].as_i64().unwrap();
    let clock = &ev[pos(&ev, "clock", |e| is(e, "clock_set"))];
    assert_eq!(clock["simulated_at"].as_i64().unwrap(), t0 + 30 * 60);
    let finished_a = pos(&ev, "A done", |e| {
        is(e, "stage_finished") && e["stage"] == "A"
    });
    let soak = pos(&ev, "soak", |e| {
        is(e, "gate_passed") && e["gate"] == "B/soak"
    });
    let x = pos(&ev, "X", |e| at(e, "job_started", "B", "X"));
    assert!(finished_a < soak && soak < x);
}

// ── 6. kill -9 and resume ───────────────────────────────────────────────────

#[test]
fn a_run_killed_with_sigkill_resumes_after_its_last_finished_step() {
    let s = Sandbox::with(
        "sigkill",
        r#"
stage A {
  job J {
    script "echo one >> ../one.txt"
    script "echo attempt >> ../two.txt; [ -f ../go ] && exit 0; sleep 30"
    script "echo three >> ../three.txt"
  }
}
"#,
    );
    let mut relc = s.spawn(&[]);
    s.wait_for_event(1, "step 2 to start", |e| {
        is(e, "step_started") && e["step"] == 1
    });
    wait_until("step 2 to run", || {
        !s.read(".relc/work/1/A.J/two.txt").is_empty()
    });
    relc.0.kill().unwrap(); // SIGKILL
    relc.0.wait().unwrap();
    // The step's processes die with relc.
    s.assert_no_step_processes();
    let runs = s.relc(&["runs"]);
    assert!(runs.stdout.contains("Interrupted"), "{}", runs.stdout);

    s.write(".relc/work/1/A.J/go", "");
    let out = s.resume(&[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(s.read(".relc/work/1/A.J/one.txt").lines().count(), 1);
    assert_eq!(s.read(".relc/work/1/A.J/two.txt").lines().count(), 2);
    assert_eq!(s.read(".relc/work/1/A.J/three.txt").lines().count(), 1);
    let ev = s.record(1);
    assert_eq!(count(&ev, |e| is(e, "step_started") && e["step"] == 0), 1);
    assert_eq!(count(&ev, |e| is(e, "step_started") && e["step"] == 1), 2);
    assert_eq!(count(&ev, |e| is(e, "step_finished") && e["step"] == 0), 1);
    assert_eq!(run_outcome(&ev), "Succeeded");
    assert_eq!(count(&ev, |e| is(e, "run_finished")), 1);
}

// ── 7. Ctrl-C ───────────────────────────────────────────────────────────────

#[test]
fn ctrl_c_cancels_the_running_step_and_still_runs_always_steps() {
    let s = Sandbox::with(
        "ctrl-c",
        r#"
stage A {
  job J {
    script "echo started > ../started; sleep 30; echo finished > ../finished"
    script "echo never > ../never"
    script "echo cleanup > ../cleanup" { when always() }
  }
}
stage B { job K { script "echo b" } }
stage C {
  when always()
  job K {
    when always()
    script "echo c > ../c"
  }
  job L { script "echo l" }
}
"#,
    );
    let relc = s.spawn(&[]);
    s.wait_for_event(1, "step 1 to start", |e| is(e, "step_started"));
    wait_until("the step to run", || {
        !s.read(".relc/work/1/A.J/started").is_empty()
    });
    // SAFETY: kill(2) of the child this test started.
    unsafe {
        libc::kill(relc.id() as i32, libc::SIGINT);
    }
    let (code, err) = wait_child(relc);
    assert_eq!(code, 130, "{err}");
    let ev = s.record(1);
    let cancel = pos(&ev, "cancel", |e| is(e, "cancel_requested"));
    let step0 = pos(&ev, "step 0", |e| is(e, "step_finished") && e["step"] == 0);
    assert!(cancel < step0);
    assert_eq!(step_outcome(&ev, "A", "J", 0), "Canceled");
    assert_eq!(step_outcome(&ev, "A", "J", 1), "Skipped");
    assert_eq!(step_outcome(&ev, "A", "J", 2), "Succeeded");
    assert_eq!(job_outcome(&ev, "A", "J"), "Canceled");
    assert_eq!(stage_outcome(&ev, "B"), "Skipped");
    // A stage that runs always() runs even when canceled (SEMANTICS.md §2.3).
    // … and so does a job that does (a default job condition is false once canceled).
    assert_eq!(job_outcome(&ev, "C", "K"), "Succeeded");
    assert!(skipped_job(&ev, "C", "L"));
    assert_eq!(s.read(".relc/work/1/C.K/c"), "c\n");
    assert_eq!(run_outcome(&ev), "Canceled");
    assert_eq!(s.read(".relc/work/1/A.J/cleanup"), "cleanup\n");
    assert_eq!(s.read(".relc/work/1/A.J/never"), "");
    assert_eq!(s.read(".relc/work/1/A.J/finished"), "");
    s.assert_no_step_processes();
}

// ── 8. Secrets ──────────────────────────────────────────────────────────────

#[test]
fn secret_values_reach_no_file_and_no_output() {
    let s = Sandbox::with(
        "secrets",
        r###"
secret TOKEN
stage A {
  job J {
    script "echo token=$(TOKEN)"
    script "echo tok-env=$MAPPED" { env { MAPPED = "$(TOKEN)" } }
    script "v=$(printf '%s-%s' set-by-secret 7741); echo \"##vso[task.setsecret]$v\"; echo again $v; echo $v >&2"
    script "v=$(printf '%s-%s' var-by-secret 9923); echo \"##vso[task.setvariable variable=sv;issecret=true]$v\""
    script "echo sv=$(sv); echo '##vso[task.setvariable variable=leak;isOutput=true]$(sv)'" { name "out" }
    script "echo failing with $(TOKEN) $(sv); exit 1"
  }
}
"###,
    );
    let token = "tok-very-secret-5527";
    let out = s
        .command(&["run", "p.release", "--format", "json", "--secret", "TOKEN"])
        .env("TOKEN", token)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let ev = parse_lines(&stdout);
    // The steps did see the values (masked in what they print).
    assert!(
        log(&s, "A", "J", 1).contains("token=***"),
        "{}",
        log(&s, "A", "J", 1)
    );
    assert!(log(&s, "A", "J", 2).contains("tok-env=***"));
    assert!(log(&s, "A", "J", 3).contains("again ***"));
    assert!(log(&s, "A", "J", 5).contains("sv=***"));
    assert_eq!(step_outcome(&ev, "A", "J", 5), "Failed");
    let secrets = [token, "set-by-secret-7741", "var-by-secret-9923"];
    for text in [&stdout, &stderr] {
        for v in secrets {
            assert!(!text.contains(v), "{v} in the output:\n{text}");
        }
    }
    let mut files = vec![s.path(".relc")];
    let mut seen = 0;
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for v in secrets {
            assert!(!text.contains(v), "{v} in {}", p.display());
        }
        seen += 1;
    }
    assert!(seen >= 8, "only {seen} files looked at");
}

// ── 9. HTTP checks ──────────────────────────────────────────────────────────

/// A JSON service on loopback answering `{"status": …}` with whatever
/// `answer` holds; it counts the requests.
struct Service {
    port: u16,
    answer: std::sync::Arc<std::sync::Mutex<String>>,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Service {
    fn start(first: &str) -> Service {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let answer = std::sync::Arc::new(std::sync::Mutex::new(first.to_string()));
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (a, r) = (answer.clone(), requests.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut head = String::new();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                r.lock()
                    .unwrap()
                    .push(format!("{head}\n{}", String::from_utf8_lossy(&body)));
                let text = format!("{{\"status\": \"{}\"}}", a.lock().unwrap());
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        Service {
            port,
            answer,
            requests,
        }
    }
}

const HTTP_PIPELINE: &str = r#"
environment production {
  gate http {
    connection "change-management"
    method POST
    url_suffix "/changes/approved"
    body "{\"build\": \"$(Build.BuildId)\"}"
    success "eq(root['status'], 'approved')"
    timeout 2h
    retry_interval 10m
  }
}
stage Prod { deployment D to production { script "echo deploy" } }
"#;

#[test]
fn an_http_check_waits_until_the_service_approves() {
    let s = Sandbox::with("http", HTTP_PIPELINE);
    let service = Service::start("pending");
    let connection = format!("change-management=http://127.0.0.1:{}", service.port);
    let out = s.run(&["--connection", &connection]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    let ev = out.events();
    let waiting = &ev[pos(&ev, "gate waiting", |e| is(e, "gate_waiting"))];
    assert_eq!(waiting["gate"], "production/http");
    assert!(
        waiting["reason"].as_str().unwrap().contains("pending"),
        "{waiting}"
    );
    assert!(!started_job(&ev, "Prod", "D"));
    {
        let requests = service.requests.lock().unwrap();
        assert_eq!(requests.len(), 1);
        assert!(
            requests[0].starts_with("POST /changes/approved "),
            "{}",
            requests[0]
        );
        assert!(
            requests[0].ends_with("{\"build\": \"1\"}"),
            "{}",
            requests[0]
        );
    }

    *service.answer.lock().unwrap() = "approved".into();
    let out = s.resume(&["--connection", &connection]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let ev = s.record(1);
    let passed = pos(&ev, "gate passed", |e| {
        is(e, "gate_passed") && e["gate"] == "production/http"
    });
    assert!(passed < pos(&ev, "D started", |e| at(e, "job_started", "Prod", "D")));
    assert_eq!(job_outcome(&ev, "Prod", "D"), "Succeeded");
    assert_eq!(service.requests.lock().unwrap().len(), 2);
}

#[test]
fn an_http_check_refuses_an_address_off_this_machine() {
    let s = Sandbox::with("http-remote", HTTP_PIPELINE);
    let out = s.run(&["--connection", "change-management=http://192.0.2.1:80"]);
    let ev = out.events();
    assert_eq!(out.code, 1, "{}", out.stdout);
    let failed = &ev[pos(&ev, "gate failed", |e| is(e, "gate_failed"))];
    assert!(
        failed["reason"].as_str().unwrap().contains("loopback"),
        "{failed}"
    );
    assert_eq!(stage_outcome(&ev, "Prod"), "Failed");
    assert!(!started_job(&ev, "Prod", "D"));
}

// ── 10. Exclusive lock ──────────────────────────────────────────────────────

#[test]
fn an_exclusive_lock_keeps_a_second_run_out_until_the_first_is_done() {
    let s = Sandbox::with(
        "lock",
        r#"
var shared = ""
environment prod { gate lock { } }
stage Prod {
  deployment D to prod {
    script "echo start $(Build.BuildId) >> $(shared)/order; while [ ! -f $(shared)/go ]; do sleep 0.1; done; echo end $(Build.BuildId) >> $(shared)/order"
  }
}
"#,
    );
    let shared = format!("shared={}", s.dir.display());
    let a = s.spawn(&["--var", &shared]);
    s.wait_for_event(1, "A's deployment to start", |e| {
        is(e, "step_started") && e["job"] == "D"
    });
    let b = s.spawn(&["--var", &shared]);
    s.wait_for_event(2, "B to wait on the lock", |e| {
        is(e, "gate_waiting") && e["gate"] == "prod/lock"
    });
    assert!(
        !started_job(&s.record(2), "Prod", "D"),
        "B deploys while A holds the lock"
    );
    s.write("go", "");
    let (code_a, err_a) = wait_child(a);
    let (code_b, err_b) = wait_child(b);
    assert_eq!((code_a, code_b), (0, 0), "{err_a}\n{err_b}");
    assert_eq!(s.read("order"), "start 1\nend 1\nstart 2\nend 2\n");
    let ev = s.record(2);
    let waited = pos(&ev, "B waits", |e| is(e, "gate_waiting"));
    let passed = pos(&ev, "B passes", |e| is(e, "gate_passed"));
    assert!(
        waited < passed && passed < pos(&ev, "B deploys", |e| at(e, "job_started", "Prod", "D"))
    );
}

#[test]
fn ctrl_c_while_waiting_for_a_lock_cancels_the_stage() {
    let s = Sandbox::with(
        "lock-cancel",
        r#"
var shared = ""
environment prod { gate lock { } }
stage Prod {
  deployment D to prod {
    script "echo start $(Build.BuildId) >> $(shared)/order; while [ ! -f $(shared)/go ]; do sleep 0.1; done"
  }
}
"#,
    );
    let shared = format!("shared={}", s.dir.display());
    let a = s.spawn(&["--var", &shared]);
    s.wait_for_event(1, "A's deployment to start", |e| {
        is(e, "step_started") && e["job"] == "D"
    });
    let b = s.spawn(&["--var", &shared]);
    s.wait_for_event(2, "B to wait on the lock", |e| {
        is(e, "gate_waiting") && e["gate"] == "prod/lock"
    });
    // SAFETY: kill(2) of the child this test started.
    unsafe {
        libc::kill(b.id() as i32, libc::SIGINT);
    }
    let (code_b, err_b) = wait_child(b);
    assert_eq!(code_b, 130, "{err_b}");
    let ev = s.record(2);
    let failed = &ev[pos(&ev, "gate failed", |e| is(e, "gate_failed"))];
    assert_eq!(failed["outcome"], "Canceled");
    assert_eq!(stage_outcome(&ev, "Prod"), "Canceled");
    assert!(!started_job(&ev, "Prod", "D"));
    assert_eq!(run_outcome(&ev), "Canceled");
    s.write("go", "");
    let (code_a, err_a) = wait_child(a);
    assert_eq!(code_a, 0, "{err_a}");
    assert_eq!(s.read("order"), "start 1\n");
}

#[test]
fn a_resumed_run_takes_its_lock_again() {
    // A holds the lock and is killed; B takes the lock; A resumed must wait
    // for B instead of deploying beside it on the strength of its record.
    let s = Sandbox::with(
        "lock-resume",
        r#"
var shared = ""
environment prod { gate lock { } }
stage Prod {
  deployment D to prod {
    script "echo start $(Build.BuildId) >> $(shared)/order; while [ ! -f $(shared)/go ]; do sleep 0.1; done; echo end $(Build.BuildId) >> $(shared)/order"
  }
}
"#,
    );
    let shared = format!("shared={}", s.dir.display());
    let mut a = s.spawn(&["--var", &shared]);
    s.wait_for_event(1, "A's deployment to start", |e| {
        is(e, "step_started") && e["job"] == "D"
    });
    wait_until("A's step to run", || s.read("order") == "start 1\n");
    a.0.kill().unwrap();
    a.0.wait().unwrap();
    s.assert_no_step_processes();
    let b = s.spawn(&["--var", &shared]);
    s.wait_for_event(2, "B's deployment to start", |e| {
        is(e, "step_started") && e["job"] == "D"
    });
    let waits_before = count(&s.record(1), |e| is(e, "gate_waiting"));
    let a = s.spawn_relc(&["resume", "1", "--format", "json"]);
    wait_until("A to wait for the lock again", || {
        count(&s.record(1), |e| {
            is(e, "gate_waiting") && e["gate"] == "prod/lock"
        }) > waits_before
    });
    assert_eq!(s.read("order"), "start 1\nstart 2\n");
    s.write("go", "");
    let (code_b, err_b) = wait_child(b);
    let (code_a, err_a) = wait_child(a);
    assert_eq!((code_a, code_b), (0, 0), "{err_a}\n{err_b}");
    assert_eq!(s.read("order"), "start 1\nstart 2\nend 2\nstart 1\nend 1\n");
}

// ── 11. Artifacts and promotion ─────────────────────────────────────────────

const PROMOTE_PIPELINE: &str = r#"
var out = ""
var content = "v1"
artifact app
environment dev { local_deploy "set -eu; mkdir -p $(out)/dev && cp -r $(Pipeline.Workspace)/app/. $(out)/dev/" }
environment test { local_deploy "set -eu; mkdir -p $(out)/test && cp -r $(Pipeline.Workspace)/app/. $(out)/test/" }
stage Build {
  job B {
    script "mkdir -p $(Build.ArtifactStagingDirectory) && echo $(content) > $(Build.ArtifactStagingDirectory)/app.txt"
    publish app from "$(Build.ArtifactStagingDirectory)"
  }
}
stage Dev {
  when reason == "Manual"
  deployment D to dev { download app }
}
stage Test {
  when reason == "Manual"
  deployment T to test { download app }
}
"#;

#[test]
fn promotion_goes_through_the_environments_in_order() {
    let s = Sandbox::with("promote", PROMOTE_PIPELINE);
    let out_var = format!("out={}", s.path("deployed").display());
    // A push builds; only a manual run deploys.
    let out = s.run(&["--var", &out_var]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let ev = out.events();
    assert_eq!(stage_outcome(&ev, "Dev"), "Skipped");
    let fp = ev[pos(&ev, "artifact", |e| is(e, "artifact_published"))]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();

    let refused = s.relc(&["promote", "1", "--to", "test", "--format", "json"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("dev"), "{}", refused.stderr);
    assert!(!s.path("deployed/test").exists());
    assert_eq!(s.read(".relc/ledger.jsonl"), "");

    let dev = s.relc(&["promote", "1", "--to", "dev", "--format", "json"]);
    assert_eq!(dev.code, 0, "{}\n{}", dev.stdout, dev.stderr);
    assert_eq!(s.read("deployed/dev/app.txt"), "v1\n");
    let test = s.relc(&["promote", "1", "--to", "test", "--format", "json"]);
    assert_eq!(test.code, 0, "{}\n{}", test.stdout, test.stderr);
    assert_eq!(s.read("deployed/test/app.txt"), "v1\n");

    let status: Value =
        serde_json::from_str(&s.relc(&["status", "--format", "json"]).stdout).unwrap();
    let rows = status.as_array().unwrap();
    let row = |env: &str| {
        rows.iter()
            .find(|r| r["environment"] == env)
            .unwrap_or_else(|| panic!("no {env} in {status}"))
    };
    assert_eq!(row("dev")["fingerprint"], fp.as_str());
    assert_eq!(row("test")["fingerprint"], fp.as_str());
    assert_eq!(row("dev")["artifact"], "app");
    // The promotions are runs of their own.
    assert_eq!(row("dev")["run"], 2);
    assert_eq!(row("test")["run"], 3);
}

#[test]
fn identical_content_gives_the_same_fingerprint() {
    let s = Sandbox::with("fingerprint", PROMOTE_PIPELINE);
    let out_var = format!("out={}", s.path("deployed").display());
    let fingerprint = |out: &Out| -> String {
        let ev = out.events();
        ev[pos(&ev, "artifact", |e| is(e, "artifact_published"))]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let first = fingerprint(&s.run(&["--var", &out_var]));
    let again = fingerprint(&s.run(&["--var", &out_var]));
    let other = fingerprint(&s.run(&["--var", &out_var, "--var", "content=v2"]));
    assert_eq!(first, again);
    assert_ne!(first, other);
    assert_eq!(first.len(), 64, "{first}");
}

// ── 12. Plan and run agree ──────────────────────────────────────────────────

#[test]
fn plan_and_run_decide_the_same_stages() {
    let s = Sandbox::with(
        "plan-vs-run",
        r#"
stage Build { job B { script "echo build" } }
stage Deploy {
  when branch == "main"
  job D { script "echo deploy" }
}
stage AfterDeploy { job X { script "echo after" } }
stage Nightly after none {
  when reason == "Schedule"
  job N { script "echo nightly" }
}
stage Cleanup after [Deploy, Nightly] {
  when always()
  job C { script "echo cleanup" }
}
stage Pr after Build {
  when reason == "PullRequest"
  job P { script "echo pr" }
}
"#,
    );
    // A push to a branch the trigger does not list starts nothing.
    let plan = s.relc(&[
        "plan",
        "p.release",
        "--format",
        "json",
        "--branch",
        "feature",
    ]);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(plan["starts"], false);
    let out = s.run(&["--branch", "feature"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    assert!(!s.path(".relc/runs/1").exists());
    for args in [
        vec!["--branch", "main"],
        vec!["--trigger", "manual", "--branch", "feature"],
        vec!["--trigger", "manual", "--branch", "main"],
    ] {
        let mut plan_args = vec!["plan", "p.release", "--format", "json"];
        plan_args.extend_from_slice(&args);
        let plan = s.relc(&plan_args);
        assert_eq!(plan.code, 0, "{}", plan.stderr);
        let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
        let planned: Vec<(String, String)> = plan["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|st| {
                (
                    st["name"].as_str().unwrap().to_string(),
                    st["decision"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let out = s.run(&args);
        assert_eq!(out.code, 0, "{}", out.stdout);
        let ev = out.events();
        let ran: Vec<(String, String)> = planned
            .iter()
            .map(|(name, _)| {
                let started = ev
                    .iter()
                    .any(|e| is(e, "stage_started") && e["stage"] == *name);
                let skipped = ev
                    .iter()
                    .any(|e| is(e, "stage_skipped") && e["stage"] == *name);
                assert!(started != skipped, "{name}: {}", dump(&ev));
                (
                    name.clone(),
                    if started { "run" } else { "skip" }.to_string(),
                )
            })
            .collect();
        assert_eq!(planned, ran, "{args:?}");
        let decided = |name: &str| ran.iter().find(|(n, _)| n == name).unwrap().1.clone();
        match args.as_slice() {
            [.., "feature"] => {
                assert_eq!(decided("Deploy"), "skip");
                assert_eq!(decided("AfterDeploy"), "skip");
            }
            _ => assert_eq!(decided("Deploy"), "run"),
        }
        assert_eq!(decided("Cleanup"), "run");
        assert_eq!(decided("Pr"), "skip");
    }
}

// ── Runtime parameters ─────────────────────────────────────────────────────

#[test]
fn runtime_parameters_take_their_defaults_or_the_values_given_and_are_checked() {
    let s = Sandbox::with(
        "runtime-parameters",
        r#"
parameter target: string = "dev" { values ["dev", "prod"] }
parameter smoke: bool = true
parameter site: object = { region = "westeurope" }
stage A {
  job J {
    script "echo deploy-to-" + parameters.target + " in " + parameters.site.region
    script "echo smoke" { when parameters.smoke }
    script "echo prod-only" { when parameters.target == "prod" }
  }
}
"#,
    );
    let out = s.run(&[]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        log(&s, "A", "J", 1).contains("deploy-to-dev in westeurope"),
        "{}",
        log(&s, "A", "J", 1)
    );
    assert_eq!(step_outcome(&ev, "A", "J", 1), "Succeeded");
    assert_eq!(step_outcome(&ev, "A", "J", 2), "Skipped");

    std::fs::remove_dir_all(s.path(".relc")).unwrap();
    let out = s.run(&[
        "--param",
        "target=prod",
        "--param",
        "SMOKE=false",
        "--param",
        r#"site={"region":"eastus"}"#,
    ]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        log(&s, "A", "J", 1).contains("deploy-to-prod in eastus"),
        "{}",
        log(&s, "A", "J", 1)
    );
    assert_eq!(step_outcome(&ev, "A", "J", 1), "Skipped");
    assert_eq!(step_outcome(&ev, "A", "J", 2), "Succeeded");

    let out = s.run(&["--param", "target=qa"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("not one of its values: dev, prod"),
        "{}",
        out.stderr
    );
    let out = s.run(&["--param", "smoke=maybe"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("not true or false"), "{}", out.stderr);
    let out = s.run(&["--param", "tagret=prod"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no such parameter"), "{}", out.stderr);
}

// ── Strategies: matrix legs, parallel slices, deployment hooks ─────────────

#[test]
fn a_matrix_runs_one_job_per_leg_at_most_max_parallel_at_once_and_dependants_wait_for_all() {
    let s = Sandbox::with(
        "matrix-legs",
        r#"
stage A {
  job Test {
    matrix {
      one   { word = "alpha" }
      two   { word = "beta" }
      three { word = "gamma" }
    }
    max_parallel 1
    script "echo leg=$(word) at $(System.JobPositionInPhase)/$(System.TotalJobsInPhase)"
  }
  job After after Test { script "echo after" }
}
"#,
    );
    let out = s.run(&["--max-parallel", "8"]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", out.stderr);
    for (leg, word, at) in [
        ("one", "alpha", 1),
        ("two", "beta", 2),
        ("three", "gamma", 3),
    ] {
        let job = format!("Test {leg}");
        assert_eq!(job_outcome(&ev, "A", &job), "Succeeded");
        assert!(
            log(&s, "A", &job, 1).contains(&format!("leg={word} at {at}/3")),
            "{}",
            log(&s, "A", &job, 1)
        );
    }
    // max_parallel 1: each leg starts after the one before it finished.
    let started = |j: &str| pos(&ev, "job_started", |e| at(e, "job_started", "A", j));
    let finished = |j: &str| pos(&ev, "job_finished", |e| at(e, "job_finished", "A", j));
    assert!(finished("Test one") < started("Test two"), "{}", dump(&ev));
    assert!(
        finished("Test two") < started("Test three"),
        "{}",
        dump(&ev)
    );
    // The job itself finishes after its legs; the job after it starts after that.
    assert_eq!(job_outcome(&ev, "A", "Test"), "Succeeded");
    assert!(finished("Test three") < finished("Test"));
    assert!(finished("Test") < started("After"));
}

#[test]
fn a_failed_matrix_leg_fails_the_job_and_skips_its_dependants() {
    let s = Sandbox::with(
        "matrix-leg-fails",
        r#"
stage A {
  job Test {
    matrix {
      good { code = "0" }
      bad  { code = "3" }
    }
    script "exit $(code)"
  }
  job After after Test { script "echo after" }
}
"#,
    );
    let out = s.run(&[]);
    let ev = out.events();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(job_outcome(&ev, "A", "Test good"), "Succeeded");
    assert_eq!(job_outcome(&ev, "A", "Test bad"), "Failed");
    assert_eq!(job_outcome(&ev, "A", "Test"), "Failed");
    assert!(skipped_job(&ev, "A", "After"));
}

#[test]
fn parallel_slices_know_their_position_and_the_total() {
    let s = Sandbox::with(
        "parallel-slices",
        r#"
stage A {
  job Slice {
    parallel 3
    script "echo slice $(System.JobPositionInPhase) of $(System.TotalJobsInPhase)"
  }
}
"#,
    );
    let out = s.run(&["--max-parallel", "8"]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", out.stderr);
    for i in 1..=3 {
        let job = format!("Slice {i}");
        assert!(log(&s, "A", &job, 1).contains(&format!("slice {i} of 3")));
    }
    assert_eq!(job_outcome(&ev, "A", "Slice"), "Succeeded");
}

#[test]
fn deployment_hooks_run_in_azure_order_then_on_success() {
    let s = Sandbox::with(
        "hooks-success",
        r#"
environment prod { }
stage D {
  deployment Web to prod {
    strategy rolling {
      max_parallel 2
      on_success { script "echo success" }
      on_failure { script "echo failure" }
      post_route_traffic { script "echo post" }
      route_traffic { script "echo route" }
      deploy { script "echo deploy $(Strategy.Name)" }
      pre_deploy { script "echo pre" }
    }
  }
}
"#,
    );
    let out = s.run(&[]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Azure's order, whatever the order written.
    let words = [
        "pre",
        "deploy rolling",
        "route",
        "post",
        "failure",
        "success",
    ];
    for (i, w) in words.iter().enumerate() {
        let outcome = step_outcome(&ev, "D", "Web", i as u64);
        if *w == "failure" {
            assert_eq!(outcome, "Skipped");
        } else {
            assert_eq!(outcome, "Succeeded", "step {i}");
            assert!(log(&s, "D", "Web", i + 1).contains(w), "step {i}");
        }
    }
    assert_eq!(job_outcome(&ev, "D", "Web"), "Succeeded");
}

#[test]
fn a_failed_hook_skips_the_hooks_after_it_runs_on_failure_and_fails_the_job() {
    let s = Sandbox::with(
        "hooks-failure",
        r#"
environment prod { }
stage D {
  deployment Web to prod {
    strategy run_once {
      pre_deploy { script "echo pre" }
      deploy { script "exit 4" }
      route_traffic { script "echo route" }
      on_failure { script "echo rollback" }
      on_success { script "echo success" }
    }
  }
}
"#,
    );
    let out = s.run(&[]);
    let ev = out.events();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(step_outcome(&ev, "D", "Web", 0), "Succeeded");
    assert_eq!(step_outcome(&ev, "D", "Web", 1), "Failed");
    assert_eq!(step_outcome(&ev, "D", "Web", 2), "Skipped");
    assert_eq!(step_outcome(&ev, "D", "Web", 3), "Succeeded");
    assert!(log(&s, "D", "Web", 4).contains("rollback"));
    assert_eq!(step_outcome(&ev, "D", "Web", 4), "Skipped");
    // A rollback that succeeds does not make the deployment succeed.
    assert_eq!(job_outcome(&ev, "D", "Web"), "Failed");
}

#[test]
fn a_canary_deploys_once_per_increment_then_to_all() {
    let s = Sandbox::with(
        "canary",
        r#"
environment prod { }
stage D {
  deployment Web to prod {
    strategy canary {
      increments [10, 50]
      pre_deploy { script "echo pre" }
      deploy { script "echo deploy $(Strategy.Increment)" }
    }
  }
}
"#,
    );
    let out = s.run(&[]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(log(&s, "D", "Web", 1).contains("pre"));
    for (step, inc) in [(2, 10), (3, 50), (4, 100)] {
        assert!(
            log(&s, "D", "Web", step).contains(&format!("deploy {inc}")),
            "step {step}: {}",
            log(&s, "D", "Web", step)
        );
    }
    assert_eq!(count(&ev, |e| at(e, "step_started", "D", "Web")), 4);
}

#[test]
fn a_compile_time_if_on_a_runtime_parameter_keeps_or_drops_jobs_and_steps_as_azure_would() {
    let s = Sandbox::with(
        "compile-time-if",
        r#"
parameter target: string = "dev" { values ["dev", "prod"] }
template checks(strict: bool) {
  if strict { script "echo strict" } else { script "echo lenient" }
}
stage A {
  job Build {
    script "echo build"
    if parameters.target == "prod" { script "echo release-checks" } else { script "echo quick-checks" }
    use checks(true)
  }
  if parameters.target == "prod" {
    job Sign { script "echo sign" }
  }
}
"#,
    );
    let out = s.run(&[]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!started_job(&ev, "A", "Sign"), "{}", dump(&ev));
    assert_eq!(
        count(&ev, |e| at(e, "step_started", "A", "Build")),
        3,
        "{}",
        dump(&ev)
    );
    assert!(
        log(&s, "A", "Build", 2).contains("quick-checks"),
        "{}",
        log(&s, "A", "Build", 2)
    );
    assert!(log(&s, "A", "Build", 3).contains("strict"));

    std::fs::remove_dir_all(s.path(".relc")).unwrap();
    let out = s.run(&["--param", "target=prod"]);
    let ev = out.events();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(job_outcome(&ev, "A", "Sign"), "Succeeded");
    assert!(
        log(&s, "A", "Build", 2).contains("release-checks"),
        "{}",
        log(&s, "A", "Build", 2)
    );
    assert!(log(&s, "A", "Sign", 1).contains("sign"));
}

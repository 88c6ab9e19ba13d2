//! Azure's condition and result semantics (SEMANTICS.md §2.3–2.4) through the
//! real scheduler, with an injected executor: a script's text says how it
//! ends (`ok`, `fail`, `issues`, `out NAME=VALUE`), so these tests need no
//! processes and never sleep. Each asserts the results recorded in the run's
//! event log, the same record `relc resume` rebuilds a run from.

use relc::interp::exec::{Executor, StepEnd};
use relc::interp::outcome::Outcome;
use relc::interp::record::{self, Event, SetVariable};
use relc::interp::run::{self, Options, Stop};
use relc::interp::trigger::{Kind, Simulation};
use std::collections::HashMap;
use std::sync::Arc;

fn executor() -> Executor {
    Arc::new(|text: &str| {
        let mut end = StepEnd::default();
        let t = text.trim();
        end.outcome = Some(match t {
            "fail" => Outcome::Failed,
            "issues" => Outcome::SucceededWithIssues,
            _ => Outcome::Succeeded,
        });
        if let Some(assign) = t.strip_prefix("out ") {
            let (n, v) = assign.split_once('=').unwrap();
            end.variables.push(SetVariable {
                name: n.into(),
                value: Some(v.into()),
                output: true,
            });
        }
        end
    })
}

struct Results {
    stop: Stop,
    stages: HashMap<String, Outcome>,
    jobs: HashMap<String, Outcome>,
    steps: HashMap<String, Outcome>,
}

fn options(dir: &std::path::Path) -> Options {
    Options {
        state_dir: dir.to_path_buf(),
        sources: dir.to_path_buf(),
        max_parallel: 4,
        verdicts: Vec::new(),
        prompt: false,
        json: false,
        task_commands: Default::default(),
        secrets: Vec::new(),
        pinned: Default::default(),
        connections: Vec::new(),
        executor: Some(executor()),
        quiet: true,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn run(name: &str, src: &str) -> Results {
    let c = relc::compile("semantics.release", src);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    let dir = std::env::temp_dir().join(format!("relc-semantics-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let options = options(&dir);
    let sim = Simulation {
        kind: Kind::Push,
        branch: "main".into(),
        at: relc::check::cron::DateTime::new(2026, 12, 3, 12, 0).unwrap(),
        schedule: None,
        requested_for: "tester".into(),
    };
    let (state, rec) = run::start(
        c.pipeline.unwrap(),
        "semantics.release",
        &sim,
        &[],
        &options,
    )
    .unwrap();
    let id = state.id;
    let stop = runtime().block_on(run::drive(state, rec, options));
    let events = record::read_events(&record::runs_dir(&dir).join(id.to_string())).unwrap();
    let mut r = Results {
        stop,
        stages: HashMap::new(),
        jobs: HashMap::new(),
        steps: HashMap::new(),
    };
    for e in events {
        match e {
            Event::StageFinished { stage, outcome } => {
                r.stages.insert(stage, outcome);
            }
            Event::StageSkipped { stage, .. } => {
                r.stages.insert(stage, Outcome::Skipped);
            }
            Event::JobFinished {
                stage,
                job,
                outcome,
                ..
            } => {
                r.jobs.insert(format!("{stage}/{job}"), outcome);
            }
            Event::JobSkipped { stage, job, .. } => {
                r.jobs.insert(format!("{stage}/{job}"), Outcome::Skipped);
            }
            Event::StepFinished {
                stage,
                job,
                step,
                outcome,
                ..
            } => {
                r.steps
                    .insert(format!("{stage}/{job}/{}", step + 1), outcome);
            }
            _ => {}
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    r
}

use Outcome::*;

#[test]
fn a_failed_job_skips_default_dependants_and_runs_those_that_ask_for_it() {
    let r = run(
        "jobs",
        r#"
        stage S {
          job A { script "fail" }
          job Default after A { script "ok" }
          job OnFailure after A { when failed()  script "ok" }
          job Always after A { when always()  script "ok" }
          job Either after A { when succeededOrFailed()  script "ok" }
          job Independent { script "ok" }
        }
    "#,
    );
    assert_eq!(r.jobs["S/A"], Failed);
    assert_eq!(r.jobs["S/Default"], Skipped);
    assert_eq!(r.jobs["S/OnFailure"], Succeeded);
    assert_eq!(r.jobs["S/Always"], Succeeded);
    assert_eq!(r.jobs["S/Either"], Succeeded);
    assert_eq!(r.jobs["S/Independent"], Succeeded);
    assert_eq!(r.stages["S"], Failed);
    assert_eq!(r.stop, Stop::Finished(Failed));
}

#[test]
fn the_default_condition_looks_upstream_of_direct_dependencies() {
    // C depends on B only, but A (upstream of B) failed: succeeded() is false.
    let r = run(
        "transitive",
        r#"
        stage S {
          job A { script "fail" }
          job B after A { when always()  script "ok" }
          job C after B { script "ok" }
          job D after B { when succeeded('B')  script "ok" }
        }
    "#,
    );
    assert_eq!(r.jobs["S/B"], Succeeded);
    assert_eq!(r.jobs["S/C"], Skipped);
    assert_eq!(
        r.jobs["S/D"], Succeeded,
        "a named status function looks at that job only"
    );
}

#[test]
fn steps_after_a_failure_run_only_when_their_condition_says_so() {
    let r = run(
        "steps",
        r#"
        stage S {
          job J {
            script "ok"
            script "fail"
            script "ok"
            script "ok" { when always() }
            script "ok" { when failed() }
            script "ok" { when succeeded() }
          }
        }
    "#,
    );
    let steps: Vec<Outcome> = (1..=6).map(|i| r.steps[&format!("S/J/{i}")]).collect();
    assert_eq!(
        steps,
        [Succeeded, Failed, Skipped, Succeeded, Succeeded, Skipped]
    );
    assert_eq!(r.jobs["S/J"], Failed);
}

#[test]
fn continue_on_error_and_issues_make_a_partial_success() {
    let r = run(
        "issues",
        r#"
        stage S {
          job J {
            script "fail" { continue_on_error true }
            script "ok"
          }
          job K { script "issues" }
        }
        stage T after S { job J { script "ok" } }
    "#,
    );
    assert_eq!(r.steps["S/J/1"], SucceededWithIssues);
    assert_eq!(r.steps["S/J/2"], Succeeded, "later default steps still run");
    assert_eq!(r.jobs["S/K"], SucceededWithIssues);
    assert_eq!(r.stages["S"], SucceededWithIssues);
    assert_eq!(
        r.stages["T"], Succeeded,
        "a partial success lets default dependants run"
    );
    assert_eq!(r.stop, Stop::Finished(SucceededWithIssues));
}

#[test]
fn a_failed_stage_skips_its_dependants_unless_they_ask() {
    let r = run(
        "stages",
        r#"
        stage A { job J { script "fail" } }
        stage B after A { job J { script "ok" } }
        stage C after B { job J { script "ok" } }
        stage Cleanup after A { when always()  job J { script "ok" } }
        stage Quiet after A { when dependencies.A.result == "Failed"  job J { script "ok" } }
        stage Report after A { when failed() && dependencies.A.result == "Failed"  job J { script "ok" } }
    "#,
    );
    assert_eq!(r.stages["A"], Failed);
    assert_eq!(r.stages["B"], Skipped);
    assert_eq!(
        r.stages["C"], Skipped,
        "skipped counts as not succeeded downstream"
    );
    assert!(
        !r.jobs.contains_key("B/J"),
        "a skipped stage's jobs never start"
    );
    assert_eq!(r.stages["Cleanup"], Succeeded);
    assert_eq!(
        r.stages["Quiet"], Skipped,
        "relc writes the implicit succeeded() out: and(succeeded(), eq(...))"
    );
    assert_eq!(r.stages["Report"], Succeeded);
}

#[test]
fn output_variables_flow_to_later_jobs_and_stages() {
    let r = run(
        "outputs",
        r#"
        stage Build {
          job Version { script "out v=1.2" { name "set" } }
          job UsesIt after Version { when dependencies.Version.outputs['set.v'] == "1.2"  script "ok" }
          job Wrong after Version { when dependencies.Version.outputs['set.v'] == "9"  script "ok" }
        }
        stage Deploy after Build {
          when dependencies.Build.outputs['Version.set.v'] == "1.2"
          job J { script "ok" }
        }
    "#,
    );
    assert_eq!(r.jobs["Build/UsesIt"], Succeeded);
    assert_eq!(r.jobs["Build/Wrong"], Skipped);
    assert_eq!(r.stages["Deploy"], Succeeded);
}

#[test]
fn an_approval_nobody_gives_in_time_skips_its_stage_on_the_run_clock() {
    let src = r#"
        environment prod { gate approval { approvers ["Mara"]  timeout 2h } }
        stage Build { job J { script "ok" } }
        stage Prod after Build { deployment D to prod { script "ok" } }
        stage After after Prod { job J { script "ok" } }
    "#;
    let c = relc::compile("semantics.release", src);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    let dir = std::env::temp_dir().join(format!("relc-semantics-timeout-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let at = relc::check::cron::DateTime::new(2026, 12, 3, 12, 0).unwrap();
    let sim = Simulation {
        kind: Kind::Push,
        branch: "main".into(),
        at,
        schedule: None,
        requested_for: "tester".into(),
    };
    let (state, rec) =
        run::start(c.pipeline.unwrap(), "s.release", &sim, &[], &options(&dir)).unwrap();
    let id = state.id;
    assert_eq!(
        runtime().block_on(run::drive(state, rec, options(&dir))),
        Stop::Waiting
    );
    // One hour later on the run's clock it still waits; three hours later it has timed out.
    for (hours, expected) in [(1, Stop::Waiting), (3, Stop::Finished(Succeeded))] {
        let (mut state, mut rec) = run::load(&dir, id).unwrap();
        let clock = Event::ClockSet {
            simulated_at: at.to_unix() + hours * 3600,
            at: record::unix_now(),
        };
        rec.append(&clock).unwrap();
        state.apply(&clock);
        assert_eq!(
            runtime().block_on(run::drive(state, rec, options(&dir))),
            expected,
            "after {hours}h"
        );
    }
    let events = record::read_events(&record::runs_dir(&dir).join(id.to_string())).unwrap();
    let prod = events.iter().find_map(|e| match e {
        Event::StageFinished { stage, outcome } if stage == "Prod" => Some(*outcome),
        _ => None,
    });
    assert_eq!(prod, Some(Skipped), "a timed-out approval skips the stage");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::StageSkipped { stage, .. } if stage == "After"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

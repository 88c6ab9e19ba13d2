//! Resources, container jobs and service containers under `relc plan` and
//! `relc run`: the real binary on small pipelines in fresh directories.
//!
//! The "no container runtime" path is tested for real: PATH is set so that
//! `docker` and `podman` are scripts that fail, as they do when the daemon is
//! not running. The path with a runtime runs only where `docker version`
//! works, and says why it is skipped elsewhere.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh directory for one test, removed when the test ends.
struct Sandbox {
    dir: PathBuf,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const PIPELINE: &str = r#"pipeline "c" { trigger { branches ["main"] } }
resources {
  repository tools { type github  name "contoso/tools"  endpoint "gh" }
  pipeline ci { source "Contoso-CI" }
  container alpine { image "alpine:3.20" }
}
stage Test {
  job Host {
    checkout tools
    download ci.drop
    script "echo on the host > host.txt"
  }
  job InContainer {
    container alpine
    script "cat /etc/alpine-release > in-container.txt"
  }
  job WithServices {
    services { cache = "redis:7" }
    script "echo with services"
  }
}
"#;

impl Sandbox {
    fn new(name: &str) -> Sandbox {
        let dir = std::env::temp_dir()
            .join("relc-container-tests")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("p.release"), PIPELINE).unwrap();
        Sandbox {
            dir: dir.canonicalize().unwrap(),
        }
    }

    /// A directory whose `docker` and `podman` fail, first on PATH.
    fn no_runtime_path(&self) -> String {
        let bin = self.dir.join("fake-bin");
        std::fs::create_dir_all(&bin).unwrap();
        for rt in ["docker", "podman"] {
            let p = bin.join(rt);
            std::fs::write(
                &p,
                "#!/bin/sh\necho 'Cannot connect to the daemon' >&2\nexit 1\n",
            )
            .unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        let rest = std::env::var("PATH").unwrap_or_default();
        format!("{}:{rest}", bin.display())
    }

    fn relc(&self, args: &[&str], path: Option<&str>) -> (i32, String, String) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_relc"));
        cmd.args(args).current_dir(&self.dir);
        if let Some(p) = path {
            cmd.env("PATH", p);
        }
        let out = cmd.output().expect("relc runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn has(&self, rel: &str) -> bool {
        walk(&self.dir).iter().any(|p| p.ends_with(rel))
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn job_event<'a>(events: &'a [Value], kind: &str, job: &str) -> Option<&'a Value> {
    events
        .iter()
        .find(|e| e["event"] == kind && e["job"] == job)
}

#[test]
fn plan_lists_resources_and_says_which_jobs_cannot_run_here() {
    let s = Sandbox::new("plan");
    let path = s.no_runtime_path();
    let (code, out, err) = s.relc(&["plan", "p.release"], Some(&path));
    assert_eq!(code, 0, "{err}");
    for line in [
        "resources",
        "      repository tools: github contoso/tools",
        "      pipeline ci: runs of Contoso-CI",
        "      container alpine: alpine:3.20",
        "      run   job Host",
        "              simulated, not done locally: checkout tools, download ci.drop",
        "              not run locally: needs container alpine (no docker or podman works on this machine)",
        "              not run locally: needs services cache (no docker or podman works on this machine)",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "no line `{line}` in:\n{out}"
        );
    }
    let (code, json, err) = s.relc(&["plan", "p.release", "--format", "json"], Some(&path));
    assert_eq!(code, 0, "{err}");
    let plan: Value = serde_json::from_str(&json).expect("json plan");
    let jobs = &plan["stages"][0]["jobs"];
    assert_eq!(jobs[1]["containers"], "container alpine");
    assert!(
        jobs[1]["not_run_locally"]
            .as_str()
            .unwrap()
            .starts_with("not run locally")
    );
    assert_eq!(plan["resources"].as_array().unwrap().len(), 3);
}

#[test]
fn without_a_runtime_container_jobs_are_not_run_and_never_on_the_host() {
    let s = Sandbox::new("no-runtime");
    let path = s.no_runtime_path();
    let (_, out, err) = s.relc(&["run", "p.release", "--format", "json"], Some(&path));
    let ev = events(&out);
    for job in ["InContainer", "WithServices"] {
        let skipped = job_event(&ev, "job_skipped", job)
            .unwrap_or_else(|| panic!("{job} not skipped:\n{out}\n{err}"));
        let reason = skipped["reason"].as_str().unwrap();
        assert!(reason.starts_with("not run locally: needs "), "{reason}");
        assert!(
            job_event(&ev, "job_started", job).is_none(),
            "{job} started"
        );
    }
    assert!(
        !s.has("in-container.txt"),
        "a container step ran on the host"
    );
    // The host job runs; its checkout and download are reported, not done.
    assert!(s.has("host.txt"), "the host job did not run:\n{out}\n{err}");
    let reasons: Vec<&str> = ev
        .iter()
        .filter(|e| e["event"] == "step_finished" && e["job"] == "Host")
        .filter_map(|e| e["reason"].as_str())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("checkout of repository `tools` (simulated)")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("download drop of pipeline resource `ci` (simulated)")),
        "{reasons:?}"
    );
    // The human output says so too.
    let s2 = Sandbox::new("no-runtime-human");
    let (_, human, _) = s2.relc(&["run", "p.release"], Some(&path));
    assert!(
        human.contains("Test/InContainer: skipped: not run locally: needs container alpine"),
        "{human}"
    );
}

#[test]
fn with_docker_a_container_job_runs_its_steps_in_the_container() {
    let works = Command::new("docker")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !works {
        println!(
            "skipped: `docker version` does not work on this machine (no docker, or its daemon is not running)"
        );
        return;
    }
    let s = Sandbox::new("docker");
    let (_, out, err) = s.relc(&["run", "p.release", "--format", "json"], None);
    let ev = events(&out);
    let finished = job_event(&ev, "job_finished", "InContainer")
        .unwrap_or_else(|| panic!("InContainer did not finish:\n{out}\n{err}"));
    assert_eq!(finished["outcome"], "succeeded", "{out}\n{err}");
    assert!(
        s.has("in-container.txt"),
        "the step did not write into the workspace"
    );
}

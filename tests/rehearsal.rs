//! The README's rehearsal, end to end with real processes: examples/rehearsal.release
//! runs Build → Dev → Test, waits for Staging's approval (exit 3), is approved
//! and resumed, and one artifact fingerprint ends up in three environments.

use std::path::{Path, PathBuf};
use std::process::Command;

fn relc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_relc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("relc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn state_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("relc-rehearsal-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn the_rehearsal_waits_for_staging_then_promotes_one_fingerprint_everywhere() {
    let dir = state_dir("readme");
    let sd = dir.to_str().unwrap();
    let (code, out, err) = relc(&[
        "run",
        "examples/rehearsal.release",
        "--branch",
        "main",
        "--no-prompt",
        "--state-dir",
        sd,
    ]);
    assert_eq!(code, 3, "waits for the approval\n{out}\n{err}");
    assert!(out.contains("⏸ staging/approval"), "{out}");
    let staging = dir.join("sites/staging/index.html");
    assert!(dir.join("sites/test/index.html").is_file() && !staging.exists());

    let (code, _, err) = relc(&["approve", "last", "--as", "Tom", "--state-dir", sd]);
    assert_eq!(code, 1, "only Mara approves: {err}");
    let (code, out, err) = relc(&[
        "approve",
        "last",
        "--as",
        "Mara",
        "--comment",
        "ok",
        "--state-dir",
        sd,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("approved staging/approval as Mara"), "{out}");
    let (code, out, err) = relc(&["resume", "last", "--state-dir", sd]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("approved by Mara"), "{out}");
    let page = std::fs::read_to_string(&staging).unwrap();
    assert!(
        page.contains("<p>Build 2"),
        "the stamped page is deployed: {page}"
    );

    let (code, json, _) = relc(&["status", "--format", "json", "--state-dir", sd]);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = rows.as_array().unwrap();
    let envs: Vec<&str> = rows
        .iter()
        .map(|r| r["environment"].as_str().unwrap())
        .collect();
    assert_eq!(envs, ["dev", "test", "staging"]);
    let fp = rows[0]["fingerprint"].as_str().unwrap();
    assert_eq!(fp.len(), 64);
    assert!(rows.iter().all(|r| r["fingerprint"] == fp && r["run"] == 1));

    // What was deployed is what the store holds under that fingerprint.
    let manifest = dir.join("store/manifests").join(format!("{fp}.json"));
    assert!(manifest.is_file(), "{}", manifest.display());
    let (_, runs, _) = relc(&["runs", "--state-dir", sd]);
    assert!(runs.contains("Succeeded"), "{runs}");
    let (code, logs, _) = relc(&["logs", "last", "Test/Deploy", "--state-dir", sd]);
    assert_eq!(code, 0);
    assert!(logs.contains("deploying to test"), "{logs}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_rehearsal_compiles_to_azure_yaml_without_its_local_settings() {
    let (code, yaml, err) = relc(&["build", "examples/rehearsal.release"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !yaml.contains("local_deploy") && !yaml.contains("sites/"),
        "{yaml}"
    );
    assert!(yaml.contains("environment: staging"));
}

#[test]
fn a_plan_matches_what_the_run_did() {
    let dir = state_dir("plan");
    let sd = dir.to_str().unwrap();
    let (_, plan, _) = relc(&[
        "plan",
        "examples/rehearsal.release",
        "--branch",
        "topic",
        "--format",
        "json",
    ]);
    let plan: serde_json::Value = serde_json::from_str(&plan).unwrap();
    assert_eq!(
        plan["starts"], false,
        "the CI trigger takes main and release/* only"
    );
    let (code, _, err) = relc(&[
        "run",
        "examples/rehearsal.release",
        "--branch",
        "topic",
        "--state-dir",
        sd,
    ]);
    assert_eq!(code, 0);
    assert!(err.contains("no run starts"), "{err}");
    assert!(
        !Path::new(&dir).join("runs").exists(),
        "nothing was recorded"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_approval_given_on_the_command_line_counts_only_from_an_approver() {
    let dir = state_dir("approve-flag");
    let sd = dir.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "examples/rehearsal.release",
            "--no-prompt",
            "--state-dir",
            sd,
            "--as",
            "Tom",
        ];
        args.extend_from_slice(extra);
        relc(&args)
    };
    let (code, out, _) = run(&["--approve", "staging", "--approver", "Tom"]);
    assert_eq!(code, 3, "Tom is not an approver of staging: {out}");
    assert!(
        out.contains("not counted: Tom is not an approver here"),
        "{out}"
    );
    let (code, out, err) = run(&["--approve", "staging", "--approver", "Mara"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("approved by Mara"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

//! `relc plan` on the Tailspin pipeline for the triggers its README tells of:
//! each case's output is pinned beside it in tests/plan/ (`BLESS=1` rewrites),
//! and the facts Azure would act on are asserted from the JSON plan too.

use std::path::Path;
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

fn pinned(name: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["plan", "examples/tailspin.release"];
    all.extend_from_slice(args);
    let (code, text, err) = relc(&all);
    assert_eq!(code, 0, "{err}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/plan")
        .join(format!("{name}.txt"));
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    } else {
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            text,
            expected,
            "plan differs from {} (BLESS=1 to update)",
            path.display()
        );
    }
    all.extend_from_slice(&["--format", "json"]);
    let (code, json, err) = relc(&all);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&json).expect("json plan")
}

fn decisions(plan: &serde_json::Value) -> Vec<(String, String)> {
    plan["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().into(),
                s["decision"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn d(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_push_to_main_builds_and_skips_the_deployments() {
    let p = pinned("tailspin-push-main", &["--branch", "main"]);
    assert_eq!(p["variables"]["Build.Reason"], "IndividualCI");
    assert_eq!(
        decisions(&p),
        d(&[
            ("Build", "run"),
            ("Dev", "skip"),
            ("Test", "skip"),
            ("Staging", "skip")
        ])
    );
    let dev = &p["stages"][1]["reason"];
    assert_eq!(
        dev,
        "Build.SourceBranchName is `main`, not releaseBranchName (`release`)"
    );
    assert!(
        p["stages"][2]["reason"]
            .as_str()
            .unwrap()
            .contains("Dev: Skipped")
    );
}

#[test]
fn a_push_to_release_deploys_and_waits_for_the_staging_approval() {
    let p = pinned("tailspin-push-release", &["--branch", "release"]);
    assert_eq!(
        decisions(&p),
        d(&[
            ("Build", "run"),
            ("Dev", "run"),
            ("Test", "run"),
            ("Staging", "wait")
        ])
    );
    let gate = &p["stages"][3]["gates"][0];
    assert_eq!(gate["id"], "staging/approval");
    assert!(gate["reason"].as_str().unwrap().contains("Mara"));
    assert_eq!(
        p["stages"][1]["jobs"][0]["downloads"][0],
        "drop (from Build/Build)"
    );
}

#[test]
fn the_nightly_schedule_fires_at_three_on_release() {
    let p = pinned(
        "tailspin-nightly-0300",
        &[
            "--trigger",
            "schedule",
            "--branch",
            "release",
            "--at",
            "2026-12-04T03:00",
        ],
    );
    assert_eq!(p["starts"], true);
    assert_eq!(p["variables"]["Build.Reason"], "Schedule");
    assert_eq!(
        p["variables"]["Build.CronSchedule.DisplayName"],
        "Deploy every day at 3 A.M."
    );
    assert_eq!(decisions(&p)[3], ("Staging".into(), "wait".into()));
}

#[test]
fn the_nightly_schedule_does_not_fire_at_four_or_for_main() {
    let p = pinned(
        "tailspin-nightly-0400",
        &[
            "--trigger",
            "schedule",
            "--branch",
            "release",
            "--at",
            "2026-12-04T04:00",
        ],
    );
    assert_eq!(p["starts"], false);
    let why = p["reason"].as_str().unwrap();
    assert!(why.contains("next at 2026-12-05 03:00"), "{why}");
    assert!(decisions(&p).iter().all(|(_, d)| d == "skip"));
    let (_, json, _) = relc(&[
        "plan",
        "examples/tailspin.release",
        "--trigger",
        "schedule",
        "--branch",
        "main",
        "--at",
        "2026-12-04T03:00",
        "--format",
        "json",
    ]);
    let p: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(p["starts"], false);
    assert!(
        p["reason"]
            .as_str()
            .unwrap()
            .contains("not for refs/heads/main")
    );
}

#[test]
fn a_bad_time_is_a_usage_error() {
    let (code, _, err) = relc(&["plan", "examples/tailspin.release", "--at", "tomorrow-ish"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a time"), "{err}");
}

/// A matrix job is planned as its legs and then itself; a parallel job as its
/// slices; a deployment with a strategy shows its hooks in the order they run.
#[test]
fn strategies_plan_as_legs_slices_and_hooks_in_order() {
    let (code, text, err) = relc(&["plan", "examples/strategies.release", "--branch", "main"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains(
            "hooks: preDeploy → deploy → routeTraffic → postRouteTraffic → on.failure | on.success"
        ),
        "{text}"
    );
    let (code, json, err) = relc(&[
        "plan",
        "examples/strategies.release",
        "--branch",
        "main",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let p: serde_json::Value = serde_json::from_str(&json).expect("json plan");
    let jobs = |stage: usize| -> Vec<String> {
        p["stages"][stage]["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        jobs(0),
        [
            "Test linux",
            "Test mac",
            "Test windows",
            "Test",
            "Integration 1",
            "Integration 2",
            "Integration 3",
            "Integration 4",
            "Integration",
            "Package"
        ]
    );
    let test = &p["stages"][0]["jobs"][3];
    assert_eq!(test["decision"], "run");
    assert!(
        test["reason"]
            .as_str()
            .unwrap()
            .starts_with("matrix: 3 legs, at most 2 at a time"),
        "{test}"
    );
    let canary = &p["stages"][1]["jobs"][0];
    let hooks: Vec<&str> = canary["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert_eq!(
        hooks,
        [
            "deploy 10%",
            "postRouteTraffic 10%",
            "deploy 50%",
            "postRouteTraffic 50%",
            "deploy 100%",
            "postRouteTraffic 100%",
            "on.failure | on.success"
        ]
    );
}

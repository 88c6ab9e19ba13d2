//! The examples: every `examples/*.release` compiles without errors, its YAML
//! parses and has the stages of the pipeline it reproduces, in order, and the
//! YAML matches the snapshot in `examples/expected/<name>.yml`.
//!
//! Snapshots are rewritten with `BLESS=1 cargo test --test examples`; review
//! the diff before committing. Equivalence with the reference pipelines in
//! `shared/reference/azure` is checked by `.ci/conformance.sh`, not here (this
//! test does not depend on files outside the repository).
//!
//! `examples/invalid/` holds pipelines that must be rejected; each has its own
//! test below.

use std::path::{Path, PathBuf};
use yaml_rust2::{Yaml, YamlLoader};

/// The stages each example's YAML must have, in order, as in the pipeline it reproduces.
const EXPECTED_STAGES: &[(&str, &[&str])] = &[
    ("deploy-on-demand", &["Release"]),
    ("rehearsal", &["Build", "Dev", "Test", "Staging"]),
    ("strategies", &["Build", "Staging", "Production"]),
    ("tailspin", &["Build", "Dev", "Test", "Staging"]),
    ("tailspin-unit4", &["Build", "Dev"]),
    ("tailspin-unit5", &["Build", "Dev", "Test"]),
    ("blue-green", &["Build", "Dev", "Test", "Staging"]),
    ("selenium", &["Build", "Dev", "Test", "Staging"]),
    (
        "database-schema",
        &[
            "Build",
            "DBAVerificationScript",
            "DBAVerificationApply",
            "Dev",
            "Test",
            "Staging",
        ],
    ),
    ("jmeter", &["Build", "Dev", "Test", "Staging"]),
    ("release-branch", &["Build", "Deploy"]),
    ("gated-release", &["Build", "QA", "Production"]),
    ("integration-tests", &["integrationTests"]),
    // Extends a template: its stages are the `stages` parameter; a stage
    // template of another file is listed by its reference.
    (
        "onebranch-release",
        &[
            "Validate",
            "template: templates/stages/PowerShell-Release-Stages.yml",
        ],
    ),
];

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// `(stem, path relative to the crate, text)` of every `examples/*.release`, sorted.
fn examples() -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = std::fs::read_dir(examples_dir())
        .expect("read examples/")
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.is_file() && path.extension()? == "release").then_some(path)
        })
        .map(|p| {
            let text =
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            let name = format!("examples/{}", p.file_name().unwrap().to_string_lossy());
            (stem, name, text)
        })
        .collect();
    out.sort();
    out
}

/// Compile an example and emit its YAML; panics with the diagnostics on error.
fn build(name: &str, text: &str) -> String {
    let c = relc::compile(name, text);
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.severity == relc::diagnostic::Severity::Error)
        .map(|d| format!("{} {}", d.code.as_str(), d.message))
        .collect();
    assert!(
        errors.is_empty() && !c.has_errors(),
        "{name} has errors:\n  {}",
        errors.join("\n  ")
    );
    let pipeline = c
        .pipeline
        .as_ref()
        .unwrap_or_else(|| panic!("{name}: no pipeline"));
    relc::backend::azure::emit(pipeline, name).unwrap_or_else(|e| panic!("{name}: emit: {e}"))
}

fn stage_names(name: &str, yaml: &str) -> Vec<String> {
    let docs = YamlLoader::load_from_str(yaml)
        .unwrap_or_else(|e| panic!("{name}: the emitted YAML does not parse: {e}\n{yaml}"));
    assert_eq!(docs.len(), 1, "{name}: expected one YAML document");
    // A pipeline that extends a template passes its stages as a parameter.
    let stages = docs[0]["stages"]
        .as_vec()
        .or_else(|| docs[0]["extends"]["parameters"]["stages"].as_vec())
        .unwrap_or_else(|| panic!("{name}: the YAML has no `stages` list"));
    stages
        .iter()
        .map(|s| match (&s["stage"], &s["template"]) {
            (Yaml::String(n), _) => n.clone(),
            (_, Yaml::String(t)) => format!("template: {t}"),
            other => panic!("{name}: a stage without a name: {other:?}"),
        })
        .collect()
}

#[test]
fn every_example_compiles_to_yaml_with_its_stages() {
    let examples = examples();
    assert!(!examples.is_empty(), "no examples/*.release");
    for (stem, name, text) in &examples {
        let expected = EXPECTED_STAGES
            .iter()
            .find(|(s, _)| s == stem)
            .map(|(_, stages)| *stages)
            .unwrap_or_else(|| {
                panic!(
                    "{name}: add the stages it must have to EXPECTED_STAGES in tests/examples.rs"
                )
            });
        let yaml = build(name, text);
        assert_eq!(stage_names(name, &yaml), expected, "{name}: stages");
    }
    for (stem, _) in EXPECTED_STAGES {
        assert!(
            examples.iter().any(|(s, _, _)| s == stem),
            "examples/{stem}.release is listed in EXPECTED_STAGES but does not exist"
        );
    }
}

#[test]
fn emitted_yaml_matches_the_snapshots() {
    let bless = std::env::var_os("BLESS").is_some_and(|v| !v.is_empty() && v != "0");
    let dir = examples_dir().join("expected");
    if bless {
        std::fs::create_dir_all(&dir).expect("create examples/expected/");
    }
    let mut mismatched = Vec::new();
    for (stem, name, text) in examples() {
        let yaml = build(&name, &text);
        let path = dir.join(format!("{stem}.yml"));
        if bless {
            std::fs::write(&path, &yaml).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == yaml => {}
            Ok(expected) => {
                let first = expected
                    .lines()
                    .zip(yaml.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or_else(|| expected.lines().count().min(yaml.lines().count()));
                mismatched.push(format!(
                    "examples/expected/{stem}.yml differs from the YAML of {name}, first at line {}:\n    expected: {:?}\n    emitted:  {:?}",
                    first + 1,
                    expected.lines().nth(first).unwrap_or("<end of file>"),
                    yaml.lines().nth(first).unwrap_or("<end of file>"),
                ));
            }
            Err(_) => mismatched.push(format!("examples/expected/{stem}.yml is missing")),
        }
    }
    assert!(
        mismatched.is_empty(),
        "{}\n(if the change is intended, run `BLESS=1 cargo test --test examples` and review the diff)",
        mismatched.join("\n")
    );
}

/// Learner PR 180: `Staging` depends on a stage `Test` that does not exist.
#[test]
fn pr180_dangling_dependency_is_rejected_with_a_suggestion() {
    let path = examples_dir().join("invalid/pr180-dangling-dependency.release");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let c = relc::compile("examples/invalid/pr180-dangling-dependency.release", &text);
    assert!(c.has_errors(), "the pr180 example must be rejected");
    assert!(c.pipeline.is_none());
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "E010")
        .unwrap_or_else(|| {
            let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.as_str()).collect();
            panic!("no E010 diagnostic; found {codes:?}")
        });
    assert_eq!(d.severity, relc::diagnostic::Severity::Error);
    let help = d.help.as_deref().unwrap_or("");
    assert!(
        help.contains("TestDeployment"),
        "help should suggest TestDeployment: {help:?}"
    );
    assert_eq!(
        &text[d.span.range()],
        "Test",
        "the span points at the dangling name"
    );
}

/// The YAML and the checks manifest of `examples/gated-release.release`, which
/// uses every kind of gate: where each one ends up.
#[test]
fn gates_land_in_yaml_and_in_the_checks_manifest() {
    let name = "examples/gated-release.release";
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap();
    let c = relc::compile(name, &text);
    let pipeline = c.pipeline.as_ref().expect("gated-release compiles");

    // In-pipeline gates: agentless jobs at the start of Production, in order.
    let production = &pipeline.stages["Production"];
    let jobs: Vec<&str> = production.jobs.keys().map(String::as_str).collect();
    assert_eq!(jobs, ["qa_signoff", "soak", "DeployWeb"]);
    assert_eq!(production.jobs["soak"].depends_on, ["qa_signoff"]);
    assert_eq!(production.jobs["DeployWeb"].depends_on, ["soak"]);
    assert_eq!(
        production.jobs["qa_signoff"].pool,
        Some(relc::ir::Pool::Server)
    );
    assert_eq!(
        production.lock_behavior,
        Some(relc::ir::LockBehavior::Sequential)
    );
    // The QA environment's exclusive lock serialises the stage deploying there.
    assert_eq!(
        pipeline.stages["QA"].lock_behavior,
        Some(relc::ir::LockBehavior::Sequential)
    );

    let yaml = relc::backend::azure::emit(pipeline, name).unwrap();
    let doc = &YamlLoader::load_from_str(&yaml).unwrap()[0];
    let stages = doc["stages"].as_vec().unwrap();
    let qa = &stages[1];
    let condition = qa["condition"].as_str().unwrap();
    assert!(
        condition.contains("eq(variables['Build.SourceBranch'], 'refs/heads/main')"),
        "{condition}"
    );
    assert!(
        condition.contains("startsWith(variables['Build.SourceBranch'], 'refs/heads/release/')"),
        "{condition}"
    );
    let prod = &stages[2];
    assert_eq!(
        prod["condition"].as_str().unwrap(),
        "and(succeeded(), ne(variables['Build.Reason'], 'PullRequest'))"
    );
    let validation = &prod["jobs"][0];
    assert_eq!(validation["pool"].as_str(), Some("server"));
    assert_eq!(
        validation["steps"][0]["task"].as_str(),
        Some("ManualValidation@1")
    );
    assert_eq!(
        validation["steps"][0]["inputs"]["notifyUsers"].as_str(),
        Some("qa@tailspin.example")
    );
    assert_eq!(validation["timeoutInMinutes"].as_i64(), Some(1440));
    let delay = &prod["jobs"][1];
    assert_eq!(delay["steps"][0]["task"].as_str(), Some("Delay@1"));
    assert_eq!(
        delay["steps"][0]["inputs"]["delayForMinutes"].as_str(),
        Some("30")
    );
    assert!(
        !yaml.contains("release-managers"),
        "approvals stay out of YAML"
    );

    // Checks Azure keeps outside YAML, in the shape of its REST payloads.
    let manifest = relc::backend::checks::manifest(pipeline, &c.sources);
    let checks = manifest["checks"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = checks
        .iter()
        .map(|c| {
            (
                c["environment"].as_str().unwrap(),
                c["request"]["body"]["type"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("qa", "ExclusiveLock"),
            ("production", "Approval"),
            ("production", "Task Check"),
            ("production", "Task Check"),
            ("production", "Task Check"),
        ]
    );
    let approval = &checks[1]["request"]["body"];
    assert_eq!(
        approval["type"]["id"],
        "8c6f20a7-a545-4486-9777-f762fafe0d4d"
    );
    assert_eq!(approval["resource"]["type"], "environment");
    assert_eq!(approval["resource"]["name"], "production");
    assert_eq!(approval["timeout"], 2880);
    assert_eq!(approval["settings"]["requesterCannotBeApprover"], true);
    assert_eq!(approval["settings"]["minRequiredApprovers"], 0);
    assert_eq!(
        approval["settings"]["approvers"][0]["displayName"],
        "release-managers@tailspin.example"
    );
    assert_eq!(
        checks[1]["source"]["line"], 32,
        "the line of `gate approval`"
    );
    let hours = &checks[2]["request"]["body"]["settings"];
    assert_eq!(hours["definitionRef"]["name"], "evaluateBusinessHours");
    assert_eq!(
        hours["inputs"]["businessDays"],
        "Monday,Tuesday,Wednesday,Thursday,Friday"
    );
    assert_eq!(checks[2]["gate"], "business_days");
    let branch = &checks[3]["request"]["body"]["settings"];
    assert_eq!(
        branch["definitionRef"]["id"],
        "86b05a0c-73e6-4f7d-b3cf-e38f3b39a75b"
    );
    assert_eq!(
        branch["inputs"]["allowedBranches"],
        "refs/heads/main,refs/heads/release/*"
    );
    assert_eq!(branch["inputs"]["ensureProtectionOfBranch"], "true");
    let http = &checks[4]["request"]["body"];
    assert_eq!(http["settings"]["definitionRef"]["name"], "InvokeRESTAPI");
    assert_eq!(
        http["settings"]["inputs"]["successCriteria"],
        "eq(root['status'], 'approved')"
    );
    assert_eq!(http["settings"]["inputs"]["waitForCompletion"], "false");
    assert_eq!(http["settings"]["retryInterval"], 10);
    assert_eq!(http["timeout"], 120);
    assert_eq!(
        manifest["environments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["qa", "production"]
    );
}

/// Every module of the standard library imports cleanly, and its templates and
/// gates expand into YAML without a diagnostic.
#[test]
fn standard_library_modules_work() {
    let names: Vec<&str> = relc::stdlib::names().collect();
    assert_eq!(names, ["std/azure-webapp", "std/dotnet", "std/gates"]);
    let text = r#"
import "std/azure-webapp"
import "std/dotnet"
import "std/gates"

artifact drop
group Release
environment qa { app = "$(WebAppNameQa)"  gate one_at_a_time }
environment production protected {
  app = "$(WebAppNameProduction)"
  gate approval { approvers ["Mara"] } + business_days + main_only
}

stage Build {
  job Build {
    use dotnet_build("Release")
    publish drop from "$(Build.ArtifactStagingDirectory)"
  }
}
stage QA after Build {
  gate scheduled_only
  use azure_webapp_deploy(qa, drop, "Resource Manager - Tailspin")
}
stage Production after QA {
  use azure_webapp_deploy(production, drop, "Resource Manager - Tailspin", "$(Pipeline.Workspace)/drop/*.zip", "ubuntu-22.04", "webAppLinux")
  job Swap after DeployApp {
    use azure_webapp_swap("Resource Manager - Tailspin", "tailspin-rg", "$(WebAppNameProduction)")
  }
}
"#;
    let c = relc::compile("stdlib-use.release", text);
    let problems: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code.as_str(), d.message))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let pipeline = c.pipeline.as_ref().unwrap();
    let yaml = relc::backend::azure::emit(pipeline, "stdlib-use.release").unwrap();
    assert!(yaml.contains("appType: webAppLinux"), "{yaml}");
    assert!(yaml.contains("action: Swap Slots"), "{yaml}");
    assert!(
        yaml.contains("eq(variables['Build.Reason'], 'Schedule')"),
        "{yaml}"
    );
    let checks: Vec<&str> = pipeline.environments["production"]
        .checks
        .iter()
        .map(|c| c.gate.as_deref().unwrap_or("-"))
        .collect();
    assert_eq!(checks, ["-", "business_days", "main_only"]);
}

/// An environment that names a resource is emitted in the mapping form.
#[test]
fn environment_resources_use_the_mapping_form() {
    let text = r#"
environment spike { resource "default"  resource_type Kubernetes }
stage Deploy { deployment Deploy to spike { script "kubectl apply -f manifests" } }
"#;
    let c = relc::compile("k8s.release", text);
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    let yaml = relc::backend::azure::emit(c.pipeline.as_ref().unwrap(), "k8s.release").unwrap();
    let doc = &YamlLoader::load_from_str(&yaml).unwrap()[0];
    let env = &doc["stages"][0]["jobs"][0]["environment"];
    assert_eq!(env["name"].as_str(), Some("spike"));
    assert_eq!(env["resourceName"].as_str(), Some("default"));
    assert_eq!(env["resourceType"].as_str(), Some("Kubernetes"));
}

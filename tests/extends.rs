//! Templates of other files: `extends`, `use "…" from ALIAS`, and
//! `relc build --as-template`, driven through the real binary in fresh
//! directories. What is asserted: the references reach the YAML as written,
//! `relc plan` and `relc run` say each template is not run locally (never a
//! silent skip), and a file is written as a template only when nothing of its
//! meaning would be lost.

use std::path::PathBuf;
use std::process::Command;

/// A fresh directory for one test.
fn sandbox(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("relc-extends-tests")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn relc(dir: &PathBuf, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_relc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("relc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const PIPELINE: &str = r#"
pipeline "t" { trigger { branches ["main"] } }
resources { repository templates { type git  name "Platform/templates" } }
stage Build {
  job Build {
    script "echo built"
    use "steps/sign.yml" from templates { files = "**/*.dll" }
    script "echo after"
  }
  use "jobs/sbom.yml" from templates
}
use "stages/publish.yml" from templates { target = "prod" }
"#;

#[test]
fn template_references_are_emitted_as_written_in_their_place() {
    let dir = sandbox("emit");
    std::fs::write(dir.join("p.release"), PIPELINE).unwrap();
    let (code, yaml, err) = relc(&dir, &["build", "p.release"]);
    assert_eq!(code, 0, "{err}");
    let sign = yaml
        .find("- template: steps/sign.yml@templates")
        .expect(&yaml);
    let after = yaml.find("- script: echo after").expect(&yaml);
    assert!(sign < after, "the step template keeps its place:\n{yaml}");
    assert!(yaml.contains("files: \"**/*.dll\""), "{yaml}");
    assert!(
        yaml.contains("  - template: jobs/sbom.yml@templates\n"),
        "{yaml}"
    );
    assert!(
        yaml.contains(
            "\n  - template: stages/publish.yml@templates\n    parameters:\n      target: prod\n"
        ),
        "{yaml}"
    );
}

#[test]
fn plan_and_run_report_each_template_as_not_run_locally() {
    let dir = sandbox("local");
    std::fs::write(dir.join("p.release"), PIPELINE).unwrap();
    let (code, plan, err) = relc(&dir, &["plan", "p.release"]);
    assert_eq!(code, 0, "{err}");
    for t in [
        "steps/sign.yml@templates",
        "jobs/sbom.yml@templates",
        "stages/publish.yml@templates",
    ] {
        assert!(
            plan.contains(&format!("not run locally: external template {t}")),
            "{t} in:\n{plan}"
        );
    }
    let (code, out, err) = relc(&dir, &["run", "p.release", "--state-dir", "state"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("step 2 Skipped: not run locally: external template steps/sign.yml@templates"),
        "{out}"
    );
    assert!(
        out.contains("echo after") || out.contains("step 3 Succeeded"),
        "{out}"
    );
    assert!(
        out.contains("note: not run locally: external template jobs/sbom.yml@templates"),
        "{out}"
    );
    assert!(
        out.contains("note: not run locally: external template stages/publish.yml@templates"),
        "{out}"
    );
}

#[test]
fn extends_carries_the_stages_in_its_parameter_and_says_so_in_the_plan() {
    let dir = sandbox("extends");
    std::fs::write(
        dir.join("p.release"),
        r#"
resources { repository gov { type git  name "Gov/templates"  ref "refs/heads/main" } }
extends "v2/Official.yml" from gov {
  sdl = { tsa = { enabled = true } }
  config = { build = { stages = pipeline.stages } }
}
stage Build { job Build { script "make" } }
"#,
    )
    .unwrap();
    let (code, yaml, err) = relc(&dir, &["build", "p.release"]);
    assert_eq!(code, 0, "{err}");
    assert!(!yaml.contains("\nstages:"), "no root stages:\n{yaml}");
    assert!(
        yaml.contains("extends:\n  template: v2/Official.yml@gov\n  parameters:\n    sdl:\n      tsa:\n        enabled: true\n    config:\n      build:\n        stages:\n          - stage: Build\n"),
        "{yaml}"
    );
    let (code, plan, err) = relc(&dir, &["plan", "p.release"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        plan.contains("not run locally: external template v2/Official.yml@gov (extended)"),
        "{plan}"
    );
    assert!(
        plan.contains("run   Build"),
        "its own stages still plan:\n{plan}"
    );
}

#[test]
fn as_template_writes_parameters_and_the_nodes_alone() {
    let dir = sandbox("as-template");
    std::fs::write(
        dir.join("stages.release"),
        r#"
pipeline { trigger none }
parameter region: string = "westeurope"
stage Deploy { job Deploy { script "deploy " + parameters.region } }
"#,
    )
    .unwrap();
    let (code, _, err) = relc(
        &dir,
        &[
            "build",
            "stages.release",
            "--as-template",
            "stages",
            "-o",
            "t.yml",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let yaml = std::fs::read_to_string(dir.join("t.yml")).unwrap();
    let body: String = yaml.lines().skip(2).collect::<Vec<_>>().join("\n");
    assert_eq!(
        body,
        "parameters:\n  - name: region\n    type: string\n    default: westeurope\n\nstages:\n  - stage: Deploy\n    dependsOn: []\n    condition: succeeded()\n    jobs:\n      - job: Deploy\n        steps:\n          - script: \"deploy ${{ parameters.region }}\""
    );

    // Root steps make a steps template; asking for another level is refused.
    std::fs::write(
        dir.join("steps.release"),
        "script \"make\"\nuse \"steps/x.yml\" from self\n",
    )
    .unwrap();
    let (code, yaml, err) = relc(&dir, &["build", "steps.release", "--as-template", "steps"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        yaml.ends_with("steps:\n  - script: make\n  - template: steps/x.yml@self\n"),
        "{yaml}"
    );
    let (code, _, err) = relc(&dir, &["build", "steps.release", "--as-template", "jobs"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("a template of jobs is a file written as root jobs"),
        "{err}"
    );

    // What a template cannot carry is refused, not dropped.
    std::fs::write(
        dir.join("vars.release"),
        "var region = \"eu\"\nstage A { job A { script \"echo \" + region } }\n",
    )
    .unwrap();
    let (code, _, err) = relc(&dir, &["build", "vars.release", "--as-template", "stages"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot carry pipeline variables"), "{err}");
}

//! `relc check --format sarif` as code-scanning tools see it: the real binary
//! run in a scratch directory, so artifact URIs are the relative paths given.
//!
//! When python3 has `jsonschema`, every log is also validated against the
//! SARIF 2.1.0 schema vendored in `tests/data/sarif-2.1.0-rtm.5.json` (from
//! the npm package `@microsoft/jest-sarif`, MIT); `RELC_REQUIRE_JSONSCHEMA=1`
//! makes a missing `jsonschema` a failure.

use relc::diagnostic::Code;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const MIXED: &str = "artifact drop\n\
                     stage Build { job Build { script \"make\" } }\n\
                     stage Deploy after Biuld { job Deploy { script \"./deploy.sh\" } }\n";
const CLEAN: &str = "stage Build { job Build { script \"make\" } }\n";

/// A fresh directory for one test, holding `files`.
fn scratch(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sarif-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// `relc check --format sarif ARGS…` in `dir`: the exit code and the log,
/// validated against the schema when that is possible.
fn sarif(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_relc"))
        .args(["check", "--format", "sarif"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("relc runs");
    let log: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    validate(dir, &out.stdout);
    (out.status.code().expect("exited normally"), log)
}

fn validate(dir: &Path, log: &[u8]) {
    let required = std::env::var("RELC_REQUIRE_JSONSCHEMA").is_ok_and(|v| v == "1");
    let have = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        assert!(
            !required,
            "RELC_REQUIRE_JSONSCHEMA=1 but `python3 -c 'import jsonschema'` fails"
        );
        eprintln!("note: python3 with jsonschema not found; SARIF schema validation skipped");
        return;
    }
    let file = dir.join("log.sarif");
    std::fs::write(&file, log).unwrap();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-2.1.0-rtm.5.json");
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             jsonschema.Draft4Validator(schema).validate(json.load(open(sys.argv[2])))\n",
        ])
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the log does not match the SARIF 2.1.0 schema:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run(log: &Value) -> &Value {
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    &runs[0]
}

fn results(log: &Value) -> &Vec<Value> {
    run(log)["results"].as_array().expect("results is an array")
}

fn region(location: &Value) -> [u64; 4] {
    let r = &location["physicalLocation"]["region"];
    ["startLine", "startColumn", "endLine", "endColumn"].map(|k| r[k].as_u64().expect(k))
}

#[test]
fn the_log_names_its_version_schema_tool_and_every_rule_once() {
    let dir = scratch("structure", &[("clean.release", CLEAN)]);
    let (code, log) = sarif(&dir, &["clean.release"]);
    assert_eq!(code, 0);
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = run(&log);
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "relc");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(ids, expected, "one rule per code, in Code::ALL order");
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    for (rule, c) in rules.iter().zip(Code::ALL) {
        assert_eq!(rule["shortDescription"]["text"], c.title());
        let level = if c.as_str().starts_with('W') {
            "warning"
        } else {
            "error"
        };
        assert_eq!(
            rule["defaultConfiguration"]["level"],
            level,
            "{}",
            c.as_str()
        );
        let uri = rule["helpUri"].as_str().unwrap();
        assert!(
            uri.starts_with("https://github.com/relc-lang/relc/blob/main/docs/diagnostics.md#"),
            "{uri}"
        );
        assert!(!rule["name"].as_str().unwrap().contains(' '));
    }
    let e010 = &rules[ids.iter().position(|&i| i == "E010").unwrap()];
    assert_eq!(e010["name"], "UnknownStage");
    assert!(
        e010["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("#e010--unknown-stage")
    );
    let e120 = &rules[ids.iter().position(|&i| i == "E120").unwrap()];
    assert!(
        e120["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("#e120--pipeline-that-expands-past-relcs-limits")
    );
}

#[test]
fn a_clean_file_has_no_results_and_a_successful_invocation() {
    let dir = scratch("clean", &[("clean.release", CLEAN)]);
    let (code, log) = sarif(&dir, &["clean.release"]);
    assert_eq!(code, 0);
    assert_eq!(run(&log)["results"], serde_json::json!([]));
    let inv = &run(&log)["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    assert_eq!(inv["exitCode"], 0);
    assert_eq!(inv["toolExecutionNotifications"], serde_json::json!([]));
}

#[test]
fn an_error_and_a_warning_with_a_fix() {
    let dir = scratch("mixed", &[("pipelines/mixed.release", MIXED)]);
    let (code, log) = sarif(&dir, &["./pipelines/mixed.release"]);
    assert_eq!(code, 1);
    let results = results(&log);
    let rules = run(&log)["tool"]["driver"]["rules"].as_array().unwrap();
    let by_rule = |id: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == id)
            .unwrap_or_else(|| panic!("no {id} result in {results:#?}"))
    };
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], r["ruleId"],
            "ruleIndex points at the rule"
        );
        let artifact = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(artifact["uri"], "pipelines/mixed.release");
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
    }

    let w = by_rule("W001");
    assert_eq!(w["level"], "warning");
    assert_eq!(region(&w["locations"][0]), [1, 10, 1, 14]);

    let e = by_rule("E010");
    assert_eq!(e["level"], "error");
    let text = e["message"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("stage `Deploy` depends on unknown stage `Biuld`"),
        "{text}"
    );
    assert!(
        text.contains("did you mean `Build`?"),
        "help appended: {text}"
    );
    assert_eq!(
        e["locations"][0]["message"]["text"],
        "no stage has this name"
    );
    assert_eq!(region(&e["locations"][0]), [3, 20, 3, 25]);
    let fixes = e["fixes"].as_array().expect("the did-you-mean is a fix");
    assert_eq!(fixes.len(), 1);
    assert_eq!(fixes[0]["description"]["text"], "did you mean `Build`?");
    let change = &fixes[0]["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], "pipelines/mixed.release");
    let replacement = &change["replacements"][0];
    assert_eq!(replacement["insertedContent"]["text"], "Build");
    let deleted = &replacement["deletedRegion"];
    assert_eq!(
        [
            &deleted["startLine"],
            &deleted["startColumn"],
            &deleted["endColumn"]
        ],
        [3, 20, 25]
    );
}

#[test]
fn columns_count_utf16_code_units() {
    let line = "stage Build { job Build { script \"echo 🚀 é\" } } stage Deploy after Tset { job Deploy { script \"x\" } }";
    let dir = scratch(
        "utf16",
        &[
            ("emoji.release", &format!("{line}\n")),
            ("name.release", "stage 🚀A { job A { script \"x\" } }\n"),
        ],
    );
    let (code, log) = sarif(&dir, &["emoji.release", "name.release"]);
    assert_eq!(code, 1);
    let results = results(&log);

    let e010 = results.iter().find(|r| r["ruleId"] == "E010").unwrap();
    let at = line.find("Tset").unwrap();
    let column = line[..at].encode_utf16().count() as u64 + 1;
    assert_eq!(column, 69, "the emoji is two code units, `é` one");
    assert_eq!(
        line[..at].chars().count() + 1,
        68,
        "characters would be one fewer"
    );
    assert_eq!(region(&e010["locations"][0]), [1, column, 1, column + 4]);

    // The span is the emoji itself: two code units wide.
    let e001 = results.iter().find(|r| r["ruleId"] == "E001").unwrap();
    assert_eq!(region(&e001["locations"][0]), [1, 7, 1, 9]);
}

#[test]
fn related_locations_carry_their_messages() {
    let dup = "stage Build { job Build { script \"make\" } }\n\
               stage Test after Build { job Test { script \"make test\" } }\n\
               stage build after Test { job Package { script \"make package\" } }\n";
    let dir = scratch("related", &[("dup.release", dup)]);
    let (code, log) = sarif(&dir, &["dup.release"]);
    assert_eq!(code, 1);
    let e020 = results(&log)
        .iter()
        .find(|r| r["ruleId"] == "E020")
        .unwrap();
    assert_eq!(region(&e020["locations"][0]), [3, 7, 3, 12]);
    let related = e020["relatedLocations"].as_array().unwrap();
    assert_eq!(related.len(), 1);
    assert_eq!(related[0]["message"]["text"], "first declared here");
    assert_eq!(region(&related[0]), [1, 7, 1, 12]);
    assert_eq!(
        related[0]["physicalLocation"]["artifactLocation"]["uri"],
        "dup.release"
    );
}

#[test]
fn an_unreadable_file_is_a_notification_and_exit_two() {
    let dir = scratch("unreadable", &[("mixed.release", MIXED)]);
    let (code, log) = sarif(&dir, &["mixed.release", "missing.release"]);
    assert_eq!(code, 2, "2 wins over 1");
    assert_eq!(results(&log).len(), 2, "the readable file is still checked");
    let inv = &run(&log)["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert_eq!(inv["exitCode"], 2);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["level"], "error");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("missing.release")
    );
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "missing.release"
    );
}

#[test]
fn warnings_alone_exit_zero_unless_denied() {
    let dir = scratch(
        "warnings",
        &[("w.release", &format!("artifact drop\n{CLEAN}"))],
    );
    let (code, log) = sarif(&dir, &["w.release"]);
    assert_eq!(code, 0);
    assert_eq!(results(&log).len(), 1);
    assert_eq!(results(&log)[0]["level"], "warning");
    let (code, _) = sarif(&dir, &["--deny-warnings", "w.release"]);
    assert_eq!(code, 1);
}

#[test]
fn paths_with_spaces_are_encoded_and_absolute_paths_made_relative() {
    let dir = scratch("uris", &[("my pipelines/a b.release", MIXED)]);
    let absolute = dir.join("my pipelines/a b.release");
    let (_, log) = sarif(&dir, &[absolute.to_str().unwrap()]);
    let artifact = &results(&log)[0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(artifact["uri"], "my%20pipelines/a%20b.release");
    assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
}

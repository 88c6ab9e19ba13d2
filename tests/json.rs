//! The command line as tools see it: `relc check --format json` and exit codes.
//!
//! These tests run the real binary on UI inputs (`tests/ui/*.release`) from
//! the package root, so file names in the output are the relative paths given
//! on the command line.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn relc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relc"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("relc runs")
}

fn exit_code(out: &Output) -> i32 {
    out.status
        .code()
        .expect("relc exited normally, not by a signal")
}

/// `relc check --format json <files>`: the exit code and the parsed report.
fn check_json(files: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(files);
    let out = relc(&args);
    let stdout = String::from_utf8(out.stdout.clone()).expect("UTF-8 output");
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (exit_code(&out), json)
}

fn text_of(file: &str) -> String {
    std::fs::read_to_string(root().join(file)).expect("input exists")
}

/// The source text a location's byte offsets delimit.
fn slice(loc: &Value, start: &str, end: &str) -> String {
    let file = loc["file"].as_str().expect("file is a string");
    let text = text_of(file);
    let (s, e) = (
        loc[start]["offset"].as_u64().unwrap() as usize,
        loc[end]["offset"].as_u64().unwrap() as usize,
    );
    text.get(s..e)
        .unwrap_or_else(|| panic!("{s}..{e} is not a valid range of {file}"))
        .to_string()
}

fn position(v: &Value) -> (u64, u64, u64) {
    (
        v["line"].as_u64().unwrap(),
        v["column"].as_u64().unwrap(),
        v["offset"].as_u64().unwrap(),
    )
}

/// Every diagnostic object has exactly these fields, with these types.
fn assert_shape(d: &Value) {
    let obj = d.as_object().expect("a diagnostic is an object");
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "file", "start", "end", "severity", "code", "message", "label", "help", "related",
            "fixes"
        ]
    );
    for pos in [&d["start"], &d["end"]] {
        let keys: Vec<&str> = pos
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["line", "column", "offset"]);
        assert!(
            pos["line"].as_u64().unwrap() >= 1 && pos["column"].as_u64().unwrap() >= 1,
            "1-based: {pos}"
        );
    }
    assert!(matches!(d["severity"].as_str(), Some("error" | "warning")));
    assert!(d["help"].is_null() || d["help"].is_string());
    for r in d["related"].as_array().expect("related is a list") {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["file", "start", "end", "message"]);
    }
    for f in d["fixes"].as_array().expect("fixes is a list") {
        let keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["message", "edits"]);
        assert!(f["message"].is_string());
        for e in f["edits"].as_array().expect("edits is a list") {
            let keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, ["file", "start", "end", "replacement"]);
            assert!(e["replacement"].is_string());
        }
    }
}

#[test]
fn unknown_stage_as_json() {
    let file = "tests/ui/E010-unknown-stage-did-you-mean.release";
    let (code, json) = check_json(&[file]);
    assert_eq!(code, 1);
    assert_eq!(json["errors"], 1);
    assert_eq!(json["warnings"], 0);
    let ds = json["diagnostics"].as_array().unwrap();
    assert_eq!(ds.len(), 1);
    let d = &ds[0];
    assert_shape(d);
    assert_eq!(d["file"], file);
    assert_eq!(position(&d["start"]), (3, 20, 122));
    assert_eq!(position(&d["end"]), (3, 24, 126));
    assert_eq!(slice(d, "start", "end"), "Tset");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "E010");
    assert_eq!(
        d["message"],
        "stage `Deploy` depends on unknown stage `Tset`"
    );
    assert_eq!(d["label"], "no stage has this name");
    assert_eq!(d["help"], "did you mean `Test`?");
    assert_eq!(d["related"], serde_json::json!([]));
    // The suggestion as a fix: replace the misspelt name.
    let fixes = d["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 1);
    assert_eq!(fixes[0]["message"], "did you mean `Test`?");
    let edit = &fixes[0]["edits"][0];
    assert_eq!(edit["file"], file);
    assert_eq!(slice(edit, "start", "end"), "Tset");
    assert_eq!(edit["replacement"], "Test");
}

/// Applies every edit of a diagnostic's first fix to its file's text.
fn apply_first_fix(d: &Value) -> String {
    let mut text = text_of(d["file"].as_str().unwrap());
    let mut edits: Vec<&Value> = d["fixes"][0]["edits"].as_array().unwrap().iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e["start"]["offset"].as_u64()));
    for e in edits {
        let (s, t) = (
            e["start"]["offset"].as_u64().unwrap() as usize,
            e["end"]["offset"].as_u64().unwrap() as usize,
        );
        text.replace_range(s..t, e["replacement"].as_str().unwrap());
    }
    text
}

#[test]
fn fixes_replace_quoted_values_inside_their_quotes() {
    // `== "Success"`: the fix rewrites the text between the quotes.
    let file = "tests/ui/E042-unknown-result.release";
    let (_, json) = check_json(&[file]);
    let d = &json["diagnostics"][0];
    let edit = &d["fixes"][0]["edits"][0];
    assert_eq!(slice(edit, "start", "end"), "Success");
    assert_eq!(edit["replacement"], "Succeeded");
    assert!(apply_first_fix(d).contains(r#"== "Succeeded""#));
}

#[test]
fn a_diagnostic_without_a_fix_has_an_empty_list() {
    let (_, json) = check_json(&["tests/ui/E020-duplicate-stage-case.release"]);
    assert_eq!(json["diagnostics"][0]["fixes"], serde_json::json!([]));
}

#[test]
fn duplicate_stage_has_a_related_location() {
    let file = "tests/ui/E020-duplicate-stage-case.release";
    let (code, json) = check_json(&[file]);
    assert_eq!(code, 1);
    let d = &json["diagnostics"][0];
    assert_shape(d);
    assert_eq!(d["code"], "E020");
    assert_eq!(d["message"], "stage `build` is declared twice");
    assert_eq!(position(&d["start"]), (3, 7, 109));
    assert_eq!(position(&d["end"]), (3, 12, 114));
    assert_eq!(slice(d, "start", "end"), "build");
    let r = &d["related"][0];
    assert_eq!(d["related"].as_array().unwrap().len(), 1);
    assert_eq!(r["file"], file);
    assert_eq!(r["message"], "first declared here");
    assert_eq!(position(&r["start"]), (1, 7, 6));
    assert_eq!(position(&r["end"]), (1, 12, 11));
    assert_eq!(slice(r, "start", "end"), "Build");
}

/// Columns count characters, offsets count bytes: they differ after `é` and `✓`.
#[test]
fn columns_count_characters_and_offsets_count_bytes() {
    let file = "tests/ui/E002-regex-escape-after-unicode.release";
    let (code, json) = check_json(&[file]);
    assert_eq!(code, 1);
    let d = &json["diagnostics"][0];
    assert_shape(d);
    assert_eq!(d["code"], "E002");
    assert_eq!(d["message"], "`\\d` is not an escape that strings know");
    // Line 3 starts at byte 28; `\d` is its 52nd character but starts at its 56th byte.
    assert_eq!(position(&d["start"]), (3, 52, 83));
    assert_eq!(position(&d["end"]), (3, 54, 85));
    assert_eq!(slice(d, "start", "end"), "\\d");
}

/// A diagnostic in an imported file, with the import as a related location in another file.
#[test]
fn related_location_in_another_file() {
    let file = "tests/ui/E025-imported-file-declares-stages.release";
    let (code, json) = check_json(&[file]);
    assert_eq!(code, 1);
    let ds = json["diagnostics"].as_array().unwrap();
    assert_eq!(ds.len(), 1);
    let d = &ds[0];
    assert_shape(d);
    assert_eq!(d["code"], "E025");
    assert_eq!(d["file"], "tests/ui/imports/build-stages.release");
    assert_eq!(position(&d["start"]).0, 6);
    assert_eq!(slice(d, "start", "end"), "Build");
    let r = &d["related"][0];
    assert_eq!(r["file"], file);
    assert_eq!(r["message"], "imported here");
    assert_eq!(position(&r["start"]), (1, 1, 0));
    assert_eq!(
        slice(r, "start", "end"),
        "import \"imports/build-stages.release\""
    );
}

#[test]
fn missing_help_is_null() {
    let (code, json) = check_json(&["tests/ui/E044-eq-with-one-argument.release"]);
    assert_eq!(code, 1);
    let d = &json["diagnostics"][0];
    assert_shape(d);
    assert_eq!(d["code"], "E044");
    assert_eq!(d["message"], "`eq` takes 2 arguments, but 1 was given");
    assert_eq!(d["label"], "1 argument");
    assert!(d["help"].is_null());
    assert_eq!(position(&d["start"]), (4, 8, 79));
    assert_eq!(slice(d, "start", "end"), "eq(branch)");
}

#[test]
fn warnings_exit_zero_unless_denied() {
    let file = "tests/ui/W001-unused-gate.release";
    let (code, json) = check_json(&[file]);
    assert_eq!(code, 0, "warnings alone do not fail a check");
    assert_eq!(json["errors"], 0);
    assert_eq!(json["warnings"], 1);
    let d = &json["diagnostics"][0];
    assert_shape(d);
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["code"], "W001");
    assert_eq!(d["message"], "gate `release_branch` is never used");
    assert_eq!(position(&d["start"]), (1, 6, 5));
    assert_eq!(slice(d, "start", "end"), "release_branch");

    let out = relc(&["check", "--deny-warnings", "--format", "json", file]);
    assert_eq!(
        exit_code(&out),
        1,
        "--deny-warnings turns warnings into a failure"
    );
}

#[test]
fn several_files_in_one_report() {
    let a = "tests/ui/E010-unknown-stage-did-you-mean.release";
    let b = "tests/ui/W001-unused-gate.release";
    let (code, json) = check_json(&[a, b]);
    assert_eq!(code, 1);
    assert_eq!(json["errors"], 1);
    assert_eq!(json["warnings"], 1);
    let files: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, [a, b]);
}

#[test]
fn every_ui_input_gives_well_formed_json() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("tests/ui"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".release"))
        .map(|n| format!("tests/ui/{n}"))
        .collect();
    files.sort();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let (code, json) = check_json(&args);
    assert_eq!(code, 1);
    let ds = json["diagnostics"].as_array().unwrap();
    let errors = ds.iter().filter(|d| d["severity"] == "error").count();
    assert_eq!(json["errors"], errors);
    assert_eq!(json["warnings"], ds.len() - errors);
    for d in ds {
        assert_shape(d);
        // Offsets slice the file on character boundaries, and lines/columns agree with them.
        let text = text_of(d["file"].as_str().unwrap());
        let (line, column, offset) = position(&d["start"]);
        let before = text
            .get(..offset as usize)
            .unwrap_or_else(|| panic!("offset not on a char boundary: {d}"));
        assert_eq!(before.matches('\n').count() as u64 + 1, line, "{d}");
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        assert_eq!(
            before[line_start..].chars().count() as u64 + 1,
            column,
            "{d}"
        );
        let _ = slice(d, "start", "end");
        assert!(d["start"]["offset"].as_u64() <= d["end"]["offset"].as_u64());
    }
}

#[test]
fn valid_file_exits_zero() {
    let (code, json) = check_json(&["examples/tailspin.release"]);
    assert_eq!(code, 0);
    assert_eq!(
        json,
        serde_json::json!({ "diagnostics": [], "errors": 0, "warnings": 0, "unreadable": [] })
    );

    let out = relc(&["check", "examples/tailspin.release"]);
    assert_eq!(exit_code(&out), 0);
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "ok: 1 file checked, no problems\n"
    );
}

/// The human format says in one line that all is well, counting the files read.
#[test]
fn a_clean_check_says_how_many_files_it_checked() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".release"))
        .map(|n| format!("examples/{n}"))
        .collect();
    let n = files.len();
    assert!(n > 1);
    files.push("examples/tailspin.release".into()); // the same file twice is checked once
    let args: Vec<&str> = std::iter::once("check")
        .chain(files.iter().map(String::as_str))
        .collect();
    let out = relc(&args);
    assert_eq!(
        exit_code(&out),
        0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("ok: {n} files checked, no problems\n")
    );

    // A file that cannot be read is not "no problems".
    let out = relc(&[
        "check",
        "examples/tailspin.release",
        "tests/ui/no-such-file.release",
    ]);
    assert_eq!(exit_code(&out), 2);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("ok:"));
}

/// The human format is the UI test's expected output followed by a summary line.
#[test]
fn human_output_matches_the_ui_expectation() {
    let out = relc(&[
        "check",
        "--color",
        "never",
        "tests/ui/E042-misspelt-build-reason.release",
    ]);
    assert_eq!(exit_code(&out), 1);
    assert!(out.stdout.is_empty());
    let expected =
        std::fs::read_to_string(root().join("tests/ui/E042-misspelt-build-reason.stderr"))
            .unwrap()
            .replace("\r\n", "\n");
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!("{expected}1 error, 0 warnings\n")
    );
}

#[test]
fn missing_file_exits_two() {
    let out = relc(&["check", "tests/ui/no-such-file.release"]);
    assert_eq!(exit_code(&out), 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read tests/ui/no-such-file.release"),
        "{stderr}"
    );

    let (code, json) = check_json(&["tests/ui/no-such-file.release"]);
    assert_eq!(code, 2);
    assert_eq!(
        json["unreadable"][0]["file"],
        "tests/ui/no-such-file.release"
    );
    assert!(
        json["unreadable"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("cannot read tests/ui/no-such-file.release")),
        "{json}"
    );

    // An unreadable file wins over a valid one, and over errors in another file.
    let out = relc(&[
        "check",
        "examples/tailspin.release",
        "tests/ui/no-such-file.release",
    ]);
    assert_eq!(exit_code(&out), 2);
    let out = relc(&[
        "check",
        "tests/ui/E010-unknown-stage-did-you-mean.release",
        "tests/ui/no-such-file.release",
    ]);
    assert_eq!(exit_code(&out), 2);

    let out = relc(&["build", "tests/ui/no-such-file.release"]);
    assert_eq!(exit_code(&out), 2);
}

#[test]
fn bad_usage_exits_two() {
    for args in [
        &["check", "--frobnicate", "examples/tailspin.release"][..],
        &["check", "--format", "yaml", "examples/tailspin.release"],
        &["check"],
        &["frobnicate"],
        &[],
    ] {
        let out = relc(args);
        assert_eq!(exit_code(&out), 2, "relc {}", args.join(" "));
        assert!(
            out.stdout.is_empty(),
            "relc {}: usage errors go to stderr",
            args.join(" ")
        );
        assert!(
            !out.stderr.is_empty(),
            "relc {}: says what is wrong",
            args.join(" ")
        );
    }
}

#[test]
fn build_with_errors_exits_one_and_writes_nothing() {
    let out = relc(&["build", "tests/ui/E030-three-stage-cycle.release"]);
    assert_eq!(exit_code(&out), 1);
    assert!(out.stdout.is_empty(), "no YAML for a file with errors");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing written"));
}

/// The `╭─[file:line:column]` header of the human format gives the same
/// position as JSON, in characters, also after non-ASCII text on the line
/// (E002-regex-escape-after-unicode: `3:52`, not the byte column 56).
#[test]
fn human_header_column_agrees_with_json() {
    let file = "tests/ui/E002-regex-escape-after-unicode.release";
    let (_, json) = check_json(&[file]);
    let d = &json["diagnostics"][0];
    let (line, column, _) = position(&d["start"]);
    let out = relc(&["check", "--color", "never", file]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("[{file}:{line}:{column}]")),
        "JSON says {line}:{column}; human output:\n{stderr}"
    );
}

#[test]
fn a_directory_means_every_release_file_in_it() {
    let (code, json) = check_json(&["examples"]);
    assert_eq!(code, 1, "examples/invalid holds a rejected pipeline");
    let files: std::collections::BTreeSet<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        ["examples/invalid/pr180-dangling-dependency.release"]
    );
    assert_eq!(json["errors"], 1);
}

#[test]
fn explain_prints_the_documented_section() {
    let out = relc(&["explain", "e010"]);
    assert_eq!(exit_code(&out), 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("## E010 — unknown stage"), "{text}");
    assert!(text.contains("did you mean `Test`?"), "{text}");
    assert!(!text.contains("## E011"), "only the one section: {text}");

    let out = relc(&["explain"]);
    assert_eq!(exit_code(&out), 0);
    let list = String::from_utf8_lossy(&out.stdout);
    assert_eq!(list.lines().count(), relc::diagnostic::Code::ALL.len());
    assert!(
        list.contains("W004  condition that is the same on every run"),
        "{list}"
    );

    let out = relc(&["explain", "E999"]);
    assert_eq!(exit_code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no diagnostic has the code `E999`"));
}

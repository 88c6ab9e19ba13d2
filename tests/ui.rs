//! UI tests: every `tests/ui/<code>-<what>.release` is compiled and the
//! rendered diagnostics (`relc::render::human`, no colour) are compared with
//! `tests/ui/<code>-<what>.stderr`.
//!
//! Run `BLESS=1 cargo test --test ui` to rewrite the expected files after an
//! intended change, then review the diff of `tests/ui/*.stderr`.
//!
//! Besides the rendered text, the runner checks properties that must hold for
//! every input: spans lie within the file and on character boundaries, the
//! code a file is named after is among its diagnostics, and every code in
//! `Code::ALL` is exercised by at least one input.

use relc::diagnostic::{Code, Diagnostic};
use relc::source::{SourceMap, Span};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One UI input, compiled.
struct Case {
    /// File name within `tests/ui`, e.g. `E010-unknown-stage.release`.
    file: String,
    /// `tests/ui/<file>`: the name given to the compiler, so output is machine-independent.
    name: String,
    sources: SourceMap,
    diagnostics: Vec<Diagnostic>,
    rendered: String,
}

fn ui_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("ui")
}

fn inputs() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(ui_dir())
        .expect("tests/ui exists")
        .map(|e| {
            e.expect("readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".release"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in tests/ui");
    files
}

fn compile(file: &str) -> Case {
    let text = std::fs::read_to_string(ui_dir().join(file))
        .unwrap_or_else(|e| panic!("reading {file}: {e}"));
    let name = format!("tests/ui/{file}");
    let c = relc::compile(&name, &text);
    let rendered: String = c
        .diagnostics
        .iter()
        .map(|d| relc::render::human(d, &c.sources, false))
        .collect();
    Case {
        file: file.to_string(),
        name,
        sources: c.sources,
        diagnostics: c.diagnostics,
        rendered,
    }
}

fn cases() -> Vec<Case> {
    inputs().iter().map(|f| compile(f)).collect()
}

/// The code a file is named after: `E010-unknown-stage.release` → `E010`.
fn named_code(file: &str) -> Option<Code> {
    let prefix = file.split('-').next()?;
    Code::ALL.iter().copied().find(|c| c.as_str() == prefix)
}

fn expected_path(file: &str) -> PathBuf {
    ui_dir()
        .join(file.strip_suffix(".release").expect(".release file"))
        .with_extension("stderr")
}

/// Expected text with line endings normalised, in case a checkout converted them.
fn read_expected(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.replace("\r\n", "\n"))
}

fn blessing() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

#[test]
fn ui_outputs_match_expected() {
    let bless = blessing();
    let mut failures = Vec::new();
    for case in cases() {
        let path = expected_path(&case.file);
        let shown = format!("tests/ui/{}", path.file_name().unwrap().to_string_lossy());
        let expected = read_expected(&path);
        if expected.as_deref() == Some(case.rendered.as_str()) {
            continue;
        }
        if bless {
            std::fs::write(&path, &case.rendered)
                .unwrap_or_else(|e| panic!("writing {shown}: {e}"));
            eprintln!("blessed {shown}");
            continue;
        }
        let mut report = String::new();
        match &expected {
            None => {
                let _ = writeln!(
                    report,
                    "{}: no expected output ({} missing); actual output:",
                    case.name, shown
                );
                report.push_str(&case.rendered);
            }
            Some(expected) => {
                let _ = writeln!(
                    report,
                    "{}: output differs from {} (- expected, + actual):",
                    case.name, shown
                );
                report.push_str(&diff(expected, &case.rendered));
            }
        }
        failures.push(report);
    }
    // An expected file whose input was removed or renamed would silently stop being tested.
    let inputs: BTreeSet<String> = inputs()
        .into_iter()
        .map(|f| f.trim_end_matches(".release").to_string())
        .collect();
    for entry in std::fs::read_dir(ui_dir()).expect("tests/ui exists") {
        let name = entry
            .expect("readable entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if let Some(stem) = name.strip_suffix(".stderr")
            && !inputs.contains(stem)
        {
            if bless {
                let _ = std::fs::remove_file(ui_dir().join(&name));
                eprintln!("removed stale tests/ui/{name}");
            } else {
                failures.push(format!("tests/ui/{name} has no matching .release input; delete it or rerun with BLESS=1\n"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} UI test(s) failed; rerun with BLESS=1 to accept the new output\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ui_spans_lie_within_their_file_on_char_boundaries() {
    let mut problems = Vec::new();
    for case in cases() {
        for d in &case.diagnostics {
            let mut check = |what: &str, span: Span| {
                let file = case.sources.get(span.file);
                let text = &file.text;
                let (start, end) = (span.start as usize, span.end as usize);
                if start > end {
                    problems.push(format!(
                        "{}: {} {what} span {start}..{end} is reversed",
                        case.name,
                        d.code.as_str()
                    ));
                } else if end > text.len() {
                    problems.push(format!(
                        "{}: {} {what} span {start}..{end} ends past the end of {} ({} bytes)",
                        case.name,
                        d.code.as_str(),
                        file.name,
                        text.len()
                    ));
                } else if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                    problems.push(format!(
                        "{}: {} {what} span {start}..{end} is not on character boundaries",
                        case.name,
                        d.code.as_str()
                    ));
                }
            };
            check("primary", d.span);
            for r in &d.related {
                check("related", r.span);
            }
        }
    }
    assert!(problems.is_empty(), "bad spans:\n{}", problems.join("\n"));
}

#[test]
fn ui_inputs_have_the_code_they_are_named_after() {
    let mut problems = Vec::new();
    for case in cases() {
        let Some(code) = named_code(&case.file) else {
            problems.push(format!(
                "{}: name must start with a diagnostic code and a dash, e.g. `E010-unknown-stage.release`",
                case.name
            ));
            continue;
        };
        if !case.diagnostics.iter().any(|d| d.code == code) {
            let found: Vec<&str> = case.diagnostics.iter().map(|d| d.code.as_str()).collect();
            problems.push(format!(
                "{}: named after {} but reports [{}]",
                case.name,
                code.as_str(),
                found.join(", ")
            ));
        }
        for d in &case.diagnostics {
            if d.message.trim().is_empty() {
                problems.push(format!(
                    "{}: {} has an empty message",
                    case.name,
                    d.code.as_str()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_code_has_a_ui_test() {
    let mut exercised = BTreeSet::new();
    for case in cases() {
        for d in &case.diagnostics {
            exercised.insert(d.code.as_str());
        }
    }
    let missing: Vec<String> = Code::ALL
        .iter()
        .filter(|c| !exercised.contains(c.as_str()))
        .map(|c| format!("{} ({})", c.as_str(), c.title()))
        .collect();
    assert!(
        missing.is_empty(),
        "no UI test in tests/ui reports these codes; add `tests/ui/<code>-<what>.release` for each \
         and run `BLESS=1 cargo test --test ui`:\n  {}",
        missing.join("\n  ")
    );
}

/// Several inputs hold more than one mistake; the checker must report each of them
/// in one run rather than stop at the first.
#[test]
fn ui_multi_error_inputs_report_every_mistake() {
    let mut multi = 0;
    for case in cases().iter().filter(|c| c.file.contains("-multi-")) {
        multi += 1;
        let errors = case
            .diagnostics
            .iter()
            .filter(|d| d.severity == relc::diagnostic::Severity::Error)
            .count();
        let codes: BTreeSet<&str> = case.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert!(
            errors >= 4,
            "{}: expected at least 4 errors, found {errors}",
            case.name
        );
        assert!(
            codes.len() >= 3,
            "{}: expected at least 3 different codes, found {codes:?}",
            case.name
        );
    }
    assert!(
        multi >= 3,
        "expected at least 3 `*-multi-*` inputs, found {multi}"
    );
}

/// A line diff (longest common subsequence), marking removed lines `-` and added lines `+`.
fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let (n, m) = (a.len(), b.len());
    // lcs[i][j]: length of the LCS of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            let _ = writeln!(out, "  {}", a[i]);
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            let _ = writeln!(out, "- {}", a[i]);
            i += 1;
        } else {
            let _ = writeln!(out, "+ {}", b[j]);
            j += 1;
        }
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        let _ = writeln!(out, "(the two differ in the final line break)");
    }
    out
}

#[test]
fn diff_marks_changed_lines() {
    let d = diff("a\nb\nc\n", "a\nx\nc\n");
    assert_eq!(d, "  a\n- b\n+ x\n  c\n");
}

/// `docs/diagnostics.md` has a section `## <code> — <title>` for every code, and
/// every UI test it cites exists.
#[test]
fn every_code_is_documented() {
    let docs_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join("diagnostics.md");
    let docs = std::fs::read_to_string(&docs_path).expect("docs/diagnostics.md exists");
    let mut problems = Vec::new();
    for code in Code::ALL {
        let heading = format!("\n## {} — {}\n", code.as_str(), code.title());
        if !docs.contains(&heading) {
            problems.push(format!("no section `{}`", heading.trim()));
        }
    }
    let inputs: BTreeSet<String> = inputs()
        .into_iter()
        .map(|f| f.trim_end_matches(".release").to_string())
        .collect();
    for (i, _) in docs.match_indices('`') {
        let rest = &docs[i + 1..];
        let Some(end) = rest.find('`') else { break };
        let quoted = rest[..end]
            .trim_start_matches("tests/ui/")
            .trim_end_matches(".release");
        let looks_like_test =
            named_code(quoted).is_some() && quoted.len() > 5 && !quoted.contains(' ');
        if looks_like_test && !inputs.contains(quoted) {
            problems.push(format!("cites `{quoted}`, which is not in tests/ui"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/diagnostics.md:\n{}",
        problems.join("\n")
    );
}

/// The output quoted in ```text blocks of `docs/diagnostics.md` is what relc prints
/// for some UI test, so the documentation cannot drift from the compiler.
#[test]
fn documented_output_matches_ui_output() {
    let docs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join("diagnostics.md"),
    )
    .expect("docs/diagnostics.md exists");
    let rendered: String = cases().iter().map(|c| c.rendered.as_str()).collect();
    let mut missing = Vec::new();
    let mut rest = docs.as_str();
    while let Some(start) = rest.find("```text\n") {
        rest = &rest[start + 8..];
        let end = rest.find("```").expect("closed code block");
        for line in rest[..end].lines() {
            let line = line.trim_end();
            let summary = line.ends_with(" warnings") || line.ends_with(" warning");
            if line.trim().is_empty() || line.trim() == "…" || summary {
                continue;
            }
            if !rendered.contains(line) {
                missing.push(line.to_string());
            }
        }
        rest = &rest[end + 3..];
    }
    assert!(
        missing.is_empty(),
        "docs/diagnostics.md quotes output that no UI test produces (update the docs):\n{}",
        missing.join("\n")
    );
}

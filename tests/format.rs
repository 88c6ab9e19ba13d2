//! `relc fmt` over every example, stdlib file, UI test and ```release block of
//! docs/language.md: formatting is idempotent and never changes what a file
//! compiles to (the YAML, or the diagnostics when it has errors); a file with a
//! syntax error is refused.

use relc::format::{format, has_syntax_error, meaning};
use std::path::{Path, PathBuf};

fn release_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "release"))
        .collect();
    files.sort();
    files
}

/// Checks one text; returns whether it was formatted (false: refused for a syntax error).
fn check(name: &str, text: &str) -> bool {
    let before = relc::compile(name, text);
    let formatted = match format(text) {
        Ok(f) => f,
        Err(e) => {
            assert!(has_syntax_error(&before), "{name}: {e}");
            return false;
        }
    };
    if has_syntax_error(&before) {
        return false;
    }
    assert_eq!(format(&formatted).unwrap(), formatted, "{name}: not idempotent");
    let after = relc::compile(name, &formatted);
    assert_eq!(
        meaning(&after, name),
        meaning(&before, name),
        "{name}: formatting changed the meaning\n--- formatted:\n{formatted}"
    );
    assert!(formatted.ends_with('\n') && !formatted.ends_with("\n\n"), "{name}");
    assert!(
        !formatted.contains(" \n") || formatted.contains("\"\"\""),
        "{name}: trailing whitespace"
    );
    true
}

#[test]
fn examples_stdlib_and_ui_tests() {
    let mut formatted = 0;
    let mut refused = 0;
    let mut compiled = 0;
    for dir in ["examples", "stdlib", "tests/ui"] {
        for path in release_files(dir) {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            if check(&name, &text) {
                formatted += 1;
                compiled += usize::from(!relc::compile(&name, &text).has_errors());
            } else {
                refused += 1;
            }
        }
    }
    assert!(formatted > 100, "{formatted} formatted");
    assert!(compiled > 10, "{compiled} compiled without errors");
    assert!(refused > 10, "{refused} refused");
}

#[test]
fn docs_language_blocks() {
    let doc = std::fs::read_to_string("docs/language.md").unwrap();
    let mut n = 0;
    for (k, block) in doc.split("```release\n").skip(1).enumerate() {
        let code = block.split("\n```").next().unwrap();
        let name = format!("docs/language.md#{k}.release");
        n += usize::from(check(&name, code));
    }
    assert!(n > 20, "{n} blocks formatted");
}

#[test]
fn examples_are_formatted() {
    // Set by the reformat of examples/ and stdlib/; a new file is formatted too.
    for dir in ["examples", "stdlib"] {
        for path in release_files(dir) {
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(
                format(&text).unwrap(),
                text,
                "{} is not formatted: run `relc fmt {}`",
                path.display(),
                Path::new(dir).display()
            );
        }
    }
}

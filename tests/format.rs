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
    assert_eq!(
        format(&formatted).unwrap(),
        formatted,
        "{name}: not idempotent"
    );
    let after = relc::compile(name, &formatted);
    assert_eq!(
        meaning(&after, name),
        meaning(&before, name),
        "{name}: formatting changed the meaning\n--- formatted:\n{formatted}"
    );
    assert!(
        formatted.ends_with('\n') && !formatted.ends_with("\n\n"),
        "{name}"
    );
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
    for dir in ["examples", "examples/invalid", "stdlib", "tests/ui"] {
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
    for dir in ["examples", "examples/invalid", "stdlib"] {
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

/// A fresh directory with a `.relc-root`, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("relc-fmt-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(".relc-root"), "").unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, text: &str) {
        std::fs::write(self.0.join(name), text).unwrap();
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.join(name)).unwrap()
    }

    /// relc's exit code and its stdout and stderr together.
    fn relc(&self, args: &[&str]) -> (i32, String) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_relc"))
            .args(args)
            .current_dir(&self.0)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap(), text)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const MESSY: &str = "stage Build{\n\n\n   job J   {script \"make\"   }\n}";
const TIDY: &str = "stage Build {\n\n  job J { script \"make\" }\n}\n";

#[test]
fn cli_check_writes_nothing_and_fmt_rewrites() {
    let s = Scratch::new("check");
    s.file("a.release", MESSY);
    s.file("b.release", TIDY);
    let (code, out) = s.relc(&["fmt", "--check", "."]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("would reformat ./a.release"), "{out}");
    assert!(!out.contains("b.release"), "{out}");
    assert!(out.contains("-   job J   {script \"make\"   }"), "{out}");
    assert!(out.contains("+  job J { script \"make\" }"), "{out}");
    assert_eq!(s.read("a.release"), MESSY);
    let (code, out) = s.relc(&["fmt", "."]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(s.read("a.release"), TIDY);
    assert_eq!(s.relc(&["fmt", "--check", "a.release", "b.release"]).0, 0);
}

#[test]
fn cli_refuses_a_file_that_does_not_parse() {
    let s = Scratch::new("broken");
    let broken = "stage  \"no name\" {\n   job J { script \"x\" }\n}\n";
    s.file("broken.release", broken);
    s.file("fine.release", MESSY);
    let (code, out) = s.relc(&["fmt", "broken.release", "fine.release"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("E001") && out.contains("not formatted"),
        "{out}"
    );
    assert_eq!(s.read("broken.release"), broken);
    // The others are still formatted.
    assert_eq!(s.read("fine.release"), TIDY);
}

/// The layout does not depend on the layout written: every example, stdlib
/// file and UI test, with every line's indentation removed and its spaces
/// doubled outside strings, trailing spaces added and blank lines tripled, formats to the same text (files with `"""` blocks,
/// block comments or strings with runs of spaces are skipped: there, such an
/// edit could change the text itself).
#[test]
fn layout_does_not_depend_on_the_layout_written() {
    let mut n = 0;
    for dir in ["examples", "examples/invalid", "stdlib", "tests/ui"] {
        for path in release_files(dir) {
            let text = std::fs::read_to_string(&path).unwrap();
            if text.contains("\"\"\"") || text.contains("/*") || text.contains("  \"") {
                continue;
            }
            let Ok(canonical) = format(&text) else {
                continue;
            };
            if has_syntax_error(&relc::compile(&path.display().to_string(), &text)) {
                continue;
            }
            let messy: String = text
                .lines()
                .map(|l| {
                    let l = l.trim_start();
                    // Double the spaces outside quotes and comments.
                    let (code, rest) = match l.find(['"', '\'', '/']) {
                        Some(i) => l.split_at(i),
                        None => (l, ""),
                    };
                    format!("\t{}{rest}   \n", code.replace(' ', "  "))
                })
                .collect::<String>()
                .replace("\n\t   \n", "\n\n\n\n");
            assert_eq!(format(&messy).unwrap(), canonical, "{}", path.display());
            n += 1;
        }
    }
    assert!(n > 50, "{n} files");
}

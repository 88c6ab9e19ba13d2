//! Nesting of every construct, shallow and deep, through the real binary.
//!
//! The parser and every later phase recurse over nested brackets, so relc
//! bounds nesting before parsing. This test nests each construct that can nest
//! (inside comments and strings too, which must not count) at the limit and far
//! beyond it, and runs `relc check` on each input as a separate process: a
//! stack overflow aborts that process and fails the case by name, instead of
//! taking the test harness down. Deep inputs must be refused with a syntax
//! error; inputs at the limit, and brackets inside comments and strings, must
//! be accepted (other diagnostics about them are fine).

use std::process::Command;

/// Brackets the language allows (`MAX_NESTING` in `src/syntax/error.rs`).
const LIMIT: usize = 100;

/// A construct: the text before the hole at each level, the text after it, the
/// innermost text, and a frame around the whole nest. `outer` is how many
/// brackets the frame itself opens around the hole.
struct Construct {
    name: &'static str,
    open: &'static str,
    close: &'static str,
    inner: &'static str,
    frame: &'static str,
    outer: usize,
}

const CONSTRUCTS: &[Construct] = &[
    Construct {
        name: "parentheses in a condition",
        open: "(",
        close: ")",
        inner: "true",
        frame: "stage S { when HOLE  job J { script \"x\" } }",
        outer: 1,
    },
    Construct {
        name: "negated parentheses",
        open: "!(",
        close: ")",
        inner: "true",
        frame: "stage S { when !!HOLE  job J { script \"x\" } }",
        outer: 1,
    },
    Construct {
        name: "function calls",
        open: "not(",
        close: ")",
        inner: "true",
        frame: "stage S { when HOLE  job J { script \"x\" } }",
        outer: 1,
    },
    Construct {
        name: "indexing",
        open: "variables[",
        close: "]",
        inner: "'x'",
        frame: "var x = \"y\"\nstage S { when HOLE == 'y'  job J { script \"x\" } }",
        outer: 1,
    },
    Construct {
        name: "lists in a variable",
        open: "[",
        close: "]",
        inner: "\"a\"",
        frame: "var v = HOLE\nstage S { job J { script \"$(v)\" } }",
        outer: 0,
    },
    Construct {
        name: "objects in a task input",
        open: "{ a = ",
        close: " }",
        inner: "\"b\"",
        frame: "stage S { job J { task Foo@1 { x = HOLE } } }",
        outer: 3,
    },
    Construct {
        name: "lists as a template argument",
        open: "[",
        close: "]",
        inner: "\"a\"",
        frame: "template t(a: string) { job J { script \"x\" } }\nstage S { use t(HOLE) }",
        outer: 2,
    },
    Construct {
        name: "objects in a gate",
        open: "{ a = ",
        close: " }",
        inner: "\"b\"",
        frame: "gate g = http HOLE\nstage S { gate g  job J { script \"x\" } }",
        outer: 0,
    },
    Construct {
        name: "lists in an environment",
        open: "[",
        close: "]",
        inner: "\"a\"",
        frame: "environment e { a = HOLE }\nstage S { deployment D to e { script \"x\" } }",
        outer: 1,
    },
    Construct {
        name: "jobs in jobs",
        open: "job J { ",
        close: " }",
        inner: "script \"x\"",
        frame: "stage S { HOLE }",
        outer: 1,
    },
    Construct {
        name: "comment with a quote before parentheses",
        open: "/* ' */ (",
        close: ")",
        inner: "true",
        frame: "stage S { when HOLE  job J { script \"x\" } }",
        outer: 1,
    },
    Construct {
        name: "raw block with brackets before parentheses",
        open: "(",
        close: ")",
        inner: "true",
        frame: "var r = \"\"\" ((( [[ {{ \"\"\"\nstage S { when HOLE  job J { script \"$(r)\" } }",
        outer: 1,
    },
];

fn nest(c: &Construct, depth: usize) -> String {
    let mut hole = String::with_capacity(depth * (c.open.len() + c.close.len()) + 16);
    for _ in 0..depth {
        hole.push_str(c.open);
    }
    hole.push_str(c.inner);
    for _ in 0..depth {
        hole.push_str(c.close);
    }
    c.frame.replace("HOLE", &hole)
}

struct Outcome {
    code: Option<i32>,
    stderr: String,
}

impl Outcome {
    fn refused_for_nesting(&self) -> bool {
        self.stderr.contains("E001")
            && (self.stderr.contains("nest more than") || self.stderr.contains("nests too deeply"))
    }

    /// The messages and any panic, without the (possibly huge) snippets.
    fn summary(&self) -> String {
        self.stderr
            .lines()
            .filter(|l| {
                l.contains('×')
                    || l.contains("panicked")
                    || l.starts_with('E')
                    || l.starts_with('W')
            })
            .map(|l| l.chars().take(200).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn check(name: &str, text: &str) -> Outcome {
    let dir = std::env::temp_dir().join(format!("relc-nesting-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}.release", name.replace(' ', "-")));
    std::fs::write(&file, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_relc"))
        .args(["--color", "never", "check"])
        .arg(&file)
        .output()
        .expect("relc runs");
    let _ = std::fs::remove_file(&file);
    Outcome {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn nesting_at_the_limit_is_accepted_and_beyond_it_refused_in_every_construct() {
    let mut failures = Vec::new();
    for c in CONSTRUCTS {
        let shallow = check(c.name, &nest(c, LIMIT - c.outer));
        if shallow.code.is_none_or(|code| code > 1) || shallow.refused_for_nesting() {
            failures.push(format!(
                "{} at the limit was refused or crashed: exit {:?}\n{}",
                c.name,
                shallow.code,
                shallow.summary()
            ));
        }
        for depth in [LIMIT + 1, 2_000, 100_000] {
            let deep = check(c.name, &nest(c, depth));
            if deep.code != Some(1) || !deep.refused_for_nesting() {
                failures.push(format!(
                    "{} nested {depth} deep: exit {:?}, expected a syntax error about nesting\n{}",
                    c.name,
                    deep.code,
                    deep.summary()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Chains that are long but not nested: `!` and accessors build deep trees
/// without brackets, `&&`, `+` and gate sums build long flat lists.
#[test]
fn long_chains_are_refused_or_accepted_without_crashing() {
    let n = 100_000;
    let cases = [
        (
            "not chain",
            format!(
                "stage S {{ when {}true  job J {{ script \"x\" }} }}",
                "!\n".repeat(n)
            ),
            false,
        ),
        (
            "accessor chain",
            format!(
                "stage S {{ when variables{} == 'x'  job J {{ script \"x\" }} }}",
                ".a\n".repeat(n)
            ),
            false,
        ),
        (
            "nots inside parentheses",
            format!(
                "stage S {{ when {}true{}  job J {{ script \"x\" }} }}",
                format!("{}(", "!".repeat(90)).repeat(90),
                ")".repeat(90)
            ),
            false,
        ),
        (
            "and chain",
            format!(
                "stage S {{ when {}true  job J {{ script \"x\" }} }}",
                "true &&\n".repeat(n)
            ),
            true,
        ),
        (
            "text sum",
            format!(
                "stage S {{ job J {{ script {}\"a\" }} }}",
                "\"a\" +\n".repeat(n)
            ),
            true,
        ),
        (
            "brackets in comments and strings",
            format!(
                "// {}\n/* {} */\nvar v = \"{}\"\nvar w = '{}'\nvar r = \"\"\"\n{}\n\"\"\"\nstage S {{ job J {{ script \"$(v)$(w)$(r)\" }} }}",
                "(".repeat(n),
                "[{(".repeat(n),
                "{".repeat(n),
                "(".repeat(n),
                "[".repeat(n)
            ),
            true,
        ),
    ];
    let mut failures = Vec::new();
    for (name, text, accepted) in &cases {
        let out = check(name, text);
        let ok = if *accepted {
            out.code == Some(0)
        } else {
            out.code == Some(1) && out.refused_for_nesting()
        };
        if !ok {
            failures.push(format!(
                "{name}: exit {:?}, expected {}\n{}",
                out.code,
                if *accepted {
                    "acceptance"
                } else {
                    "a nesting error"
                },
                out.summary()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

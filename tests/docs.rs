//! The language reference stays true: every ```` ```release ```` block of
//! `docs/language.md` is a whole `.release` file that must compile without
//! errors (warnings are allowed) and emit YAML. Blocks tagged
//! ```` ```release fragment ```` are pieces of a file and are skipped.
//!
//! A failure names the line of the block in `docs/language.md` and shows the
//! diagnostics as `relc check` would, at their lines in the document.

use relc::diagnostic::Severity;
use std::path::Path;

const DOC: &str = "docs/language.md";
/// The reference promises an example for every construct; far fewer than this
/// means the extraction below has stopped finding them.
const MIN_BLOCKS: usize = 15;

/// A fenced block of the document: the 1-based line of its opening fence, its
/// info string (`release`, `release fragment`, `yaml`, …) and its text.
struct Block {
    line: usize,
    info: String,
    text: String,
}

fn read_doc() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every fenced block (```` ``` ```` fences, as the document uses), in order.
fn blocks(doc: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in doc.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    open = Some(Block {
                        line: i + 1,
                        info: info.trim().to_string(),
                        text: String::new(),
                    });
                }
            }
            Some(block) => {
                if trimmed.trim_end() == "```" {
                    out.push(open.take().expect("a block is open"));
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                }
            }
        }
    }
    if let Some(b) = open {
        panic!("{DOC}:{}: the ```{} block is never closed", b.line, b.info);
    }
    out
}

/// The blocks that must compile: tagged exactly `release`.
fn release_blocks() -> Vec<Block> {
    blocks(&read_doc())
        .into_iter()
        .filter(|b| b.info == "release")
        .collect()
}

#[test]
fn every_release_block_compiles() {
    let mut failures = Vec::new();
    for b in release_blocks() {
        // Blank lines in front of the block put it at its own lines, so the
        // diagnostics point into the document itself (`docs/language.md:164:24`).
        let name = DOC.to_string();
        let text = "\n".repeat(b.line) + &b.text;
        let c = relc::compile(&name, &text);
        if c.has_errors() {
            let rendered: String = c
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| relc::render::human(d, &c.sources, false))
                .collect();
            failures.push(format!(
                "{DOC}:{}: the ```release block does not compile:\n{rendered}",
                b.line
            ));
            continue;
        }
        let Some(pipeline) = c.pipeline.as_ref() else {
            failures.push(format!(
                "{DOC}:{}: no errors, but no pipeline either",
                b.line
            ));
            continue;
        };
        if let Err(e) = relc::backend::azure::emit(pipeline, &name) {
            failures.push(format!(
                "{DOC}:{}: the block compiles but its YAML cannot be written: {e}",
                b.line
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} example(s) in {DOC} are wrong:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn there_are_enough_release_blocks() {
    let n = release_blocks().len();
    assert!(
        n >= MIN_BLOCKS,
        "{DOC} has {n} ```release blocks; expected at least {MIN_BLOCKS}"
    );
}

#[test]
fn block_extraction_finds_lines_and_skips_fragments() {
    let doc = "# T\n\n```release\nstage A { job A { script \"a\" } }\n```\n\n```release fragment\nstage …\n```\n\n```yaml\nx: 1\n```\n";
    let all = blocks(doc);
    assert_eq!(
        all.iter().map(|b| b.info.as_str()).collect::<Vec<_>>(),
        ["release", "release fragment", "yaml"]
    );
    assert_eq!(all[0].line, 3);
    assert_eq!(all[0].text, "stage A { job A { script \"a\" } }\n");
    assert_eq!(all[1].line, 7);
}

/// The README's taste of the language compiles without errors or warnings.
#[test]
fn readme_example_compiles_cleanly() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let examples: Vec<Block> = blocks(&readme)
        .into_iter()
        .filter(|b| b.info == "release")
        .collect();
    assert_eq!(examples.len(), 1, "the README has one ```release example");
    let text = "\n".repeat(examples[0].line) + &examples[0].text;
    let c = relc::compile("README.md", &text);
    let problems: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| relc::render::human(d, &c.sources, false))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The README's Neovim setup is tests/nvim/init.lua, which tests/nvim/run.sh runs
/// in Neovim against `relc lsp` (the README indents it by two, inside a list item).
#[test]
fn readme_neovim_setup_is_the_one_tests_nvim_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let lua: Vec<Block> = blocks(&readme)
        .into_iter()
        .filter(|b| b.info == "lua")
        .collect();
    assert_eq!(lua.len(), 1, "the README has one ```lua block");
    let snippet: String = lua[0]
        .text
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    let init = std::fs::read_to_string(root.join("tests/nvim/init.lua")).expect("init.lua");
    assert_eq!(
        snippet, init,
        "README.md's Neovim setup and tests/nvim/init.lua differ"
    );
}

/// A ```` ```yaml ```` block right after a ```` ```release ```` block shows
/// what that block compiles to: each of its lines (but `…`, comments and
/// blank ones) is a line of the emitted YAML, in the same order.
#[test]
fn yaml_shown_after_an_example_is_what_it_compiles_to() {
    let all = blocks(&read_doc());
    let mut failures = Vec::new();
    let mut checked = 0;
    for pair in all.windows(2) {
        let (src, yaml) = (&pair[0], &pair[1]);
        if src.info != "release" || yaml.info != "yaml" {
            continue;
        }
        let c = relc::compile(DOC, &src.text);
        let Some(pipeline) = c.pipeline.as_ref() else {
            continue; // reported by every_release_block_compiles
        };
        let Ok(emitted) = relc::backend::azure::emit(pipeline, DOC);
        checked += 1;
        let emitted: Vec<&str> = emitted.lines().map(str::trim_end).collect();
        let mut at = 0;
        for line in yaml.text.lines() {
            let shown = line.trim_end();
            let bare = shown.trim();
            if bare.is_empty() || bare.starts_with('#') || bare.contains('…') {
                continue;
            }
            // Fragments may be shown at another depth: compare without the indentation.
            match emitted[at..].iter().position(|l| l.trim() == bare) {
                Some(i) => at += i + 1,
                None => {
                    failures.push(format!(
                        "{DOC}:{}: `{bare}` is not in the YAML of the block above (in this order)",
                        yaml.line
                    ));
                    break;
                }
            }
        }
    }
    assert!(
        checked >= 5,
        "only {checked} yaml blocks follow a release block"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

//! The rewrites of real pipelines in `examples/corpus/`: each names, in its
//! leading comments, the pipeline of the shared corpus it reproduces
//! (`Reproduces shared/reference/azure/<path>`), compiles without errors and
//! without warnings that are not silenced with a reason, and is formatted as
//! `relc fmt` writes it.
//!
//! That each one means what its original means is checked by `.ci/conformance.sh`
//! (both expanded by `azure_expand.py`, compared by `azure_equiv.py`), which
//! needs the shared corpus that a user's clone does not have.

use std::path::{Path, PathBuf};

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/corpus exists")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "release"))
        .collect();
    files.sort();
    files
}

/// The path under `shared/reference/azure/` that a rewrite names, if it names one.
fn reference(text: &str) -> Option<&str> {
    text.lines()
        .take_while(|l| l.trim_start().starts_with("//") || l.trim().is_empty())
        .find_map(|l| {
            let at = l.find("Reproduces shared/reference/azure/")?;
            let rest = &l[at + "Reproduces shared/reference/azure/".len()..];
            rest.split_whitespace()
                .next()
                .map(|p| p.trim_end_matches('.'))
        })
}

#[test]
fn every_rewrite_names_its_original_compiles_cleanly_and_is_formatted() {
    let files = corpus();
    assert!(!files.is_empty(), "examples/corpus holds no rewrite");
    for path in files {
        let name = format!(
            "examples/corpus/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let reference = reference(&text)
            .unwrap_or_else(|| panic!("{name}: no `Reproduces shared/reference/azure/…` header"));
        assert!(
            reference.ends_with(".yml") || reference.ends_with(".yaml"),
            "{name}: the header names {reference}, not a YAML file"
        );
        let c = relc::compile(&name, &text);
        let shown: Vec<String> = c
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.code.as_str(), d.message))
            .collect();
        assert!(
            shown.is_empty() && !c.has_errors(),
            "{name}:\n  {}",
            shown.join("\n  ")
        );
        let formatted = relc::format::format(&text)
            .unwrap_or_else(|e| panic!("{name}: cannot be formatted: {e:?}"));
        assert_eq!(
            formatted, text,
            "{name} is not formatted: run `relc fmt {name}`"
        );
    }
}

//! AFL target: one input is one `.release` file, put through every phase of relc as
//! `tests/mutations.rs` (`run_phases`) does: parse and check; `render::human` and
//! `render::json` for every diagnostic; when there is no error, serialisation of the IR,
//! `azure::emit`, a reload of the YAML with yaml-rust2 and `checks::manifest`.
//!
//! Invariants, each a panic (an AFL crash) when broken: nothing panics; every span of a
//! diagnostic (primary and related) and of the IR lies inside its file on UTF-8 character
//! boundaries; no errors implies a pipeline; a valid pipeline emits, and its YAML reads back
//! as exactly one document.
//!
//! Input bytes that are not UTF-8 are decoded lossily, so every input reaches the parser.
//! The file is named inside a directory that does not exist, so relative imports resolve to
//! nothing on disk and a run does not depend on the working directory; `std/…` imports
//! still load the standard library.

use relc::backend::{azure, checks};
use relc::render;
use relc::source::{FileId, SourceMap, Span};

const NAME: &str = "/nonexistent-relc-fuzz/input.release";

fn span_problem(s: Span, sources: &SourceMap, files: usize) -> Option<&'static str> {
    if s.file.0 as usize >= files {
        return Some("names a file that does not exist");
    }
    let text = &sources.get(s.file).text;
    let (start, end) = (s.start as usize, s.end as usize);
    if start > end {
        Some("starts after it ends")
    } else if end > text.len() {
        Some("ends past the end of the file")
    } else if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        Some("is not on a char boundary")
    } else {
        None
    }
}

/// Every `{file, start, end}` object of a serialised IR (the spans the IR carries).
fn ir_spans(v: &serde_json::Value, out: &mut Vec<Span>) {
    match v {
        serde_json::Value::Object(m) => {
            if let (3, Some(f), Some(s), Some(e)) = (
                m.len(),
                m.get("file").and_then(|v| v.as_u64()),
                m.get("start").and_then(|v| v.as_u64()),
                m.get("end").and_then(|v| v.as_u64()),
            ) {
                out.push(Span {
                    file: FileId(f as u32),
                    start: s as u32,
                    end: e as u32,
                });
                return;
            }
            m.values().for_each(|v| ir_spans(v, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| ir_spans(v, out)),
        _ => {}
    }
}

fn run_phases(text: &str) {
    let c = relc::compile(NAME, text);
    let files = c.sources.files().count();
    for d in &c.diagnostics {
        let code = d.code.as_str();
        if let Some(p) = span_problem(d.span, &c.sources, files) {
            panic!(
                "diagnostic {code} ({:?}): primary span {}..{} {p}",
                d.message, d.span.start, d.span.end
            );
        }
        for r in &d.related {
            if let Some(p) = span_problem(r.span, &c.sources, files) {
                panic!(
                    "diagnostic {code} ({:?}): related span {}..{} ({:?}) {p}",
                    d.message, r.span.start, r.span.end, r.message
                );
            }
        }
        let _ = render::human(d, &c.sources, d.span.start % 2 == 0);
        let _ = render::json(d, &c.sources);
    }
    if c.has_errors() {
        return;
    }
    let p = c
        .pipeline
        .as_ref()
        .expect("no error was reported, but there is no pipeline");
    let ir = serde_json::to_value(p).expect("serde_json failed on the IR");
    serde_json::to_string_pretty(&ir).expect("serde_json failed on the IR value");
    let mut spans = Vec::new();
    ir_spans(&ir, &mut spans);
    for s in spans {
        if let Some(pr) = span_problem(s, &c.sources, files) {
            panic!("a span of the IR, {}..{}, {pr}", s.start, s.end);
        }
    }
    let yaml = azure::emit(p, NAME)
        .unwrap_or_else(|e| panic!("azure::emit failed on a valid pipeline: {e}"));
    match yaml_rust2::YamlLoader::load_from_str(&yaml) {
        Ok(docs) if docs.len() == 1 => {}
        Ok(docs) => panic!("the YAML holds {} documents:\n{yaml}", docs.len()),
        Err(e) => panic!("yaml-rust2 cannot read the emitted YAML back: {e}\n{yaml}"),
    }
    serde_json::to_string(&checks::manifest(p, &c.sources)).expect("manifest serialisation");
}

fn main() {
    afl::fuzz!(|data: &[u8]| {
        run_phases(&String::from_utf8_lossy(data));
    });
}

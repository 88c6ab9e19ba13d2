//! Syntax: `.release` text → [`ast::File`]. The only module that knows pest.
//!
//! The file is parsed one declaration (or run of declarations) at a time,
//! cut where a line starts with a top-level keyword outside any bracket (see
//! [`error::cuts`]), so the parse tree in memory is never larger than one
//! declaration, and a syntax error costs only the declaration it is in: the
//! others are parsed and checked. A declaration that does not parse is
//! reported once, in words (never grammar rule names), and recorded in
//! [`ast::File::broken`] so that its name stays known. A `}` missing before
//! the next declaration is blamed on the `{` left open; the pieces after it
//! are found again where a line starts in the first column with a keyword
//! that only begins a declaration. Lowering the parse tree into the AST
//! reports its own problems (bad escapes) and keeps going.

mod blocks;
mod error;
mod lex;
mod lower;
mod parser;

use crate::ast;
use crate::diagnostic::Diagnostics;
use crate::source::{FileId, SourceFile, Span};
use pest::error::InputLocation;

/// The keywords that begin a declaration (`stage`, `template`, …).
pub const DECLARATION_KEYWORDS: &[&str] = error::TOP_LEVEL;

/// How many brackets are open at byte `offset` of `text`, strings and comments skipped.
pub fn nesting_at(text: &str, offset: usize) -> usize {
    lex::nesting_at(text, offset)
}

pub use blocks::{Open, block_at, keys_in};

/// Parse one file: the AST of every declaration that parsed, and the diagnostics.
/// There is no AST only when brackets nest too deep to parse at all.
pub fn parse(file: FileId, source: &SourceFile) -> (Option<ast::File>, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    let text = source.text.as_str();
    let cuts = match error::cuts(file, text) {
        Ok(cuts) => cuts,
        Err(too_deep) => {
            diagnostics.push(*too_deep);
            return (None, diagnostics);
        }
    };
    let mut ast = ast::File::default();
    let mut broken = Vec::new();
    let mut lower = lower::Lower::new(file, &mut diagnostics);
    let mut errors = Vec::new();
    let mut bounds = cuts.declarations;
    bounds.push(text.len());
    let mut resync = cuts.resync.iter().copied().peekable();
    let mut from = 0;
    let mut k = 0;
    while k < bounds.len() {
        let end = bounds[k];
        k += 1;
        if end == from {
            continue;
        }
        let err = match parser::parse_file(&text[from..end]) {
            Ok(pairs) => {
                lower.declarations(from, pairs, &mut ast);
                from = end;
                continue;
            }
            Err(err) => err,
        };
        // An odd line break may carry a declaration past a cut: the piece and the next
        // one may parse together.
        if let Some(&next) = bounds.get(k)
            && let Ok(pairs) = parser::parse_file(&text[from..next])
        {
            lower.declarations(from, pairs, &mut ast);
            from = next;
            k += 1;
            continue;
        }
        // A `{` left open swallows the declarations after it: each part from where the
        // next one most likely starts is parsed on its own.
        while resync.next_if(|&r| r <= from).is_some() {}
        let mut parts = vec![from];
        while let Some(r) = resync.next_if(|&r| r < end) {
            parts.push(r);
        }
        parts.push(end);
        let mut first_error = Some(err);
        for part in parts.windows(2) {
            let (start, stop) = (part[0], part[1]);
            let err = match first_error.take() {
                Some(err) if stop == end => err,
                _ => match parser::parse_file(&text[start..stop]) {
                    Ok(pairs) => {
                        lower.declarations(start, pairs, &mut ast);
                        continue;
                    }
                    Err(err) => err,
                },
            };
            errors.push(error::syntax_error(
                file,
                text,
                start..stop,
                shifted(*err, start),
            ));
            broken.extend(broken_declaration(file, text, start..stop));
        }
        from = end;
    }
    if let Some(stage) = lower.root_stage(&mut ast) {
        ast.stages.push(stage);
    }
    for e in errors {
        diagnostics.push(e);
    }
    ast.broken = broken;
    (Some(ast), diagnostics)
}

/// What the piece `text[piece]`, which did not parse, would declare.
fn broken_declaration(
    file: FileId,
    text: &str,
    piece: std::ops::Range<usize>,
) -> Option<ast::Broken> {
    let (keyword, name) = error::declared(&text[piece.clone()], piece.start)?;
    Some(ast::Broken {
        keyword,
        name: name.map(|(s, e)| ast::Name {
            text: text[s..e].to_string(),
            span: Span::new(file, s, e),
        }),
        span: Span::new(file, piece.start, piece.end),
    })
}

/// `err`, found in a piece that starts at `offset`, with positions in the whole text.
fn shifted(
    mut err: pest::error::Error<parser::Rule>,
    offset: usize,
) -> pest::error::Error<parser::Rule> {
    err.location = match err.location {
        InputLocation::Pos(p) => InputLocation::Pos(offset + p),
        InputLocation::Span((s, e)) => InputLocation::Span((offset + s, offset + e)),
    };
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file parsed in one piece, as before it was cut into declarations.
    fn whole(text: &str) -> (Option<ast::File>, Vec<String>) {
        let mut diagnostics = Diagnostics::new();
        let ast = match parser::parse_file(text) {
            Ok(pairs) => {
                let mut ast = ast::File::default();
                let mut lower = lower::Lower::new(FileId(0), &mut diagnostics);
                lower.declarations(0, pairs, &mut ast);
                if let Some(stage) = lower.root_stage(&mut ast) {
                    ast.stages.push(stage);
                }
                Some(ast)
            }
            Err(err) => {
                diagnostics.push(error::syntax_error(FileId(0), text, 0..text.len(), *err));
                None
            }
        };
        (ast, render(diagnostics))
    }

    fn render(d: Diagnostics) -> Vec<String> {
        d.into_sorted()
            .iter()
            .map(|d| format!("{:?} {:?} {} {:?}", d.code, d.span, d.message, d.help))
            .collect()
    }

    fn pieces(text: &str) -> (Option<ast::File>, Vec<String>) {
        let (ast, d) = parse(FileId(0), &SourceFile::new("t.release", text));
        (ast, render(d))
    }

    #[test]
    fn cutting_into_declarations_parses_every_example_and_ui_input_as_one_piece_does() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut seen = 0;
        for dir in ["examples", "examples/invalid", "tests/ui", "stdlib"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                if path.extension().is_some_and(|x| x == "release") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
                    // Files that parse: cutting changes nothing.
                    if whole(text).0.is_some() {
                        assert_eq!(pieces(text), whole(text), "{}", path.display());
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen > 80, "only {seen} files");
    }

    #[test]
    fn a_declaration_carried_past_a_cut_by_a_line_break_still_parses() {
        let cases = [
            // `stage` is a reference here, the value of `x`.
            "var x =\nstage\nstage A { job J { script \"x\" } }\n",
            "gate g = when a ==\nstage\nstage A { job J { script \"x\" } }\n",
            "// comment\nstage A { job J { script \"\"\"\nstage B {\n\"\"\" } }\nstage C { job J { script 'x' } }",
            "\u{feff}stage A { job J { script \"x\" } }\n  stage B { job J { script \"x\" } }",
        ];
        for text in cases {
            assert_eq!(pieces(text), whole(text), "{text:?}");
        }
        assert!(pieces(cases[0]).0.is_some());
    }
}

//! Syntax: `.release` text → [`ast::File`]. The only module that knows pest.
//!
//! The file is parsed one declaration (or run of declarations) at a time,
//! cut where a line starts with a top-level keyword outside any bracket, so
//! the parse tree in memory is never larger than one declaration. Parsing
//! stops at the first syntax error (pest has no recovery); the error names
//! what was expected in words. Lowering the parse tree into the AST reports
//! its own problems (bad escapes) and keeps going.

mod error;
mod lower;
mod parser;

use crate::ast;
use crate::diagnostic::Diagnostics;
use crate::source::{FileId, SourceFile};
use pest::error::InputLocation;

/// Parse one file. On a syntax error the diagnostics hold it and there is no AST.
pub fn parse(file: FileId, source: &SourceFile) -> (Option<ast::File>, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    let text = source.text.as_str();
    let mut ast = ast::File::default();
    let mut lower = lower::Lower::new(file, &mut diagnostics);
    let mut cuts = match error::declaration_starts(file, text) {
        Ok(cuts) => cuts,
        Err(too_deep) => {
            diagnostics.push(*too_deep);
            return (None, diagnostics);
        }
    };
    cuts.push(text.len());
    let mut from = 0;
    for end in cuts {
        if end == from {
            continue;
        }
        match parser::parse_file(&text[from..end]) {
            Ok(pairs) => lower.declarations(from, pairs, &mut ast),
            // A piece that does not parse alone is parsed with everything after it, as the
            // whole file would be (an odd line break may carry a declaration past a cut):
            // that parse, and its error, are the authority.
            Err(_) => match parser::parse_file(&text[from..]) {
                Ok(pairs) => {
                    lower.declarations(from, pairs, &mut ast);
                    break;
                }
                Err(mut err) => {
                    err.location = match err.location {
                        InputLocation::Pos(p) => InputLocation::Pos(from + p),
                        InputLocation::Span((s, e)) => InputLocation::Span((from + s, from + e)),
                    };
                    diagnostics.push(error::syntax_error(file, text, *err));
                    return (None, diagnostics);
                }
            },
        }
        from = end;
    }
    (Some(ast), diagnostics)
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
                lower::Lower::new(FileId(0), &mut diagnostics).declarations(0, pairs, &mut ast);
                Some(ast)
            }
            Err(err) => {
                diagnostics.push(error::syntax_error(FileId(0), text, *err));
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
                    if error::declaration_starts(FileId(0), text).is_ok() {
                        assert_eq!(pieces(text), whole(text), "{}", path.display());
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen > 100, "only {seen} files");
    }

    #[test]
    fn a_declaration_carried_past_a_cut_by_a_line_break_still_parses() {
        let cases = [
            // `stage` is a reference here, the value of `x`.
            "var x =\nstage\nstage A { job J { script \"x\" } }\n",
            "gate g = when a ==\nstage\nstage A { job J { script \"x\" } }\n",
            "// comment\nstage A { job J { script \"\"\"\nstage B {\n\"\"\" } }\nstage C { job J { script 'x' } }",
            "stage A { job J { script \"x\" }\nstage B { }",
            "stage A { job J { script \"x\" } }\nstage B after { }\nstage C { }",
            "\u{feff}stage A { job J { script \"x\" } }\n  stage B { job J { script \"x\" } }",
        ];
        for text in cases {
            assert_eq!(pieces(text), whole(text), "{text:?}");
        }
        assert!(pieces(cases[0]).0.is_some());
    }
}

//! Syntax: `.release` text → [`ast::File`]. The only module that knows pest.
//!
//! Parsing stops at the first syntax error (pest has no recovery); the error
//! names what was expected in words. Lowering the parse tree into the AST
//! reports its own problems (bad escapes) and keeps going.

mod error;
mod lower;
mod parser;

use crate::ast;
use crate::diagnostic::Diagnostics;
use crate::source::{FileId, SourceFile};

/// Parse one file. On a syntax error the diagnostics hold it and there is no AST.
pub fn parse(file: FileId, source: &SourceFile) -> (Option<ast::File>, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    if let Some(d) = error::too_deep(file, &source.text) {
        diagnostics.push(d);
        return (None, diagnostics);
    }
    match parser::parse_file(&source.text) {
        Ok(pairs) => {
            let ast = lower::lower_file(file, pairs, &mut diagnostics);
            (Some(ast), diagnostics)
        }
        Err(err) => {
            diagnostics.push(error::syntax_error(file, &source.text, *err));
            (None, diagnostics)
        }
    }
}

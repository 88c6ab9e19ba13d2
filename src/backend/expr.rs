//! Printing conditions in Azure's expression syntax.

use crate::check::functions;
use crate::ir::{Expr, ExprKind};

/// Beyond this width a condition is broken over lines, one argument per line.
const WIDTH: usize = 80;

/// Azure's text for an expression, on one line.
pub fn to_azure(e: &Expr) -> String {
    let mut out = String::new();
    write_flat(e, &mut out);
    out
}

/// Azure's text for a template expression (`${{ if … }}`), where a runtime
/// parameter is read as `parameters.NAME` rather than substituted into text.
pub fn to_azure_template(e: &Expr) -> String {
    let mut out = String::new();
    write_in(e, Mode::Template, &mut out);
    out
}

/// Where an expression is written: a run-time condition, or a template expression.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Condition,
    Template,
}

/// Azure's text for a condition: one line if it fits, otherwise the outer
/// calls broken over lines the way the reference pipeline writes them.
pub fn to_azure_pretty(e: &Expr) -> String {
    let mut out = String::new();
    write_pretty(e, 0, &mut out);
    out
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn number(n: f64) -> String {
    crate::check::format_number(n)
}

fn write_flat(e: &Expr, out: &mut String) {
    write_in(e, Mode::Condition, out)
}

fn write_in(e: &Expr, mode: Mode, out: &mut String) {
    match &e.kind {
        ExprKind::Str(s) => out.push_str(&quote(s)),
        ExprKind::Number(n) => out.push_str(&number(*n)),
        ExprKind::Version(v) => out.push_str(v),
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Variable(v) => {
            out.push_str("variables[");
            out.push_str(&quote(v));
            out.push(']');
        }
        ExprKind::Context(c) => out.push_str(c),
        // Azure substitutes the value as text before evaluating: quoted unless it
        // is a number or a boolean (`True`/`False` are literals of conditions).
        ExprKind::Parameter(p) if mode == Mode::Template => {
            out.push_str("parameters.");
            out.push_str(p);
        }
        ExprKind::Parameter(p) => match e.ty {
            crate::ir::Type::Number | crate::ir::Type::Bool => {
                out.push_str("${{ parameters.");
                out.push_str(p);
                out.push_str(" }}");
            }
            _ => {
                out.push_str("'${{ parameters.");
                out.push_str(p);
                out.push_str(" }}'");
            }
        },
        ExprKind::Property(base, name) => {
            write_in(base, mode, out);
            out.push('.');
            out.push_str(name);
        }
        ExprKind::Index(base, index) => {
            write_in(base, mode, out);
            out.push('[');
            write_in(index, mode, out);
            out.push(']');
        }
        ExprKind::Call(name, args) => {
            out.push_str(canonical(name));
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_in(a, mode, out);
            }
            out.push(')');
        }
    }
}

fn canonical(name: &str) -> &str {
    functions::lookup(name).map_or(name, |f| f.name)
}

fn write_pretty(e: &Expr, indent: usize, out: &mut String) {
    let flat = to_azure(e);
    match &e.kind {
        ExprKind::Call(name, args) if flat.len() + indent > WIDTH && !args.is_empty() => {
            out.push_str(canonical(name));
            out.push_str("(\n");
            for (i, a) in args.iter().enumerate() {
                out.push_str(&" ".repeat(indent + 2));
                write_pretty(a, indent + 2, out);
                if i + 1 < args.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&" ".repeat(indent));
            out.push(')');
        }
        _ => out.push_str(&flat),
    }
}

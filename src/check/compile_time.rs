//! Compile-time `if`: `if parameters.env == "prod" { … } else { … }` keeps or
//! drops items before the run, as Azure's `${{ if }}` does.
//!
//! A condition is decided here when it can be: literals and template
//! parameters fold, and only the chosen branch is expanded (as if the other
//! were not written). A condition that reads a runtime parameter is decided
//! by Azure when the run is queued: every branch is checked, and each job and
//! step built inside one carries its guard (the conjunction of the conditions
//! in force, `not(…)` of the earlier ones for a later branch), which the YAML
//! writes as `${{ if … }}` and `relc run` evaluates once parameters are bound.
//!
//! Invariant: [`Checker::guard`] is the conjunction of `guards`, the stack of
//! undecided conditions around the item being built; it is empty outside any
//! runtime-parameter `if`.

use super::{Checker, Scope};
use crate::ast;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Expr, ExprKind, Type};

impl<'a> Checker<'a> {
    /// Expand `item` with `branch`, called for each branch that may be taken:
    /// the one a decided condition picks, or every branch under its guard.
    pub(crate) fn compile_time_if(
        &mut self,
        item: &'a ast::If,
        scope: &mut Scope,
        mut branch: impl FnMut(&mut Self, &'a ast::Body, &mut Scope),
    ) {
        // Conditions of earlier branches, undecided; a later branch runs when none held.
        let mut earlier: Vec<Expr> = Vec::new();
        for (condition, body) in &item.branches {
            let decided = match condition {
                None => None,
                Some(c) => match self.compile_time_condition(c, scope) {
                    Decided::Known(false) => continue,
                    Decided::Known(true) => Some(true),
                    Decided::Unknown(e) => {
                        let mut guard = earlier.iter().map(negate).collect::<Vec<_>>();
                        guard.push(e.clone());
                        earlier.push(e);
                        self.with_guards(guard, body, scope, &mut branch);
                        continue;
                    }
                },
            };
            if earlier.is_empty() {
                // Decided, or an `else` that nothing undecided came before: expand as written.
                branch(self, body, scope);
            } else {
                let guard = earlier.iter().map(negate).collect();
                self.with_guards(guard, body, scope, &mut branch);
            }
            if decided == Some(true) || condition.is_none() {
                // A true branch (or the `else`) is the last that can be taken.
                return;
            }
        }
    }

    fn with_guards(
        &mut self,
        guard: Vec<Expr>,
        body: &'a ast::Body,
        scope: &mut Scope,
        branch: &mut impl FnMut(&mut Self, &'a ast::Body, &mut Scope),
    ) {
        let depth = self.guards.len();
        self.guards.extend(guard);
        // The first setting or variable of the branch: neither can depend on a
        // runtime parameter yet.
        let conditional = body.settings.first().map(|s| s.key.span).or_else(|| {
            body.items.iter().find_map(|i| match i {
                ast::Item::Var(ast::VarDecl::Var { name, .. } | ast::VarDecl::Secret { name }) => {
                    Some(name.span)
                }
                ast::Item::Var(ast::VarDecl::Group { value }) => Some(value.span),
                _ => None,
            })
        });
        if let Some(at) = conditional {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    at,
                    "settings and variables cannot depend on a runtime parameter yet",
                )
                .label("inside an `if` on a runtime parameter")
                .help("put jobs and steps inside the `if`; choose a setting's value with a template parameter, or with `when` at run time"),
            );
        }
        branch(self, body, scope);
        self.guards.truncate(depth);
    }

    /// The guard of a job or step built now: `None` outside undecided `if`s.
    pub(crate) fn guard(&self) -> Option<Expr> {
        match self.guards.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            all => Some(Expr::call("and", all.to_vec(), all[0].span)),
        }
    }

    fn compile_time_condition(&mut self, e: &ast::Expr, scope: &Scope) -> Decided {
        let out = self.expr(e, scope);
        match out.ty {
            Type::Bool | Type::Any => {}
            _ => {
                self.diags.push(
                    Diagnostic::error(Code::NotBoolean, e.span, "an `if` needs a condition")
                        .label("not true or false")
                        .help("compare it: `parameters.env == \"prod\"`"),
                );
                return Decided::Known(false);
            }
        }
        if let Some(what) = run_time_part(&out) {
            self.diags.push(
                Diagnostic::error(
                    Code::NotInContext,
                    what.span,
                    "an `if` is decided before the run, and this is known only during it",
                )
                .label("known only at run time")
                .help("`if` reads template and runtime parameters; for what the run decides (variables, results, dependencies) write `when` on the job or step"),
            );
            return Decided::Known(false);
        }
        match ir::eval::eval(&out, &ir::eval::CompileTime) {
            Some(v) => Decided::Known(v.truthy()),
            None => Decided::Unknown(out),
        }
    }
}

enum Decided {
    Known(bool),
    /// Reads a runtime parameter: Azure decides when the run is queued.
    Unknown(Expr),
}

fn negate(e: &Expr) -> Expr {
    Expr::call("not", vec![e.clone()], e.span)
}

/// The first part of `e` that only the run knows: a variable, a context, a status function.
fn run_time_part(e: &Expr) -> Option<&Expr> {
    match &e.kind {
        ExprKind::Variable(_) | ExprKind::Context(_) => Some(e),
        ExprKind::Call(name, args) => {
            if crate::check::functions::is_status(name) {
                return Some(e);
            }
            args.iter().find_map(run_time_part)
        }
        ExprKind::Property(b, _) => run_time_part(b),
        ExprKind::Index(b, i) => run_time_part(b).or_else(|| run_time_part(i)),
        _ => None,
    }
}

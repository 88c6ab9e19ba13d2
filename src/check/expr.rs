//! Conditions: [`ast::Expr`] → typed [`ir::Expr`] in Azure's function form.
//!
//! Infix operators become Azure functions (`==` → `eq`, `&&` → `and`), names
//! resolve to variables or contexts, and the types follow Azure's coercion
//! rules (SEMANTICS.md §3.4): the left operand of a comparison decides how the
//! right one is converted, variables are strings, `Build.Reason` and results
//! are strings from known sets.

use super::functions::{self, Kind, REASONS, RESULTS};
use super::{Checker, ParamValue, Scope};
use crate::ast::{self, ExprKind as A};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::eval::{self, Value};
use crate::ir::{Expr, ExprKind, Type};
use crate::source::Span;

/// Shorthands for the predefined variables conditions use most.
pub const SHORTHANDS: &[(&str, &str)] = &[
    ("branch", "Build.SourceBranchName"),
    ("source_branch", "Build.SourceBranch"),
    ("reason", "Build.Reason"),
];

/// Namespaces of Azure's predefined variables.
pub const NAMESPACES: &[&str] = &[
    "Build",
    "System",
    "Agent",
    "Environment",
    "Strategy",
    "Release",
    "Pipeline",
    "Resources",
    "Common",
    "TF_BUILD",
];

const CONTEXTS: &[&str] = &["dependencies", "stageDependencies", "pipeline"];

pub fn predefined_type(name: &str) -> Type {
    if name.eq_ignore_ascii_case("Build.Reason") {
        Type::Reason
    } else if name.eq_ignore_ascii_case("Agent.JobStatus") {
        Type::Result
    } else {
        Type::String
    }
}

pub fn is_predefined(name: &str) -> bool {
    let head = name.split('.').next().unwrap_or("");
    name.contains('.') && NAMESPACES.iter().any(|n| n.eq_ignore_ascii_case(head))
}

fn lit(kind: ExprKind, ty: Type, span: Span) -> Expr {
    Expr { kind, ty, span }
}

impl Checker<'_> {
    /// Lower a condition; reports a non-boolean result.
    pub(super) fn condition(&mut self, e: &ast::Expr, scope: &Scope) -> Expr {
        let out = self.expr(e, scope);
        self.expect_bool(&out, "a condition");
        // A template parameter makes a condition a compile-time switch on purpose:
        // it is decided here, and Azure sees `true` or `false`.
        if mentions_param(e, scope) {
            if let Some(value) = constant(&out) {
                return lit(ExprKind::Bool(value.truthy()), Type::Bool, out.span);
            }
            return out;
        }
        if let Some(value) = constant(&out) {
            let (message, help) = if value.truthy() {
                (
                    "this condition is always true",
                    "it does not depend on the run; remove it",
                )
            } else {
                (
                    "this condition is always false, so what it guards never runs",
                    "it does not depend on the run; remove what it guards, or compare a variable",
                )
            };
            self.diags.push(
                Diagnostic::warning(Code::ConstantCondition, e.span, message)
                    .label("the same on every run")
                    .help(help),
            );
        }
        out
    }

    fn expect_bool(&mut self, e: &Expr, what: &str) {
        let (kind, help) = match e.ty {
            Type::Bool | Type::Any => return,
            Type::String | Type::Reason | Type::Result => (
                "text",
                "Azure treats every non-empty text as true, 'false' and 'False' included; compare it: \
                 `x == \"true\"`, or write Azure's meaning out: `x != \"\"`",
            ),
            Type::Number => ("a number", "compare it with another number, e.g. `x > 0`"),
            Type::Version => (
                "a version",
                "compare it with another version, e.g. `Agent.Version >= 2.200.0`",
            ),
            Type::Object => ("an object", "compare one of its values instead"),
        };
        self.diags.push(
            Diagnostic::error(
                Code::NotBoolean,
                e.span,
                format!("{what} must be true or false, but this is {kind}"),
            )
            .label(format!("this is {kind}"))
            .help(help),
        );
    }

    pub(super) fn expr(&mut self, e: &ast::Expr, scope: &Scope) -> Expr {
        let span = e.span;
        match &e.kind {
            A::Str(s) => {
                self.check_azure_syntax(s, span);
                lit(ExprKind::Str(s.clone()), Type::String, span)
            }
            A::Number(n) => lit(ExprKind::Number(*n), Type::Number, span),
            A::Version(v) => lit(ExprKind::Version(v.clone()), Type::Version, span),
            A::Bool(b) => lit(ExprKind::Bool(*b), Type::Bool, span),
            A::Ident(name) => self.ident(name, span, scope),
            A::Field { base, name } => self.field(base, name, span, scope),
            A::Index { base, index } => {
                let index_ir = self.expr(index, scope);
                if let A::Ident(root) = &base.kind
                    && root == "variables"
                {
                    if let ExprKind::Str(var) = &index_ir.kind {
                        return self.variable_ref(var, index.span, span, scope);
                    }
                    return lit(
                        ExprKind::Index(
                            Box::new(context("variables", base.span)),
                            Box::new(index_ir),
                        ),
                        Type::String,
                        span,
                    );
                }
                let base_ir = self.expr(base, scope);
                lit(
                    ExprKind::Index(Box::new(base_ir), Box::new(index_ir)),
                    Type::Any,
                    span,
                )
            }
            A::Not(inner) => {
                let inner = self.expr(inner, scope);
                self.expect_bool(&inner, "the operand of `!`");
                Expr::call("not", vec![inner], span)
            }
            A::Logical { op, operands } => {
                let name = op.function();
                let mut args = Vec::new();
                for side in operands {
                    let x = self.expr(side, scope);
                    self.expect_bool(
                        &x,
                        &format!(
                            "an operand of `{}`",
                            if name == "and" { "&&" } else { "||" }
                        ),
                    );
                    match x.kind {
                        ExprKind::Call(n, inner) if n == name => args.extend(inner),
                        _ => args.push(x),
                    }
                }
                Expr::call(name, args, span)
            }
            A::Binary { op, lhs, rhs } => {
                let args = vec![self.expr(lhs, scope), self.expr(rhs, scope)];
                self.compare(op.function(), &args, span);
                Expr::call(op.function(), args, span)
            }
            A::In { negated, lhs, list } => {
                let mut args = vec![self.expr(lhs, scope)];
                args.extend(list.iter().map(|x| self.expr(x, scope)));
                let name = if *negated { "notIn" } else { "in" };
                if list.is_empty() {
                    self.diags.push(
                        Diagnostic::error(
                            Code::Arity,
                            span,
                            format!(
                                "`{}` needs at least one value to compare with",
                                if *negated { "not in" } else { "in" }
                            ),
                        )
                        .label("empty list"),
                    );
                }
                self.compare(name, &args, span);
                Expr::call(name, args, span)
            }
            A::Call { name, args } => self.call(name, args, span, scope),
        }
    }

    fn ident(&mut self, name: &str, span: Span, scope: &Scope) -> Expr {
        if let Some(p) = scope.params.get(name) {
            return match p {
                ParamValue::Text(t) | ParamValue::Environment(t) | ParamValue::Artifact(t) => {
                    lit(ExprKind::Str(t.clone()), Type::String, span)
                }
                ParamValue::Number(n) => lit(ExprKind::Number(*n), Type::Number, span),
                ParamValue::Bool(b) => lit(ExprKind::Bool(*b), Type::Bool, span),
            };
        }
        if let Some((_, var)) = SHORTHANDS.iter().find(|(s, _)| *s == name) {
            return lit(
                ExprKind::Variable(var.to_string()),
                predefined_type(var),
                span,
            );
        }
        if let Some(c) = CONTEXTS.iter().find(|c| c.eq_ignore_ascii_case(name)) {
            return lit(ExprKind::Context(c.to_string()), Type::Object, span);
        }
        if name == "variables" || NAMESPACES.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return lit(ExprKind::Context(name.to_string()), Type::Object, span);
        }
        if self.has_var(name, scope) {
            return self.variable_ref(name, span, span, scope);
        }
        if functions::lookup(name).is_some() {
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownVariable,
                    span,
                    format!("`{name}` is a function, not a value"),
                )
                .label("missing `()`")
                .help(format!("call it: `{name}()`")),
            );
            return lit(ExprKind::Variable(name.to_string()), Type::Any, span);
        }
        let mut candidates: Vec<String> = SHORTHANDS.iter().map(|(s, _)| s.to_string()).collect();
        candidates.extend(self.visible_vars(scope));
        candidates.extend(scope.params.keys().cloned());
        self.diags.push(
            Diagnostic::error(Code::UnknownVariable, span, format!("unknown name `{name}` in a condition"))
                .label("not a variable, parameter or shorthand")
                .did_you_mean(span, name, candidates.iter().map(String::as_str))
                .or_help(format!(
                    "to compare with the text {name}, quote it: \"{name}\"; names in conditions are declared \
                     variables, template parameters, `branch`, `source_branch`, `reason` and `variables['Name']`"
                )),
        );
        lit(ExprKind::Variable(name.to_string()), Type::Any, span)
    }

    fn field(&mut self, base: &ast::Expr, name: &ast::Name, span: Span, scope: &Scope) -> Expr {
        if !scope.params.contains_key("parameters")
            && let Some(mut segments) = parameter_path(base)
        {
            segments.push(name.clone());
            return self.parameter_expr(&segments, span);
        }
        if let A::Ident(root) = &base.kind {
            if root == "variables" {
                return self.variable_ref(&name.text, name.span, span, scope);
            }
            // The expression context `pipeline` has one property, the run's start time;
            // `Pipeline.Workspace` and the like are predefined variables.
            if root.eq_ignore_ascii_case("pipeline")
                && name.text.eq_ignore_ascii_case("startTime")
                && !scope.params.contains_key(root.as_str())
            {
                return lit(
                    ExprKind::Property(
                        Box::new(context("pipeline", base.span)),
                        "startTime".into(),
                    ),
                    Type::String,
                    span,
                );
            }
            if let Some(ns) = NAMESPACES.iter().find(|n| n.eq_ignore_ascii_case(root))
                && !scope.params.contains_key(root.as_str())
            {
                let var = format!("{ns}.{}", name.text);
                return lit(ExprKind::Variable(var.clone()), predefined_type(&var), span);
            }
        }
        // `Build.Repository.Name`: keep extending a predefined variable's name.
        let base_ir = self.expr(base, scope);
        if let ExprKind::Number(_) | ExprKind::Version(_) | ExprKind::Str(_) | ExprKind::Bool(_) =
            base_ir.kind
        {
            let mut d = Diagnostic::error(
                Code::UnknownProperty,
                name.span,
                format!("a literal value has no property `{}`", name.text),
            )
            .label("no properties here");
            if matches!(base_ir.kind, ExprKind::Number(_) | ExprKind::Version(_)) {
                d = d.help("a version has two or three dots and digits only (`2.200.0`, `1.2.3.4`); write text in quotes: `'1.5.x'`");
            }
            self.diags.push(d);
            return lit(ExprKind::Str(String::new()), Type::Any, span);
        }
        if let ExprKind::Context(c) = &base_ir.kind
            && c == "stageDependencies"
            && scope.in_stage_condition
        {
            let root = base.span;
            self.diags.push(
                Diagnostic::error(
                    Code::NotInContext,
                    root,
                    "`stageDependencies` is not available in a stage condition",
                )
                .label("Azure provides it to jobs only")
                .suggestion(
                    root,
                    "dependencies",
                    "a stage condition reads the outputs of the stages it depends on through `dependencies`: `dependencies.Build.outputs['job.step.name']`",
                ),
            );
        }
        if let ExprKind::Variable(v) = &base_ir.kind
            && is_predefined(v)
        {
            let var = format!("{v}.{}", name.text);
            return lit(ExprKind::Variable(var.clone()), predefined_type(&var), span);
        }
        if let ExprKind::Context(c) = &base_ir.kind
            && c == "dependencies"
        {
            self.check_node_name(&name.text, name.span, scope);
        }
        let ty = match name.text.to_ascii_lowercase().as_str() {
            "result" => Type::Result,
            "outputs" => Type::Object,
            _ => Type::Any,
        };
        lit(
            ExprKind::Property(Box::new(base_ir), name.text.clone()),
            ty,
            span,
        )
    }

    /// `variables['name']`: a declared, predefined or runtime-set variable.
    fn variable_ref(&mut self, name: &str, name_span: Span, span: Span, scope: &Scope) -> Expr {
        if is_predefined(name) {
            return lit(
                ExprKind::Variable(name.to_string()),
                predefined_type(name),
                span,
            );
        }
        match self.lookup_var(name, scope) {
            Some(canonical) => lit(ExprKind::Variable(canonical), Type::String, span),
            None => {
                if !scope.has_group && !self.decls.runtime_vars.contains(&name.to_ascii_lowercase())
                {
                    let candidates = self.visible_vars(scope);
                    let fix_span = self.unquoted(name_span);
                    self.diags.push(
                        Diagnostic::error(Code::UnknownVariable, name_span, format!("unknown variable `{name}`"))
                            .label("not declared")
                            .did_you_mean(fix_span, name, candidates.iter().map(String::as_str))
                            .or_help(format!("declare it with `var {name} = \"…\"`, or bring in the variable group that defines it with `group Name`")),
                    );
                }
                lit(ExprKind::Variable(name.to_string()), Type::String, span)
            }
        }
    }

    fn call(&mut self, name: &ast::Name, args: &[ast::Expr], span: Span, scope: &Scope) -> Expr {
        let Some(f) = functions::lookup(&name.text) else {
            let args: Vec<Expr> = args.iter().map(|a| self.expr(a, scope)).collect();
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownFunction,
                    name.span,
                    format!("unknown function `{}`", name.text),
                )
                .label("not an Azure Pipelines function")
                .did_you_mean(
                    name.span,
                    &name.text,
                    functions::FUNCTIONS.iter().map(|f| f.name),
                ),
            );
            return Expr {
                kind: ExprKind::Call("unknown", args),
                ty: Type::Any,
                span,
            };
        };
        if f.kind == Kind::NotInConditions {
            self.diags.push(
                Diagnostic::error(
                    Code::NotInCondition,
                    name.span,
                    format!("`{}` cannot be used in a condition", f.name),
                )
                .label("only allowed in variable definitions")
                .help("Azure evaluates it only in `$[ ]` variable definitions"),
            );
        }
        if args.len() < f.min || args.len() > f.max {
            let expected = match (f.min, f.max) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            self.diags.push(
                Diagnostic::error(
                    Code::Arity,
                    span,
                    format!(
                        "`{}` takes {expected} argument{}, but {} {} given",
                        f.name,
                        if expected == "1" { "" } else { "s" },
                        args.len(),
                        if args.len() == 1 { "was" } else { "were" }
                    ),
                )
                .label(format!(
                    "{} argument{}",
                    args.len(),
                    if args.len() == 1 { "" } else { "s" }
                )),
            );
        }
        let lowered: Vec<Expr> = if f.kind == Kind::Status {
            args.iter()
                .map(|a| {
                    let x = self.expr(a, scope);
                    if let ExprKind::Str(node) = &x.kind {
                        self.check_node_name(node, a.span, scope);
                    }
                    x
                })
                .collect()
        } else {
            args.iter().map(|a| self.expr(a, scope)).collect()
        };
        match f.kind {
            Kind::Logical => {
                for a in &lowered {
                    self.expect_bool(a, &format!("an argument of `{}`", f.name));
                }
            }
            Kind::Comparison => self.compare(f.name, &lowered, span),
            _ => {}
        }
        Expr {
            kind: ExprKind::Call(f.name, lowered),
            ty: f.result,
            span,
        }
    }

    /// Type rules of comparisons: the left operand's type decides.
    fn compare(&mut self, function: &str, args: &[Expr], span: Span) {
        let Some((left, rest)) = args.split_first() else {
            return;
        };
        if let [left, right] = args {
            self.text_ordering(function, left, right, span);
        }
        for right in rest {
            self.compare_pair(function, left, right);
            self.compare_pair(function, right, left);
            if matches!(function, "eq" | "ne") {
                self.outside_choices(function, left, right, span);
                self.outside_choices(function, right, left, span);
            }
        }
        if left.ty == Type::Bool
            && matches!(left.kind, ExprKind::Bool(_))
            && rest.iter().any(|r| matches!(r.kind, ExprKind::Variable(_)))
        {
            self.diags.push(
                Diagnostic::error(Code::TypeMismatch, left.span, "a boolean on the left turns the variable on the right into a boolean")
                    .label("left operand decides the comparison")
                    .help("every non-empty text, 'false' included, becomes true; put the variable first and compare with text: `variables['x'] == \"true\"`"),
            );
        }
    }

    /// `parameters.env == "qa"` where `env` may only be `dev` or `prod`: the same on every run.
    fn outside_choices(&mut self, function: &str, param: &Expr, other: &Expr, span: Span) {
        let ExprKind::Parameter(name) = &param.kind else {
            return;
        };
        let text = match &other.kind {
            ExprKind::Str(t) => t.clone(),
            ExprKind::Number(n) => super::format_number(*n),
            _ => return,
        };
        let Some(choices) = self.parameter_choices(name) else {
            return;
        };
        if choices
            .iter()
            .any(|c| super::parameters::scalar_text(c).eq_ignore_ascii_case(&text))
        {
            return;
        }
        let listed: Vec<String> = choices.iter().map(super::parameters::scalar_text).collect();
        let always = if function == "eq" { "false" } else { "true" };
        self.diags.push(
            Diagnostic::warning(
                Code::ConstantCondition,
                span,
                format!("this is always {always}: parameter `{name}` is never `{text}`"),
            )
            .label(format!("always {always}"))
            .related(other.span, "not one of the parameter's values")
            .help(format!("`{name}` takes one of: {}", listed.join(", "))),
        );
    }

    /// Azure orders by the kind of the left operand, and every variable is text: in
    /// `gt(variables['n'], 10)` the 10 becomes '10' and `'9' > '10'`. Swapping the
    /// operands (`lt(10, variables['n'])`) makes Azure convert the variable instead.
    fn text_ordering(&mut self, function: &str, left: &Expr, right: &Expr, span: Span) {
        let flipped = match function {
            "gt" => "lt",
            "ge" => "le",
            "lt" => "gt",
            "le" => "ge",
            _ => return,
        };
        let literal = |e: &Expr| {
            matches!(
                e.kind,
                ExprKind::Str(_) | ExprKind::Number(_) | ExprKind::Version(_) | ExprKind::Bool(_)
            )
        };
        let kind = match right.kind {
            ExprKind::Number(_) => "number",
            ExprKind::Version(_) => "version",
            _ => return,
        };
        if literal(left) || !matches!(left.ty, Type::String | Type::Any) {
            return;
        }
        let source = &self.sources.get(span.file).text;
        let text = |e: &Expr| source.get(e.span.start as usize..e.span.end as usize);
        let (Some(l), Some(r), Some(whole)) = (
            text(left),
            text(right),
            text(&Expr {
                span,
                ..right.clone()
            }),
        ) else {
            return;
        };
        // Infix (`n > 10`) or Azure's function form (`gt(n, 10)`), kept as written.
        let call = whole
            .get(..function.len() + 1)
            .is_some_and(|head| head.eq_ignore_ascii_case(&format!("{function}(")));
        let replacement = if !call {
            let op = match flipped {
                "lt" => "<",
                "le" => "<=",
                "gt" => ">",
                _ => ">=",
            };
            format!("{r} {op} {l}")
        } else {
            format!("{flipped}({r}, {l})")
        };
        let example = if kind == "number" {
            "'9' > '10'"
        } else {
            "'2.99.0' > '2.200.0'"
        };
        self.diags.push(
            Diagnostic::warning(
                Code::TextOrdering,
                span,
                format!("Azure compares this as text, not as a {kind}: the left side is text, so the {kind} is turned into text ({example})"),
            )
            .label("ordered as text: every variable and output is text")
            .suggestion(
                span,
                replacement.clone(),
                format!("put the {kind} first, so that Azure turns the text into a {kind}: `{replacement}`"),
            ),
        );
    }

    /// `value` is a set-typed value (reason, result); `other` is what it is compared with.
    fn compare_pair(&mut self, function: &str, value: &Expr, other: &Expr) {
        let (set, what): (&[&str], &str) = match value.ty {
            Type::Reason => (REASONS, "the build reason"),
            Type::Result => (RESULTS, "a result"),
            _ => return,
        };
        match &other.kind {
            ExprKind::Str(s) if !set.iter().any(|v| v.eq_ignore_ascii_case(s)) => {
                let fix_span = self.unquoted(other.span);
                self.diags.push(
                    Diagnostic::error(
                        Code::UnknownEnumValue,
                        other.span,
                        format!("'{s}' is never {what}"),
                    )
                    .label(format!("not one of {}", set.join(", ")))
                    .related(value.span, format!("{what} is compared here"))
                    .did_you_mean(fix_span, s, set.iter().copied())
                    .or_help(format!("{what} is one of {}", set.join(", "))),
                );
            }
            ExprKind::Number(_) | ExprKind::Bool(_) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        other.span,
                        format!(
                            "`{function}` compares {what}, which is text, with a {}",
                            if other.ty == Type::Number {
                                "number"
                            } else {
                                "boolean"
                            }
                        ),
                    )
                    .label("never equal")
                    .related(value.span, format!("{what} is text"))
                    .help(format!("compare it with one of {}", set.join(", "))),
                );
            }
            _ => {}
        }
    }

    /// A name given to a status function or `dependencies.X` must be a stage or job.
    fn check_node_name(&mut self, name: &str, span: Span, scope: &Scope) {
        if scope.nodes.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return;
        }
        // Stage conditions see stages, job conditions the jobs of their stage.
        let (code, what, peers) = if scope.in_stage_condition {
            (Code::UnknownStage, "stage", self.decls.stage_names.clone())
        } else {
            (Code::UnknownJob, "job", scope.sibling_jobs.clone())
        };
        if let Some(peer) = peers.iter().find(|n| n.eq_ignore_ascii_case(name)) {
            self.diags.push(
                Diagnostic::error(code, span, format!("{what} `{peer}` is not a dependency of this {what}"))
                    .label("not in `after`")
                    .help(format!(
                        "a {what} condition sees only the {what}s it depends on; add `{peer}` to its `after`"
                    )),
            );
            return;
        }
        let fix_span = self.unquoted(span);
        self.diags.push(
            Diagnostic::error(code, span, format!("unknown {what} `{name}`"))
                .label(format!("no {what} has this name"))
                .did_you_mean(fix_span, name, scope.nodes.iter().map(String::as_str)),
        );
    }
}

/// The names after `parameters` in `parameters.a.b`, when `e` is such a path
/// (without its last field, which the caller holds).
fn parameter_path(e: &ast::Expr) -> Option<Vec<ast::Name>> {
    match &e.kind {
        A::Ident(root) if root == "parameters" => Some(Vec::new()),
        A::Field { base, name } => {
            let mut path = parameter_path(base)?;
            path.push(name.clone());
            Some(path)
        }
        _ => None,
    }
}

fn context(name: &str, span: Span) -> Expr {
    lit(ExprKind::Context(name.to_string()), Type::Object, span)
}

/// The value of a condition's constant part, if all of it is constant.
fn constant(e: &Expr) -> Option<Value> {
    eval::eval(e, &eval::CompileTime)
}

/// Whether a condition names a template parameter.
fn mentions_param(e: &ast::Expr, scope: &Scope) -> bool {
    if scope.params.is_empty() {
        return false;
    }
    match &e.kind {
        A::Ident(name) => scope.params.contains_key(name),
        A::Call { args, .. } => args.iter().any(|a| mentions_param(a, scope)),
        A::Index { base, index } => mentions_param(base, scope) || mentions_param(index, scope),
        A::Field { base, .. } | A::Not(base) => mentions_param(base, scope),
        A::Logical { operands, .. } => operands.iter().any(|o| mentions_param(o, scope)),
        A::Binary { lhs, rhs, .. } => mentions_param(lhs, scope) || mentions_param(rhs, scope),
        A::In { lhs, list, .. } => {
            mentions_param(lhs, scope) || list.iter().any(|x| mentions_param(x, scope))
        }
        A::Str(_) | A::Number(_) | A::Version(_) | A::Bool(_) => false,
    }
}

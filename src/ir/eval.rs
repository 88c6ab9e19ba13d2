//! Evaluating conditions with Azure's semantics (SEMANTICS.md §3.4).
//!
//! One evaluator serves the checker's constant folding and the interpreter:
//! what is not known yet (a variable at compile time, an output of a job that
//! has not run) is `None`, and logic is three-valued over it, so
//! `and(false, <unknown>)` is `false` at compile time and at run time alike.
//!
//! Conversions follow the left operand of a comparison: the right one is
//! converted to its kind, and a failed conversion is "not equal" (and an
//! error for ordering, which is `None` here). Text compares ordinally,
//! ignoring case.

use super::{Expr, ExprKind};

/// A value a condition computes with.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A variable that is not set, a missing output.
    Null,
    Bool(bool),
    Number(f64),
    /// A version as written: `2.200.0`.
    Version(String),
    Str(String),
}

/// What a condition can ask about the run. Every answer may be `None`: not known.
pub trait Env {
    /// `variables['name']` (names are case-insensitive); `Some(Value::Null)` when it is
    /// known not to be set.
    fn variable(&self, name: &str) -> Option<Value>;
    /// A context other than variables: `root` is `dependencies`, `stageDependencies`
    /// or `pipeline`, `path` the keys after it (`["Build", "result"]`).
    fn context(&self, root: &str, path: &[String]) -> Option<Value>;
    /// A status function (`succeeded`, `failed`, `succeededOrFailed`, `always`,
    /// `canceled`) over the named dependencies, or all of them when `names` is empty.
    fn status(&self, function: &str, names: &[String]) -> Option<bool>;
}

/// An [`Env`] that knows nothing: what is left is the constant part of a condition.
pub struct CompileTime;

impl Env for CompileTime {
    fn variable(&self, _: &str) -> Option<Value> {
        None
    }
    fn context(&self, _: &str, _: &[String]) -> Option<Value> {
        None
    }
    /// Even `always()` is left unknown: a status function is never a constant condition.
    fn status(&self, _: &str, _: &[String]) -> Option<bool> {
        None
    }
}

impl Value {
    /// Azure's truthiness: `''`, `0` and null are false; any other text is true.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0,
            Value::Version(_) => true,
            Value::Str(s) => !s.is_empty(),
        }
    }

    /// Azure's conversion to text (`True`, `False`, numbers without separators).
    pub fn text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => (if *b { "True" } else { "False" }).to_string(),
            Value::Number(n) => crate::check::format_number(*n),
            Value::Version(v) | Value::Str(v) => v.clone(),
        }
    }

    /// Azure's conversion to a number (`''` and null are 0, `True` is 1); `None` when
    /// it has none.
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Null => Some(0.0),
            Value::Number(n) => Some(*n),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Version(_) => None,
            Value::Str(s) if s.trim().is_empty() => Some(0.0),
            // Decimal.TryParse with a sign, a decimal point and thousands separators; no exponent.
            Value::Str(s) => {
                let s = s.trim();
                let allowed = |c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | ',');
                if !s.chars().all(allowed) {
                    return None;
                }
                s.replace(',', "").parse::<f64>().ok()
            }
        }
    }

    fn version(&self) -> Option<Vec<u64>> {
        let text = match self {
            Value::Version(v) | Value::Str(v) => v.trim(),
            _ => return None,
        };
        let parts: Option<Vec<u64>> = text.split('.').map(|p| p.parse().ok()).collect();
        parts.filter(|p| (2..=4).contains(&p.len()))
    }

    /// How the value reads in an explanation: text in backquotes, `null` bare.
    pub fn shown(&self) -> String {
        match self {
            Value::Null => "not set".to_string(),
            other => format!("`{}`", other.text()),
        }
    }
}

/// .NET's `OrdinalIgnoreCase`: both sides upper-cased, then compared code unit by code unit.
fn ordinal_ignore_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.to_ascii_uppercase().cmp(&b.to_ascii_uppercase())
}

/// Azure's `eq`: the right operand converted to the left one's kind.
pub fn equal(l: &Value, r: &Value) -> bool {
    match l {
        Value::Null => matches!(r, Value::Null) || r.text().is_empty(),
        Value::Str(a) => ordinal_ignore_case(a, &r.text()).is_eq(),
        Value::Number(a) => r.number().is_some_and(|b| *a == b),
        Value::Bool(a) => *a == r.truthy(),
        Value::Version(_) => l.version().is_some() && l.version() == r.version(),
    }
}

/// Azure's ordering, by the left operand's kind; `None` when the right one does not convert.
fn order(l: &Value, r: &Value) -> Option<std::cmp::Ordering> {
    match l {
        Value::Number(a) => a.partial_cmp(&r.number()?),
        Value::Str(a) => Some(ordinal_ignore_case(a, &r.text())),
        Value::Version(_) => Some(l.version()?.cmp(&r.version()?)),
        Value::Null => Some(ordinal_ignore_case("", &r.text())),
        Value::Bool(_) => None,
    }
}

/// The value of an expression, or `None` where it depends on what `env` does not know.
pub fn eval(e: &Expr, env: &dyn Env) -> Option<Value> {
    match &e.kind {
        ExprKind::Str(s) => Some(Value::Str(s.clone())),
        ExprKind::Number(n) => Some(Value::Number(*n)),
        ExprKind::Version(v) => Some(Value::Version(v.clone())),
        ExprKind::Bool(b) => Some(Value::Bool(*b)),
        ExprKind::Variable(name) => env.variable(name),
        // Bound before a run ([`crate::ir::Pipeline::bind_parameters`]); unknown at compile time.
        ExprKind::Parameter(_) => None,
        ExprKind::Context(_) | ExprKind::Property(..) | ExprKind::Index(..) => {
            let (root, path) = context_path(e, env)?;
            if root.eq_ignore_ascii_case("variables") && path.len() == 1 {
                return env.variable(&path[0]);
            }
            env.context(&root, &path)
        }
        ExprKind::Call(name, args) => call(name, args, env),
    }
}

/// `dependencies.Build.outputs['Build.step.var']` as `("dependencies", [Build, outputs, Build.step.var])`.
fn context_path(e: &Expr, env: &dyn Env) -> Option<(String, Vec<String>)> {
    match &e.kind {
        ExprKind::Context(root) => Some((root.clone(), Vec::new())),
        ExprKind::Variable(name) => Some(("variables".into(), vec![name.clone()])),
        ExprKind::Property(base, key) => {
            let (root, mut path) = context_path(base, env)?;
            path.push(key.clone());
            Some((root, path))
        }
        ExprKind::Index(base, index) => {
            let (root, mut path) = context_path(base, env)?;
            path.push(eval(index, env)?.text());
            Some((root, path))
        }
        _ => None,
    }
}

/// Three-valued logic over lazily evaluated operands: `all` is `and`, `!all` is `or`.
fn logic(args: &[Expr], env: &dyn Env, all: bool) -> Option<Value> {
    let mut unknown = false;
    for a in args {
        match eval(a, env).map(|v| v.truthy()) {
            Some(b) if b != all => return Some(Value::Bool(b)),
            Some(_) => {}
            None => unknown = true,
        }
    }
    (!unknown).then_some(Value::Bool(all))
}

fn call(name: &str, args: &[Expr], env: &dyn Env) -> Option<Value> {
    match name {
        "and" => return logic(args, env, true),
        "or" => return logic(args, env, false),
        "succeeded" | "failed" | "succeededOrFailed" | "always" | "canceled" => {
            let names: Option<Vec<String>> = args
                .iter()
                .map(|a| eval(a, env).map(|v| v.text()))
                .collect();
            return env.status(name, &names?).map(Value::Bool);
        }
        "coalesce" => {
            for a in args {
                let v = eval(a, env)?;
                if !matches!(&v, Value::Null) && !v.text().is_empty() {
                    return Some(v);
                }
            }
            return Some(Value::Null);
        }
        "iif" => {
            let c = eval(args.first()?, env)?.truthy();
            return eval(args.get(if c { 1 } else { 2 })?, env);
        }
        _ => {}
    }
    let values: Vec<Value> = args.iter().map(|a| eval(a, env)).collect::<Option<_>>()?;
    let text = |i: usize| values.get(i).map(Value::text);
    let bool_value = |b: bool| Some(Value::Bool(b));
    match name {
        "not" => bool_value(!values.first()?.truthy()),
        "xor" => bool_value(values.first()?.truthy() != values.get(1)?.truthy()),
        "eq" => bool_value(equal(values.first()?, values.get(1)?)),
        "ne" => bool_value(!equal(values.first()?, values.get(1)?)),
        "gt" | "ge" | "lt" | "le" => {
            let o = order(values.first()?, values.get(1)?)?;
            bool_value(match name {
                "gt" => o.is_gt(),
                "ge" => o.is_ge(),
                "lt" => o.is_lt(),
                _ => o.is_le(),
            })
        }
        "in" | "notIn" => {
            let (first, rest) = values.split_first()?;
            let found = rest.iter().any(|r| equal(first, r));
            bool_value(found == (name == "in"))
        }
        "contains" => bool_value(text(0)?.to_uppercase().contains(&text(1)?.to_uppercase())),
        "containsValue" => {
            let (first, rest) = values.split_first()?;
            bool_value(rest.iter().any(|r| equal(r, first)))
        }
        "startsWith" => bool_value(
            text(0)?
                .to_uppercase()
                .starts_with(&text(1)?.to_uppercase()),
        ),
        "endsWith" => bool_value(text(0)?.to_uppercase().ends_with(&text(1)?.to_uppercase())),
        "lower" => Some(Value::Str(text(0)?.to_lowercase())),
        "upper" => Some(Value::Str(text(0)?.to_uppercase())),
        "trim" => Some(Value::Str(text(0)?.trim().to_string())),
        "length" => Some(Value::Number(text(0)?.encode_utf16().count() as f64)),
        "replace" => Some(Value::Str(text(0)?.replace(&text(1)?, &text(2)?))),
        "format" => {
            let mut out = text(0)?;
            for (i, v) in values.iter().enumerate().skip(1) {
                out = out.replace(&format!("{{{}}}", i - 1), &v.text());
            }
            Some(Value::Str(out))
        }
        // `join`, `split`, `counter` and `convertToJson` work on objects or are not
        // for conditions: not evaluated.
        _ => None,
    }
}

/// Why a condition is false, in words: the comparisons that made it so, with the
/// values they were evaluated on ("Build.SourceBranchName is `main`, not `release`").
pub fn explain_false(e: &Expr, env: &dyn Env) -> String {
    let mut reasons = Vec::new();
    why_false(e, env, &mut reasons);
    if reasons.is_empty() {
        reasons.push(format!("{} is false", crate::backend::expr::to_azure(e)));
    }
    reasons.join("; ")
}

fn is_false(e: &Expr, env: &dyn Env) -> bool {
    eval(e, env).is_some_and(|v| !v.truthy())
}

fn why_false(e: &Expr, env: &dyn Env, out: &mut Vec<String>) {
    let described = |e: &Expr| describe(e);
    match &e.kind {
        ExprKind::Call("and", args) => {
            for a in args.iter().filter(|a| is_false(a, env)) {
                why_false(a, env, out);
            }
        }
        ExprKind::Call("or", args) => {
            for a in args {
                why_false(a, env, out);
            }
        }
        ExprKind::Call("not", args) if args.len() == 1 => {
            out.push(format!(
                "{} is true",
                crate::backend::expr::to_azure(&args[0])
            ));
        }
        ExprKind::Call(f @ ("eq" | "ne"), args) if args.len() == 2 => {
            let (l, r) = (eval(&args[0], env), eval(&args[1], env));
            let (Some(l), Some(r)) = (l, r) else { return };
            let (left, right) = (described(&args[0]), described(&args[1]));
            out.push(if *f == "eq" {
                match (is_literal(&args[0]), is_literal(&args[1])) {
                    (false, true) => format!("{left} is {}, not {}", l.shown(), r.shown()),
                    (true, false) => format!("{right} is {}, not {}", r.shown(), l.shown()),
                    _ => format!("{left} is {}, not {right} ({})", l.shown(), r.shown()),
                }
            } else {
                format!("{left} and {right} are both {}", l.shown())
            });
        }
        ExprKind::Call(f @ ("in" | "notIn"), args) if !args.is_empty() => {
            if let Some(v) = eval(&args[0], env) {
                let among = if *f == "in" { "not one of" } else { "one of" };
                let list: Vec<String> = args[1..].iter().map(describe).collect();
                out.push(format!(
                    "{} is {}, {among} {}",
                    describe(&args[0]),
                    v.shown(),
                    list.join(", ")
                ));
            }
        }
        ExprKind::Call(
            status @ ("succeeded" | "failed" | "succeededOrFailed" | "canceled"),
            args,
        ) => {
            let of = if args.is_empty() {
                "its dependencies".to_string()
            } else {
                args.iter().map(describe).collect::<Vec<_>>().join(", ")
            };
            out.push(match *status {
                "succeeded" => format!("succeeded() is false: not all of {of} succeeded"),
                "failed" => format!("failed() is false: none of {of} failed"),
                "canceled" => "canceled() is false: the run was not canceled".to_string(),
                _ => format!("succeededOrFailed() is false: {of} did not all finish"),
            });
        }
        _ => {
            let text = crate::backend::expr::to_azure(e);
            match eval(e, env) {
                Some(v) if !is_literal(e) && !matches!(v, Value::Bool(_)) => {
                    out.push(format!("{} is {}", describe(e), v.shown()))
                }
                _ => out.push(format!("{text} is false")),
            }
        }
    }
}

fn is_literal(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Str(_) | ExprKind::Number(_) | ExprKind::Version(_) | ExprKind::Bool(_)
    )
}

/// A variable by its name, anything else in Azure's syntax.
fn describe(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Variable(name) => name.clone(),
        ExprKind::Str(s) => format!("`{s}`"),
        _ => crate::backend::expr::to_azure(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Type;
    use crate::source::Span;

    fn lit(kind: ExprKind) -> Expr {
        Expr {
            kind,
            ty: Type::Any,
            span: Span::default(),
        }
    }
    fn s(v: &str) -> Expr {
        lit(ExprKind::Str(v.into()))
    }
    fn var(v: &str) -> Expr {
        lit(ExprKind::Variable(v.into()))
    }
    fn call(name: &'static str, args: Vec<Expr>) -> Expr {
        Expr::call(name, args, Span::default())
    }

    struct Vars(Vec<(&'static str, &'static str)>);
    impl Env for Vars {
        fn variable(&self, name: &str) -> Option<Value> {
            Some(
                self.0
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map_or(Value::Null, |(_, v)| Value::Str(v.to_string())),
            )
        }
        fn context(&self, _: &str, _: &[String]) -> Option<Value> {
            None
        }
        fn status(&self, f: &str, _: &[String]) -> Option<bool> {
            Some(f != "failed" && f != "canceled")
        }
    }

    #[test]
    fn three_valued_logic_at_compile_time() {
        let unknown = var("x");
        let f = lit(ExprKind::Bool(false));
        assert_eq!(
            eval(&call("and", vec![unknown.clone(), f.clone()]), &CompileTime),
            Some(Value::Bool(false))
        );
        assert_eq!(
            eval(&call("or", vec![unknown.clone(), f]), &CompileTime),
            None
        );
        assert_eq!(eval(&call("not", vec![unknown]), &CompileTime), None);
    }

    #[test]
    fn comparisons_convert_to_the_left_operand() {
        let env = Vars(vec![("n", "10"), ("b", "refs/heads/Main")]);
        let n = || var("n");
        let num = |x: f64| lit(ExprKind::Number(x));
        assert_eq!(
            eval(&call("gt", vec![n(), num(9.0)]), &env),
            Some(Value::Bool(false))
        );
        assert_eq!(
            eval(&call("gt", vec![num(11.0), n()]), &env),
            Some(Value::Bool(true))
        );
        assert_eq!(
            eval(&call("eq", vec![num(10.0), n()]), &env),
            Some(Value::Bool(true))
        );
        assert_eq!(
            eval(&call("eq", vec![var("b"), s("refs/heads/main")]), &env),
            Some(Value::Bool(true)),
            "text compares ignoring case"
        );
        assert_eq!(
            eval(&call("eq", vec![var("unset"), s("")]), &env),
            Some(Value::Bool(true))
        );
        let v = |t: &str| lit(ExprKind::Version(t.into()));
        assert_eq!(
            eval(&call("lt", vec![v("2.9.0"), v("2.200.0")]), &env),
            Some(Value::Bool(true)),
            "versions compare part by part"
        );
    }

    #[test]
    fn explanations_name_the_values() {
        let env = Vars(vec![("Build.SourceBranchName", "main")]);
        let c = call(
            "and",
            vec![
                call("succeeded", vec![]),
                call("eq", vec![var("Build.SourceBranchName"), s("release")]),
            ],
        );
        assert_eq!(eval(&c, &env), Some(Value::Bool(false)));
        assert_eq!(
            explain_false(&c, &env),
            "Build.SourceBranchName is `main`, not `release`"
        );
    }
}

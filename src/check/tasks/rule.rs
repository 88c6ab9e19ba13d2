//! The `visibleRule` language of task definitions: when an input matters.
//!
//! A rule is conditions joined by `&&` (all must hold) or by `||` (one must);
//! Azure's task editor splits on `&&` first and never mixes the two, and no
//! in-box task does. A condition is `input operator value`:
//!
//! - `=` and `==` (the same), `!=`;
//! - `<`, `<=`, `>`, `>=`, on numbers;
//! - `Contains`, `NotContains`, `StartsWith`, `NotStartsWith`, `EndsWith`,
//!   `NotEndsWith` (the data has `EndsWith` and `NotEndsWith`: `package EndsWith .war`).
//!
//! The value is the rest of the condition, spaces included (`action = Create Or
//! Update Resource Group`); quotes around it are dropped (`appType != ""`).
//! Values and input names are compared without regard to (ASCII) case, as Azure
//! compares input names (the data itself writes `WebAppkind` for `WebAppKind`).
//!
//! Evaluation is three-valued: a condition on an input whose value is not
//! known (written as a variable, a template parameter, or itself hidden) is
//! undecided, and so is a rule that depends on it; the checker reports a
//! missing required input only when its rule is decided true.

/// A comparison of a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    NotContains,
    StartsWith,
    NotStartsWith,
    EndsWith,
    NotEndsWith,
}

/// `input op value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition<'a> {
    pub input: &'a str,
    pub op: Op,
    pub value: &'a str,
}

/// How the conditions of a rule are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// `&&`
    All,
    /// `||`
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule<'a> {
    pub join: Join,
    pub conditions: Vec<Condition<'a>>,
}

const SYMBOLS: [(&str, Op); 7] = [
    ("==", Op::Eq),
    ("!=", Op::Ne),
    ("<=", Op::Le),
    (">=", Op::Ge),
    ("=", Op::Eq),
    ("<", Op::Lt),
    (">", Op::Gt),
];

const WORDS: [(&str, Op); 6] = [
    ("Contains", Op::Contains),
    ("NotContains", Op::NotContains),
    ("StartsWith", Op::StartsWith),
    ("NotStartsWith", Op::NotStartsWith),
    ("EndsWith", Op::EndsWith),
    ("NotEndsWith", Op::NotEndsWith),
];

/// Parse a rule; `None` if it is empty or a condition is not of the forms above.
pub fn parse(text: &str) -> Option<Rule<'_>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let (join, separator) = if text.contains("&&") {
        (Join::All, "&&")
    } else {
        (Join::Any, "||")
    };
    let conditions = text
        .split(separator)
        .map(condition)
        .collect::<Option<Vec<_>>>()?;
    Some(Rule { join, conditions })
}

fn condition(text: &str) -> Option<Condition<'_>> {
    let text = text.trim();
    let name_len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .unwrap_or(text.len());
    let (input, rest) = text.split_at(name_len);
    let rest = rest.trim_start();
    if input.is_empty() {
        return None;
    }
    let (op, rest) = if let Some((sym, op)) = SYMBOLS.iter().find(|(s, _)| rest.starts_with(s)) {
        (*op, &rest[sym.len()..])
    } else {
        let word_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let (word, after) = rest.split_at(word_len);
        let (_, op) = WORDS.iter().find(|(w, _)| w.eq_ignore_ascii_case(word))?;
        if !after.is_empty() && !after.starts_with(char::is_whitespace) {
            return None;
        }
        (*op, after)
    };
    let value = unquote(rest.trim());
    Some(Condition { input, op, value })
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

impl Condition<'_> {
    /// Whether the condition holds for `actual`, the input's value.
    pub fn holds(&self, actual: &str) -> Option<bool> {
        // Values are ASCII words; comparing them this way allocates nothing.
        let (a, b) = (actual.trim().as_bytes(), self.value.as_bytes());
        let starts = || a.len() >= b.len() && a[..b.len()].eq_ignore_ascii_case(b);
        let ends = || a.len() >= b.len() && a[a.len() - b.len()..].eq_ignore_ascii_case(b);
        let contains =
            || b.is_empty() || a.windows(b.len().max(1)).any(|w| w.eq_ignore_ascii_case(b));
        let number = |s: &[u8]| std::str::from_utf8(s).ok()?.trim().parse::<f64>().ok();
        Some(match self.op {
            Op::Eq => a.eq_ignore_ascii_case(b),
            Op::Ne => !a.eq_ignore_ascii_case(b),
            Op::Contains => contains(),
            Op::NotContains => !contains(),
            Op::StartsWith => starts(),
            Op::NotStartsWith => !starts(),
            Op::EndsWith => ends(),
            Op::NotEndsWith => !ends(),
            Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                let (x, y) = (number(a)?, number(b)?);
                match self.op {
                    Op::Lt => x < y,
                    Op::Le => x <= y,
                    Op::Gt => x > y,
                    _ => x >= y,
                }
            }
        })
    }
}

impl Rule<'_> {
    /// Whether the rule holds, given the value of each input it names (`None`:
    /// not known). `None` when that cannot be decided.
    pub fn eval<S: AsRef<str>>(&self, mut value_of: impl FnMut(&str) -> Option<S>) -> Option<bool> {
        let mut undecided = false;
        for c in &self.conditions {
            match value_of(c.input).and_then(|v| c.holds(v.as_ref())) {
                // One false condition decides `&&`, one true condition decides `||`.
                Some(false) if self.join == Join::All => return Some(false),
                Some(true) if self.join == Join::Any => return Some(true),
                Some(_) => {}
                None => undecided = true,
            }
        }
        if undecided {
            None
        } else {
            Some(self.join == Join::All)
        }
    }

    /// The rule as a person reads it: `` `a = b` and `c != d` ``.
    pub fn describe(&self) -> String {
        let join = match self.join {
            Join::All => " and ",
            Join::Any => " or ",
        };
        let parts: Vec<String> = self.conditions.iter().map(Condition::describe).collect();
        parts.join(join)
    }
}

impl Condition<'_> {
    /// The condition as a person reads it: `` `package ends with .war` ``.
    pub fn describe(&self) -> String {
        let op = match self.op {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::NotContains => "does not contain",
            Op::StartsWith => "starts with",
            Op::NotStartsWith => "does not start with",
            Op::EndsWith => "ends with",
            Op::NotEndsWith => "does not end with",
        };
        let value = if self.value.is_empty() {
            "\"\""
        } else {
            self.value
        };
        format!("`{} {op} {value}`", self.input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(rule: &str, values: &[(&str, Option<&str>)]) -> Option<bool> {
        parse(rule).expect("parses").eval(|name| {
            values
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.map(str::to_string))
        })
    }

    #[test]
    fn the_forms_of_the_data_parse() {
        let r = parse("targetType = inline").unwrap();
        assert_eq!(
            r.conditions,
            [Condition {
                input: "targetType",
                op: Op::Eq,
                value: "inline"
            }]
        );
        let r = parse("command != restore && command != push && command != pack").unwrap();
        assert_eq!((r.join, r.conditions.len()), (Join::All, 3));
        let r = parse("command == login || command == package").unwrap();
        assert_eq!((r.join, r.conditions[1].op), (Join::Any, Op::Eq));
        let r = parse("appType != \"\"").unwrap();
        assert_eq!(r.conditions[0].value, "");
        assert_eq!(
            parse("workloadIdentityServiceConnection != ''")
                .unwrap()
                .conditions[0]
                .value,
            ""
        );
        let r =
            parse("action = Create Or Update Resource Group || deploymentScope != Resource Group")
                .unwrap();
        assert_eq!(r.conditions[0].value, "Create Or Update Resource Group");
        assert_eq!(r.conditions[1].value, "Resource Group");
        let r = parse("appType != functionAppLinux && package NotEndsWith .war").unwrap();
        assert_eq!(r.conditions[1].op, Op::NotEndsWith);
        assert_eq!(r.conditions[1].value, ".war");
        let r = parse("WebAppKind != app && ImageSource  = Registry").unwrap();
        assert_eq!(r.conditions[1].value, "Registry");
        assert_eq!(parse("count >= 3").unwrap().conditions[0].op, Op::Ge);
    }

    #[test]
    fn what_is_not_a_rule_does_not_parse() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("= x"), None);
        assert_eq!(parse("a Resembles b"), None);
        assert_eq!(parse("a EndsWithx b"), None);
        assert_eq!(parse("a = b && "), None);
    }

    #[test]
    fn conditions_compare_without_regard_to_case() {
        assert_eq!(
            eval("targetType = inline", &[("targettype", Some("Inline"))]),
            Some(true)
        );
        assert_eq!(
            eval("targetType == filePath", &[("targetType", Some("inline"))]),
            Some(false)
        );
        assert_eq!(
            eval(
                "publishJUnitResults = true",
                &[("publishJUnitResults", Some("True"))]
            ),
            Some(true)
        );
        assert_eq!(
            eval("appType != \"\"", &[("appType", Some(""))]),
            Some(false)
        );
        assert_eq!(
            eval("package EndsWith .war", &[("package", Some("app.WAR"))]),
            Some(true)
        );
        assert_eq!(
            eval("package NotEndsWith .war", &[("package", Some("app.zip"))]),
            Some(true)
        );
        assert_eq!(eval("n > 2", &[("n", Some("10"))]), Some(true));
        assert_eq!(eval("n > 2", &[("n", Some("ten"))]), None);
    }

    #[test]
    fn unknown_values_leave_a_rule_undecided_unless_another_condition_decides_it() {
        let all = "command = push && nuGetFeedType = internal";
        assert_eq!(
            eval(
                all,
                &[("command", None), ("nuGetFeedType", Some("internal"))]
            ),
            None
        );
        assert_eq!(
            eval(
                all,
                &[("command", None), ("nuGetFeedType", Some("external"))]
            ),
            Some(false)
        );
        assert_eq!(
            eval(
                all,
                &[
                    ("command", Some("push")),
                    ("nuGetFeedType", Some("internal"))
                ]
            ),
            Some(true)
        );
        let any = "command != publish || publishWebProjects = false";
        assert_eq!(
            eval(
                any,
                &[("command", Some("build")), ("publishWebProjects", None)]
            ),
            Some(true)
        );
        assert_eq!(
            eval(
                any,
                &[("command", Some("publish")), ("publishWebProjects", None)]
            ),
            None
        );
        assert_eq!(
            eval(
                any,
                &[
                    ("command", Some("publish")),
                    ("publishWebProjects", Some("true"))
                ]
            ),
            Some(false)
        );
    }

    #[test]
    fn a_rule_reads_as_words() {
        assert_eq!(
            parse("deployToSlotOrASE = true").unwrap().describe(),
            "`deployToSlotOrASE = true`"
        );
        assert_eq!(
            parse("appType != \"\" && package NotEndsWith .war")
                .unwrap()
                .describe(),
            "`appType != \"\"` and `package does not end with .war`"
        );
    }

    /// Every rule of every in-box task parses.
    #[test]
    fn every_rule_of_the_data_parses() {
        for t in super::super::all() {
            for i in t.inputs {
                for r in [i.visible_rule, i.group_rule] {
                    if !r.is_empty() {
                        assert!(parse(r).is_some(), "{}: {}: `{r}`", t.reference(), i.name);
                    }
                }
            }
        }
    }
}

//! Gates: named, reusable guards, resolved into conditions, checks and gate jobs.
//!
//! A gate expression is flattened into [`Term`]s. Where a term can go depends
//! on what it guards:
//!
//! | term                         | on an environment           | on a stage                          |
//! |------------------------------|-----------------------------|-------------------------------------|
//! | `when …`                     | condition of deploying stages | stage condition                   |
//! | `branch_control`             | Branch control check        | condition on `Build.SourceBranch`   |
//! | `approval`                   | Approval check              | `yaml true`: ManualValidation job   |
//! | `business_hours`, `http`     | check                       | —                                   |
//! | `lock`                       | Exclusive lock check        | stage `lockBehavior`                |
//! | `manual_validation`, `delay` | —                           | agentless gate job                  |

use super::cron::WEEKDAYS;
use super::pipeline::lock_behavior;
use super::{Checker, Scope};
use crate::ast::{self, GateExpr, GateTerm};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Expr, ExprKind, Type};
use crate::schema::{self, Block, GATE_KINDS};
use crate::source::Span;
use foldhash::HashSet;
use std::rc::Rc;

/// Azure's limit for approvals and checks: 30 days.
const MAX_CHECK_MINUTES: u64 = 43_200;

#[derive(Debug, Clone)]
pub(crate) struct Term {
    /// The declared gate it came from.
    pub gate: Option<String>,
    pub span: Span,
    pub kind: TermKind,
}

#[derive(Debug, Clone)]
pub(crate) enum TermKind {
    When(Expr),
    Check(ir::CheckKind),
    /// An approval the user asked to have in YAML (ManualValidation).
    YamlApproval(ir::Approval),
    Lock {
        behavior: ir::LockBehavior,
        timeout_minutes: u64,
    },
    ManualValidation {
        notify: Vec<String>,
        approvers: Vec<String>,
        instructions: Option<String>,
        timeout_minutes: u64,
        on_timeout: String,
    },
    Delay {
        minutes: u64,
    },
}

/// Declared gates resolved into terms, each once, when first used (or, for
/// those never used, by [`Checker::report_unused`]).
#[derive(Default)]
pub(super) struct GateState {
    /// Resolved declared gates, by index in the file's list.
    pub resolved: super::HashMap<usize, Rc<Vec<Term>>>,
    /// The declared gates being resolved, outermost first: a reference to one
    /// of them is a cycle.
    pub stack: Vec<usize>,
    /// Whether a chain of gate references too deep has been reported (once per file).
    pub depth_reported: bool,
}

impl Checker<'_> {
    /// Flatten a gate expression, resolving references to declared gates.
    ///
    /// A term reached twice (`g = a + a`, or two gates that include the same
    /// one) is kept once: a term is identified by its span, since gates are
    /// declared at the top level and always resolve the same way. This keeps
    /// the result no larger than the gate declarations themselves.
    pub(crate) fn gate_terms(&mut self, g: &GateExpr, scope: &Scope) -> Vec<Term> {
        let mut out: Vec<Term> = Vec::new();
        let mut seen: HashSet<Span> = HashSet::default();
        for t in &g.terms {
            match t {
                GateTerm::When(e) => {
                    // A gate's condition is a stage condition: it sees the stage's dependencies
                    // (all stages, for a gate declared once and used by several).
                    let mut s = scope.clone();
                    if !s.in_stage_condition {
                        s.nodes = self.decls.stage_names.clone();
                        s.in_stage_condition = true;
                    }
                    let cond = self.condition(e, &s);
                    out.push(Term {
                        gate: None,
                        span: e.span,
                        kind: TermKind::When(cond),
                    });
                }
                GateTerm::Ref(name) => {
                    let Some(&index) = self.decls.gates.get(&name.text.to_ascii_lowercase()) else {
                        let names: Vec<&str> = self
                            .ast
                            .gates
                            .iter()
                            .map(|g| g.name.text.as_str())
                            .collect();
                        let mut d = Diagnostic::error(
                            Code::UnknownGate,
                            name.span,
                            format!("unknown gate `{}`", name.text),
                        )
                        .label("no gate has this name")
                        .did_you_mean(
                            name.span,
                            &name.text,
                            names.iter().copied(),
                        );
                        if GATE_KINDS.contains(&name.text.as_str()) {
                            d = d.or_help(format!(
                                "to use the `{}` gate kind, give it settings: `{} {{ … }}`",
                                name.text, name.text
                            ));
                        }
                        self.diags.push(d);
                        continue;
                    };
                    self.used.gates.insert(name.text.to_ascii_lowercase());
                    for t in self.declared_gate(index).iter() {
                        if seen.insert(t.span) {
                            out.push(t.clone());
                        }
                    }
                }
                GateTerm::Kind(k) => {
                    if let Some(kind) = self.gate_kind(k, scope) {
                        out.push(Term {
                            gate: None,
                            span: k.span,
                            kind,
                        });
                    }
                }
            }
        }
        out
    }

    /// A declared gate, resolved once.
    pub(crate) fn declared_gate(&mut self, index: usize) -> Rc<Vec<Term>> {
        if let Some(r) = self.gate_state.resolved.get(&index) {
            return r.clone();
        }
        let decl = &self.ast.gates[index];
        if let Some(pos) = self.gate_state.stack.iter().position(|&i| i == index) {
            let mut names: Vec<&str> = self.gate_state.stack[pos..]
                .iter()
                .map(|&i| self.ast.gates[i].name.text.as_str())
                .collect();
            names.push(&decl.name.text);
            self.diags.push(
                Diagnostic::error(
                    Code::Cycle,
                    decl.name.span,
                    format!(
                        "gates refer to each other in a cycle: {}",
                        names.join(" → ")
                    ),
                )
                .label("part of the cycle")
                .help("a gate cannot include itself; remove one of the references"),
            );
            return Rc::new(Vec::new());
        }
        if self.gate_state.stack.len() >= 100 {
            if std::mem::replace(&mut self.gate_state.depth_reported, true) {
                return Rc::new(Vec::new());
            }
            self.diags.push(
                Diagnostic::error(
                    Code::Cycle,
                    decl.name.span,
                    "gates refer to each other more than 100 deep",
                )
                .label("too deep")
                .help(
                    "combine the gates with `+` in one declaration instead of chaining references",
                ),
            );
            return Rc::new(Vec::new());
        }
        self.gate_state.stack.push(index);
        let scope = self.root_scope();
        let mut terms = self.gate_terms(&decl.gate, &scope);
        self.gate_state.stack.pop();
        for t in &mut terms {
            t.gate.get_or_insert_with(|| decl.name.text.clone());
        }
        let rc = Rc::new(terms);
        self.gate_state.resolved.insert(index, rc.clone());
        rc
    }

    fn gate_kind(&mut self, k: &ast::GateKind, scope: &Scope) -> Option<TermKind> {
        let kind = k.kind.text.as_str();
        match kind {
            "approval" => {
                let s = self.settings(&k.settings, Block::Approval);
                let Some(approvers) = self.text_list(s.get("approvers"), scope) else {
                    return self.missing(
                        k,
                        "approvers",
                        "approvers [\"release-managers@example.com\"]",
                    );
                };
                let min = self.number(s.get("min"), scope).unwrap_or(0.0);
                if approvers.is_empty() {
                    self.never_passes(
                        s.get("approvers").map_or(k.span, |v| v.span),
                        "an approval with no approvers can never be given",
                    );
                } else if min < 0.0 || min.fract() != 0.0 {
                    self.diags.push(
                        Diagnostic::error(
                            Code::OutOfRange,
                            s.get("min").map_or(k.span, |v| v.span),
                            "`min` is a whole number of approvers",
                        )
                        .label("not a count"),
                    );
                } else if min as usize > approvers.len() {
                    let span = s.get("min").map_or(k.span, |v| v.span);
                    self.diags.push(
                        Diagnostic::error(
                            Code::GateNeverPasses,
                            span,
                            format!(
                                "this approval needs {min} approvers but lists only {}",
                                approvers.len()
                            ),
                        )
                        .label("can never be met")
                        .related(
                            s.get("approvers").map_or(k.span, |v| v.span),
                            "the approvers",
                        )
                        .help("lower `min`, or add approvers (a group counts as one)"),
                    );
                }
                let approval = ir::Approval {
                    approvers,
                    min_approvers: min.max(0.0) as u64,
                    instructions: self.opt_text(s.get("instructions"), scope),
                    timeout_minutes: self
                        .minutes(s.get("timeout"), MAX_CHECK_MINUTES, "an approval's timeout")
                        .unwrap_or(MAX_CHECK_MINUTES),
                    requester_can_approve: self
                        .bool(s.get("requester_can_approve"), scope)
                        .unwrap_or(true),
                    in_sequence: self.bool(s.get("in_sequence"), scope).unwrap_or(false),
                };
                if self.bool(s.get("yaml"), scope).unwrap_or(false) {
                    Some(TermKind::YamlApproval(approval))
                } else {
                    Some(TermKind::Check(ir::CheckKind::Approval(approval)))
                }
            }
            "branch_control" => {
                let s = self.settings(&k.settings, Block::BranchControl);
                let Some(allowed) = self.text_list(s.get("allow"), scope) else {
                    return self.missing(k, "allow", "allow [\"refs/heads/main\"]");
                };
                if allowed.is_empty() {
                    self.never_passes(
                        s.get("allow").map_or(k.span, |v| v.span),
                        "a branch control that allows no branch can never pass",
                    );
                }
                if let Some(bad) = allowed
                    .iter()
                    .find(|b| b.trim_end_matches('*').contains('*'))
                {
                    self.diags.push(
                        Diagnostic::error(Code::InvalidValue, s.get("allow").map_or(k.span, |v| v.span), format!("`{bad}` has a `*` before its end"))
                            .label("unsupported wildcard")
                            .help("branch control matches a ref exactly or by prefix: `refs/heads/releases/*`"),
                    );
                }
                Some(TermKind::Check(ir::CheckKind::BranchControl {
                    allowed: allowed.iter().map(|b| qualify_ref(b)).collect(),
                    require_protection: self
                        .bool(s.get("require_protection"), scope)
                        .unwrap_or(false),
                    allow_unknown: self.bool(s.get("allow_unknown"), scope).unwrap_or(false),
                    timeout_minutes: self
                        .minutes(s.get("timeout"), MAX_CHECK_MINUTES, "a check's timeout")
                        .unwrap_or(1440),
                }))
            }
            "business_hours" => {
                let s = self.settings(&k.settings, Block::BusinessHours);
                let days_v = s.get("days");
                let mut days = Vec::new();
                if let Some(v) = days_v {
                    if let ast::ValueKind::List(items) = &v.kind {
                        for d in items {
                            if let Some(day) = self.day(d) {
                                days.push(day);
                            }
                        }
                        if items.is_empty() {
                            self.never_passes(v.span, "business hours with no days can never pass");
                        }
                    } else {
                        self.text_list(Some(v), scope);
                    }
                } else {
                    // Monday to Friday.
                    days = WEEKDAYS[1..6].iter().map(|d| d.to_string()).collect();
                }
                let start = self.clock(s.get("start"), scope).unwrap_or((9, 0));
                let end = self.clock(s.get("end"), scope).unwrap_or((17, 0));
                if start >= end {
                    let span = s.get("end").or(s.get("start")).map_or(k.span, |v| v.span);
                    self.diags.push(
                        Diagnostic::error(Code::GateNeverPasses, span, "business hours end before they start, so the check can never pass")
                            .label("end is not after start")
                            .help("Azure's business hours lie within one day; e.g. `start \"08:00\" end \"18:00\"`"),
                    );
                }
                Some(TermKind::Check(ir::CheckKind::BusinessHours {
                    days,
                    start: format!("{:02}:{:02}", start.0, start.1),
                    end: format!("{:02}:{:02}", end.0, end.1),
                    time_zone: self
                        .opt_text(s.get("time_zone"), scope)
                        .unwrap_or_else(|| "UTC".into()),
                    timeout_minutes: self
                        .minutes(s.get("timeout"), MAX_CHECK_MINUTES, "a check's timeout")
                        .unwrap_or(1440),
                }))
            }
            "lock" => {
                let s = self.settings(&k.settings, Block::Lock);
                let behavior = self
                    .word(s.get("behavior"), schema::LOCK_BEHAVIORS)
                    .map_or(ir::LockBehavior::RunLatest, |w| lock_behavior(&w));
                let timeout = self
                    .minutes(s.get("timeout"), MAX_CHECK_MINUTES, "a lock's timeout")
                    .unwrap_or(MAX_CHECK_MINUTES);
                Some(TermKind::Lock {
                    behavior,
                    timeout_minutes: timeout,
                })
            }
            "manual_validation" => {
                let s = self.settings(&k.settings, Block::ManualValidation);
                let Some(notify) = self.text_list(s.get("notify"), scope) else {
                    return self.missing(k, "notify", "notify [\"qa@example.com\"]");
                };
                Some(TermKind::ManualValidation {
                    notify,
                    approvers: self
                        .text_list(s.get("approvers"), scope)
                        .unwrap_or_default(),
                    instructions: self.opt_text(s.get("instructions"), scope),
                    timeout_minutes: self
                        .minutes(
                            s.get("timeout"),
                            MAX_CHECK_MINUTES,
                            "a manual validation's timeout",
                        )
                        .unwrap_or(60),
                    on_timeout: self
                        .word(s.get("on_timeout"), schema::ON_TIMEOUT)
                        .unwrap_or_else(|| "reject".into()),
                })
            }
            "delay" => {
                let s = self.settings(&k.settings, Block::Delay);
                if s.get("for").is_none() {
                    return self.missing(k, "for", "for 30m");
                }
                let minutes = self.minutes(s.get("for"), MAX_CHECK_MINUTES, "a delay")?;
                Some(TermKind::Delay { minutes })
            }
            "http" => {
                let s = self.settings(&k.settings, Block::Http);
                let Some(connection) = self.opt_text(s.get("connection"), scope) else {
                    return self.missing(k, "connection", "connection \"my-service-connection\"");
                };
                let headers = match s.get("headers") {
                    Some(v) => self.text_entries(v, scope, "header", "send a header"),
                    None => indexmap::IndexMap::new(),
                };
                let callback = self.bool(s.get("callback"), scope).unwrap_or(false);
                let success = self.opt_text(s.get("success"), scope);
                if !callback && success.is_none() {
                    self.diags.push(
                        Diagnostic::warning(Code::GateAlwaysPasses, k.kind.span, "an HTTP check without `success` passes on any answer")
                            .label("no success criteria")
                            .help("add e.g. `success \"eq(root['status'], 'ok')\"`, or `callback true` if the service calls back"),
                    );
                }
                Some(TermKind::Check(ir::CheckKind::Http(ir::Http {
                    connection,
                    method: self
                        .word(s.get("method"), schema::HTTP_METHODS)
                        .unwrap_or_else(|| "POST".into()),
                    url_suffix: self.opt_text(s.get("url_suffix"), scope),
                    body: self.opt_text(s.get("body"), scope),
                    headers,
                    success,
                    callback,
                    timeout_minutes: self
                        .minutes(s.get("timeout"), MAX_CHECK_MINUTES, "a check's timeout")
                        .unwrap_or(60),
                    retry_interval_minutes: self
                        .minutes(
                            s.get("retry_interval"),
                            MAX_CHECK_MINUTES,
                            "a retry interval",
                        )
                        .unwrap_or(5),
                })))
            }
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        Code::UnknownGate,
                        k.kind.span,
                        format!("unknown gate kind `{kind}`"),
                    )
                    .label("not a gate kind")
                    .did_you_mean(k.kind.span, kind, GATE_KINDS.iter().copied())
                    .or_help(format!("the gate kinds are {}", GATE_KINDS.join(", "))),
                );
                None
            }
        }
    }

    fn missing(&mut self, k: &ast::GateKind, setting: &str, example: &str) -> Option<TermKind> {
        self.diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                k.span,
                format!(
                    "{} `{}` needs `{setting}`",
                    article(&k.kind.text),
                    k.kind.text
                ),
            )
            .label(format!("no `{setting}`"))
            .help(format!("add e.g. `{example}`")),
        );
        None
    }

    fn never_passes(&mut self, span: Span, message: &str) {
        self.diags.push(
            Diagnostic::error(Code::GateNeverPasses, span, message.to_string())
                .label("can never pass"),
        );
    }

    fn day(&mut self, v: &ast::Value) -> Option<String> {
        let text = match &v.kind {
            ast::ValueKind::Path(p) if p.segments.len() == 1 => p.segments[0].text.clone(),
            ast::ValueKind::Str(s) => s.clone(),
            _ => String::new(),
        };
        let lower = text.to_ascii_lowercase();
        if lower.len() >= 2
            && let Some(d) = WEEKDAYS
                .iter()
                .find(|d| d.to_ascii_lowercase().starts_with(&lower))
        {
            return Some(d.to_string());
        }
        let fix_span = self.unquoted(v.span);
        self.diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                v.span,
                format!("`{text}` is not a day of the week"),
            )
            .label("not a day")
            .did_you_mean(fix_span, &text, WEEKDAYS.iter().copied())
            .or_help("write days as Mon, Tue, … or Monday, Tuesday, …"),
        );
        None
    }

    /// `"HH:MM"` on a 24-hour clock.
    fn clock(&mut self, v: Option<&ast::Value>, scope: &Scope) -> Option<(u32, u32)> {
        let value = v?;
        let text = self.text(value, scope)?;
        let parsed = text
            .split_once(':')
            .and_then(|(h, m)| Some((h.parse::<u32>().ok()?, m.parse::<u32>().ok()?)));
        match parsed {
            Some((h, m)) if h < 24 && m < 60 && text.len() <= 5 => Some((h, m)),
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        value.span,
                        format!("`{text}` is not a time of day"),
                    )
                    .label("expected HH:MM")
                    .help("write times on a 24-hour clock, e.g. \"08:30\" or \"17:00\""),
                );
                None
            }
        }
    }

    /// Checks that an environment's gates put on it; reports gates that cannot live there.
    pub(crate) fn environment_checks(&mut self, env: &ast::Environment) -> Vec<ir::Check> {
        let mut checks = Vec::new();
        let mut has_approval = false;
        for g in &env.gates {
            let scope = self.root_scope();
            for t in self.gate_terms(g, &scope) {
                match t.kind {
                    TermKind::Check(kind) => {
                        has_approval |= matches!(kind, ir::CheckKind::Approval(_));
                        checks.push(ir::Check {
                            gate: t.gate,
                            kind,
                            span: t.span,
                        });
                    }
                    TermKind::Lock {
                        timeout_minutes, ..
                    } => checks.push(ir::Check {
                        gate: t.gate,
                        kind: ir::CheckKind::ExclusiveLock { timeout_minutes },
                        span: t.span,
                    }),
                    TermKind::When(_) => {}
                    TermKind::YamlApproval(_)
                    | TermKind::ManualValidation { .. }
                    | TermKind::Delay { .. } => {
                        self.diags.push(
                            Diagnostic::error(Code::GatePlacement, t.span, "this gate runs inside the pipeline, so it can guard a stage but not an environment")
                                .label("runs as a job in the pipeline")
                                .help("move it to the stages that deploy here (`gate …` in the stage), or for an approval drop `yaml true` so that Azure holds it as a check"),
                        );
                    }
                }
            }
        }
        if env.protected && !has_approval {
            self.diags.push(
                Diagnostic::error(
                    Code::UnprotectedEnvironment,
                    env.name.span,
                    format!(
                        "environment `{}` is protected but has no approval",
                        env.name.text
                    ),
                )
                .label("protected")
                .help("add `gate approval { approvers [\"…\"] }` to it, or drop `protected`"),
            );
        }
        checks
    }

    /// The conditions an environment's `when` gates put on stages deploying into it.
    /// What an environment's gates put on a stage deploying into it: conditions
    /// (`when` terms) and the lock behaviour of an exclusive lock.
    pub(crate) fn environment_guards(
        &mut self,
        env_name: &str,
    ) -> (Vec<Expr>, Option<ir::LockBehavior>) {
        let Some(env) = self.env_decl(env_name) else {
            return (Vec::new(), None);
        };
        let mut out = Vec::new();
        let mut lock = None;
        for g in &env.gates {
            // Problems in these terms repeat those found when the environment was
            // checked; identical diagnostics are reported once (`Diagnostics::into_sorted`).
            let scope = self.root_scope();
            let terms = self.gate_terms(g, &scope);
            for t in terms {
                match t.kind {
                    TermKind::When(e) => out.push(e),
                    TermKind::Lock { behavior, .. } => lock = Some(behavior),
                    _ => {}
                }
            }
        }
        (out, lock)
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// `release` → `refs/heads/release`; fully qualified refs and `*` stay as they are.
pub fn qualify_ref(b: &str) -> String {
    if b.starts_with("refs/") || b == "*" {
        b.to_string()
    } else {
        format!("refs/heads/{b}")
    }
}

/// The condition a branch control puts on a stage: `Build.SourceBranch` matches one of the refs.
pub(crate) fn branch_condition(allowed: &[String], span: Span) -> Option<Expr> {
    if allowed.iter().any(|b| b == "*") {
        return None;
    }
    let var = || Expr {
        kind: ExprKind::Variable("Build.SourceBranch".into()),
        ty: Type::String,
        span,
    };
    let s = |t: &str| Expr {
        kind: ExprKind::Str(t.to_string()),
        ty: Type::String,
        span,
    };
    let mut alts: Vec<Expr> = allowed
        .iter()
        .map(|b| match b.strip_suffix('*') {
            Some(prefix) => Expr::call("startsWith", vec![var(), s(prefix)], span),
            None => Expr::call("eq", vec![var(), s(b)], span),
        })
        .collect();
    Some(if alts.len() == 1 {
        alts.pop().expect("one")
    } else {
        Expr::call("or", alts, span)
    })
}

//! Job strategies (`matrix`, `max_parallel`, `parallel` on an agent job) and
//! deployment strategies (`strategy run_once | rolling | canary { … }` with
//! its lifecycle hooks).
//!
//! The stage checker calls in at two points of a job: [`Checker::declare_matrix_vars`]
//! before its body, so that the legs' variables are in scope for its steps and
//! pool (`$(imageName)`), and [`Checker::job_strategy`] after, to build the
//! IR's [`ir::Strategy`]. Every check here reports and goes on; what is wrong is
//! left out of the IR (the IR is used only when no error was reported).
//!
//! Names, as Azure has them: a matrix leg's name matches `[A-Za-z][A-Za-z0-9_]*`
//! and is at most 100 characters; leg names are unique ignoring case.

use super::settings::Settings;
use super::{Checker, Scope};
use crate::ast::{self, Item, ValueKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::schema::{self, Block};
use crate::source::Span;

/// Azure's limit on the copies of a job (its engine's default cap,
/// SEMANTICS.md §2.5); it also bounds what `relc run` expands a job into.
const MAX_SLICES: u64 = 100;

/// Azure's limit on the length of a matrix leg's name.
const MAX_LEG_NAME: usize = 100;

/// Azure's rule for matrix configuration names: a letter first, then letters,
/// digits and `_`, at most [`MAX_LEG_NAME`] characters.
fn is_valid_leg_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_LEG_NAME
        && matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A whole number ≥ 1, as counts are written.
fn count(n: f64) -> Option<u64> {
    (n.fract() == 0.0 && n >= 1.0 && n <= u32::MAX as f64).then_some(n as u64)
}

impl<'a> Checker<'a> {
    /// The variables of the job's matrix legs join its scope before its body is
    /// checked, so that `$(imageName)` in its steps and pool is a known variable.
    /// A name in several legs is declared once; nothing is reported here.
    pub(super) fn declare_matrix_vars(&mut self, j: &ast::Job, scope: &mut Scope) {
        let Some(ValueKind::Object(matrix)) = j
            .body
            .settings
            .iter()
            .find(|s| s.key.text == "matrix")
            .map(|s| &s.value.kind)
        else {
            return;
        };
        for leg in &matrix.settings {
            let ValueKind::Object(vars) = &leg.value.kind else {
                continue;
            };
            for e in &vars.entries {
                if !scope
                    .vars
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(&e.key.text))
                {
                    scope.vars.push(e.key.text.clone());
                }
            }
        }
    }

    /// The job's strategy, from its settings (`st`) and its `strategy` blocks,
    /// and, when a deployment's `deploy` hook holds its steps, those steps (the
    /// job's own steps in the IR). `first_step`: where the first step written
    /// directly in the job (or brought by its templates) is, if there is one.
    pub(super) fn job_strategy(
        &mut self,
        j: &'a ast::Job,
        st: &Settings<'a>,
        scope: &Scope,
        first_step: Option<Span>,
    ) -> (Option<Box<ir::Strategy>>, Option<Vec<ir::Step>>) {
        if j.environment.is_some() {
            for key in ["matrix", "parallel", "max_parallel"] {
                if let Some(s) = st.setting(key) {
                    let help = if key == "max_parallel" {
                        "a rolling deployment takes it in its strategy: `strategy rolling { max_parallel 2 … }`"
                    } else {
                        "Azure multiplies agent jobs only; write a `job` for the copies, or roll the deployment out with `strategy rolling { … }`"
                    };
                    self.diags.push(
                        Diagnostic::error(
                            Code::StrategyMisplaced,
                            s.key.span,
                            format!("`{key}` is not a setting of a deployment job"),
                        )
                        .label("agent jobs only")
                        .help(help),
                    );
                }
            }
            return self.deployment_strategy(j, scope, first_step);
        }
        for s in &j.strategies {
            self.diags.push(
                Diagnostic::error(
                    Code::StrategyMisplaced,
                    s.span.sub(0, 0).to(s.name.span),
                    format!(
                        "`strategy` rolls out a deployment, and `{}` is an agent job",
                        j.name.text
                    ),
                )
                .label("deployment jobs only")
                .help(format!(
                    "make it a deployment (`deployment {} to ENV {{ … }}`), or multiply the job with `matrix {{ … }}` or `parallel N`",
                    j.name.text
                )),
            );
        }
        (self.agent_strategy(st, scope), None)
    }

    /// `matrix { … }` with `max_parallel`, or `parallel N`.
    fn agent_strategy(&mut self, st: &Settings<'a>, scope: &Scope) -> Option<Box<ir::Strategy>> {
        let matrix = st.setting("matrix");
        let parallel = st.setting("parallel");
        let max_parallel = st.setting("max_parallel");
        if let (Some(_), Some(p)) = (matrix, parallel) {
            self.diags.push(
                Diagnostic::error(
                    Code::StrategyMisplaced,
                    p.key.span,
                    "a job has either a `matrix` or `parallel` slices, not both",
                )
                .label("second strategy")
                .related(matrix.map_or(p.key.span, |m| m.key.span), "matrix here")
                .help("Azure's job strategy is one of the two; drop one"),
            );
            // The legs are still checked, for what else is wrong with them.
            if let Some(m) = matrix {
                self.legs(&m.value, m.key.span, scope);
            }
            return None;
        }
        if let (None, Some(m)) = (matrix, max_parallel) {
            self.diags.push(
                Diagnostic::error(
                    Code::StrategyMisplaced,
                    m.key.span,
                    "`max_parallel` limits the legs of a matrix, and this job has none",
                )
                .label("no matrix")
                .help("add `matrix { leg { VAR = \"value\" } … }`, or remove `max_parallel` (parallel slices all run at once)"),
            );
        }
        if let Some(p) = parallel {
            let n = self.positive(&p.value, scope, "`parallel`")?;
            if n > MAX_SLICES {
                self.diags.push(
                    Diagnostic::error(
                        Code::OutOfRange,
                        p.value.span,
                        format!("Azure runs at most {MAX_SLICES} slices of a job"),
                    )
                    .label("too many slices")
                    .help(
                        "Azure expands a job into at most 100 copies; split the work differently",
                    ),
                );
                return None;
            }
            return Some(Box::new(ir::Strategy::Parallel { count: n }));
        }
        let m = matrix?;
        let max_parallel = match max_parallel {
            Some(s) => Some(self.positive(&s.value, scope, "`max_parallel`")?),
            None => None,
        };
        let legs = self.legs(&m.value, m.key.span, scope)?;
        Some(Box::new(ir::Strategy::Matrix { legs, max_parallel }))
    }

    /// A whole number ≥ 1 (E052 otherwise; E004 for what is not a number).
    fn positive(&mut self, v: &ast::Value, scope: &Scope, what: &str) -> Option<u64> {
        let n = self.number(Some(v), scope)?;
        let c = count(n);
        if c.is_none() {
            self.diags.push(
                Diagnostic::error(
                    Code::OutOfRange,
                    v.span,
                    format!("{what} is a whole number of at least 1"),
                )
                .label("out of range"),
            );
        }
        c
    }

    /// The legs of `matrix { name { VAR = "value" … } … }`.
    fn legs(&mut self, v: &ast::Value, key: Span, scope: &Scope) -> Option<Vec<ir::Leg>> {
        let ValueKind::Object(obj) = &v.kind else {
            self.diags.push(
                Diagnostic::error(Code::InvalidValue, v.span, "a matrix is a block of legs")
                    .label("expected `{ leg { VAR = \"value\" } … }`")
                    .help("write each leg as `name { VAR = \"value\" }`: `matrix { linux { image = \"ubuntu-22.04\" } }`"),
            );
            return None;
        };
        let mut ok = true;
        for e in &obj.entries {
            ok = false;
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    e.key.span,
                    format!("`{} = …` in a matrix is not a leg", e.key.text),
                )
                .label("expected a leg")
                .help(format!(
                    "a leg is a name and a block of its variables: `leg {{ {} = … }}`",
                    e.key.text
                )),
            );
        }
        self.no_when(&obj.when, "a matrix");
        ok &= obj.when.is_empty();
        if obj.settings.is_empty() && obj.entries.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    v.span,
                    "a matrix needs at least one leg",
                )
                .label("no legs")
                .related(key, "matrix here")
                .help("add a leg: `matrix { linux { image = \"ubuntu-22.04\" } }`"),
            );
            return None;
        }
        let mut legs: Vec<ir::Leg> = Vec::with_capacity(obj.settings.len());
        let mut spans: Vec<Span> = Vec::with_capacity(obj.settings.len());
        for leg in &obj.settings {
            let name = &leg.key;
            if !is_valid_leg_name(&name.text) {
                ok = false;
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidName,
                        name.span,
                        format!("Azure rejects `{}` as a matrix leg name", name.text),
                    )
                    .label("invalid leg name")
                    .help("leg names may only contain letters, digits and '_', must start with a letter, and are at most 100 characters"),
                );
            }
            if let Some(i) = legs
                .iter()
                .position(|l| l.name.eq_ignore_ascii_case(&name.text))
            {
                ok = false;
                self.diags.push(
                    Diagnostic::error(
                        Code::Duplicate,
                        name.span,
                        format!("the matrix has two legs named `{}`", name.text),
                    )
                    .label("second leg")
                    .related(spans[i], "first leg with this name")
                    .help("leg names must be unique (compared without regard to case)"),
                );
                continue;
            }
            let ValueKind::Object(body) = &leg.value.kind else {
                ok = false;
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        leg.value.span,
                        format!("leg `{}` is a block of variables", name.text),
                    )
                    .label("expected `{ VAR = \"value\" … }`")
                    .help(format!("write `{} {{ VAR = \"value\" }}`", name.text)),
                );
                continue;
            };
            for s in &body.settings {
                ok = false;
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        s.key.span,
                        format!("leg variables are written `{} = value`", s.key.text),
                    )
                    .label("missing `=`")
                    .help("a leg's block holds its variables, `NAME = \"value\"`; settings of the job go in the job"),
                );
            }
            self.no_when(&body.when, "a matrix leg");
            ok &= body.when.is_empty();
            let mut variables = Vec::with_capacity(body.entries.len());
            for e in &body.entries {
                if let Some(t) = self.text(&e.value, scope) {
                    variables.push((e.key.text.clone(), t));
                } else {
                    ok = false;
                }
            }
            spans.push(name.span);
            legs.push(ir::Leg {
                name: name.text.clone(),
                variables,
            });
        }
        ok.then_some(legs)
    }

    /// A deployment's strategy block (at most one), its settings and hooks; the
    /// steps of its `deploy` hook when they are written there.
    fn deployment_strategy(
        &mut self,
        j: &'a ast::Job,
        scope: &Scope,
        first_step: Option<Span>,
    ) -> (Option<Box<ir::Strategy>>, Option<Vec<ir::Step>>) {
        let has_steps = first_step.is_some();
        let Some(s) = j.strategies.first() else {
            return (None, None);
        };
        for again in &j.strategies[1..] {
            self.diags.push(
                Diagnostic::error(
                    Code::RepeatedSetting,
                    again.name.span,
                    "`strategy` is given twice",
                )
                .label("second strategy")
                .related(s.name.span, "first one here")
                .help("a deployment has one strategy; keep one of them"),
            );
        }
        let names = schema::STRATEGIES;
        let block = match s.name.text.as_str() {
            "run_once" => Block::RunOnce,
            "rolling" => Block::Rolling,
            "canary" => Block::Canary,
            other => {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        s.name.span,
                        format!("`{other}` is not a deployment strategy"),
                    )
                    .label("unknown strategy")
                    .did_you_mean(s.name.span, other, names.iter().copied())
                    .or_help(format!("the strategies are {}", names.join(", "))),
                );
                return (None, None);
            }
        };
        let set = self.settings(&s.settings, block);
        let mut hooks = ir::Hooks::default();
        let mut deploy: Option<(Vec<ir::Step>, Span)> = None;
        let mut seen: Vec<&ast::Name> = Vec::new();
        for h in &s.hooks {
            let Some(&hook) = schema::HOOKS.iter().find(|n| **n == h.name.text) else {
                self.diags.push(
                    Diagnostic::error(
                        Code::UnknownSetting,
                        h.name.span,
                        format!("`{}` is not a hook of {}", h.name.text, block.what()),
                    )
                    .label("unknown hook")
                    .did_you_mean(h.name.span, &h.name.text, schema::HOOKS.iter().copied())
                    .or_help(format!("the hooks are {}", schema::HOOKS.join(", "))),
                );
                continue;
            };
            if let Some(first) = seen.iter().find(|n| n.text == hook) {
                self.diags.push(
                    Diagnostic::error(
                        Code::RepeatedSetting,
                        h.name.span,
                        format!("hook `{hook}` is given twice"),
                    )
                    .label("second one")
                    .related(first.span, "first one here")
                    .help("merge their steps into one hook"),
                );
                continue;
            }
            seen.push(&h.name);
            let (pool, steps) = self.hook(h, j, scope);
            let slot = match hook {
                "pre_deploy" => &mut hooks.pre_deploy,
                "route_traffic" => &mut hooks.route_traffic,
                "post_route_traffic" => &mut hooks.post_route_traffic,
                "on_failure" => &mut hooks.on_failure,
                "on_success" => &mut hooks.on_success,
                _ => {
                    hooks.deploy_pool = pool;
                    deploy = Some((steps, h.name.span));
                    continue;
                }
            };
            *slot = Some(ir::Hook { pool, steps });
        }
        if let Some((steps, span)) = &deploy
            && let Some(first) = first_step
            && !steps.is_empty()
        {
            self.diags.push(
                Diagnostic::error(
                    Code::StrategyMisplaced,
                    *span,
                    format!(
                        "deployment `{}` has steps both in its body and in its `deploy` hook",
                        j.name.text
                    ),
                )
                .label("second set of deploy steps")
                .related(first, "a step written directly in the deployment")
                .help("steps written directly in a deployment are its deploy hook; move them all into `deploy { … }`"),
            );
        }
        let has_deploy = has_steps || deploy.as_ref().is_some_and(|(s, _)| !s.is_empty());
        if matches!(block, Block::Rolling | Block::Canary) && !has_deploy {
            self.diags.push(
                Diagnostic::error(
                    Code::StrategyMisplaced,
                    s.name.span,
                    format!("a {} deployment needs a `deploy` hook", s.name.text),
                )
                .label("nothing to deploy")
                .help("add the steps that deploy: `deploy { script \"./deploy.sh\" }`"),
            );
        }
        let strategy = match block {
            Block::Rolling => ir::Strategy::Rolling {
                max_parallel: set.get("max_parallel").and_then(|v| self.batch(v)),
                hooks,
            },
            Block::Canary => ir::Strategy::Canary {
                increments: set
                    .get("increments")
                    .and_then(|v| self.increments(v, scope))
                    .unwrap_or_default(),
                hooks,
            },
            _ => ir::Strategy::RunOnce { hooks },
        };
        let steps = deploy.map(|(s, _)| s).filter(|_| !has_steps);
        (Some(Box::new(strategy)), steps)
    }

    /// A hook's pool and steps. A hook holds steps (templates of steps
    /// included) and a pool only, as Azure's hooks do.
    fn hook(
        &mut self,
        h: &'a ast::Hook,
        j: &ast::Job,
        scope: &Scope,
    ) -> (Option<ir::Pool>, Vec<ir::Step>) {
        for item in &h.body.items {
            // Gates and jobs are reported by the job body's expansion below.
            let (span, what) = match item {
                Item::When(e) => (e.span, "a condition"),
                Item::Var(ast::VarDecl::Var { name, .. } | ast::VarDecl::Secret { name }) => {
                    (name.span, "a variable")
                }
                Item::Var(ast::VarDecl::Group { value }) => (value.span, "a variable group"),
                _ => continue,
            };
            self.diags.push(
                Diagnostic::error(
                    Code::StrategyMisplaced,
                    span,
                    format!("a hook holds steps and a pool, not {what}"),
                )
                .label("not allowed in a hook")
                .help("Azure's lifecycle hooks take only `steps` and `pool`; put it in the deployment job, or in a step's `{ when … }`"),
            );
        }
        let mut inner = scope.clone();
        let (steps, settings) = self.hook_body(&h.body, &mut inner, &j.name.text);
        let st = self.settings_of(&settings, Block::Hook);
        let pool = st.get("pool").and_then(|v| self.pool(v, scope));
        (pool, steps)
    }

    /// A rolling deployment's `max_parallel`: a count, or a percentage 1–100.
    fn batch(&mut self, v: &ast::Value) -> Option<ir::MaxParallel> {
        let out_of_range = |c: &mut Self, msg: &str| {
            c.diags.push(
                Diagnostic::error(Code::OutOfRange, v.span, msg.to_string())
                    .label("out of range")
                    .help("write a count of targets (`2`) or a percentage of them from 1% to 100% (`\"25%\"`)"),
            );
            None
        };
        match &v.kind {
            ValueKind::Number(n) => match count(*n) {
                Some(c) => Some(ir::MaxParallel::Count(c)),
                None => out_of_range(self, "`max_parallel` is a whole number of at least 1"),
            },
            ValueKind::Str(t) => {
                let t = t.trim();
                let (digits, percent) = match t.strip_suffix('%') {
                    Some(d) => (d.trim(), true),
                    None => (t, false),
                };
                match (digits.parse::<u64>(), percent) {
                    (Ok(p), true) if (1..=100).contains(&p) => Some(ir::MaxParallel::Percent(p)),
                    (Ok(_), true) => {
                        out_of_range(self, "a percentage of targets is from 1% to 100%")
                    }
                    (Ok(c), false) if c >= 1 => Some(ir::MaxParallel::Count(c)),
                    (Ok(_), false) => {
                        out_of_range(self, "`max_parallel` is a whole number of at least 1")
                    }
                    (Err(_), _) => {
                        self.diags.push(
                            Diagnostic::error(
                                Code::InvalidValue,
                                v.span,
                                format!("`{t}` is neither a count nor a percentage"),
                            )
                            .label("expected `2` or `\"25%\"`")
                            .help("write a count of targets (`2`) or a percentage of them (`\"25%\"`)"),
                        );
                        None
                    }
                }
            }
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        v.span,
                        "expected a count or a percentage",
                    )
                    .label("expected `2` or `\"25%\"`"),
                );
                None
            }
        }
    }

    /// A canary's `increments`: percentages, each 1–99, strictly increasing
    /// (the last step, 100 %, is Azure's and is not written).
    fn increments(&mut self, v: &ast::Value, scope: &Scope) -> Option<Vec<u64>> {
        let ValueKind::List(items) = &v.kind else {
            self.diags.push(
                Diagnostic::error(Code::InvalidValue, v.span, "expected a list of percentages")
                    .label("expected `[10, 20]`"),
            );
            return None;
        };
        let mut out: Vec<u64> = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            let Some(n) = self.number(Some(item), scope) else {
                ok = false;
                continue;
            };
            let msg = match (count(n), out.last()) {
                (Some(p), _) if p >= 100 => Some(format!(
                    "an increment is a percentage below 100 (Azure deploys to 100% after the last one), not {p}"
                )),
                (Some(p), Some(&last)) if p <= last => {
                    Some(format!("increments grow: {p} comes after {last}"))
                }
                (Some(_), _) => None,
                (None, _) => Some("an increment is a whole percentage from 1 to 99".to_string()),
            };
            match msg {
                Some(m) => {
                    ok = false;
                    self.diags.push(
                        Diagnostic::error(Code::OutOfRange, item.span, m)
                            .label("out of range")
                            .help("write the percentages of targets to reach before all of them, growing: `increments [10, 20]`"),
                    );
                }
                None => out.extend(count(n)),
            }
        }
        ok.then_some(out)
    }
}

//! Lowering: pest's parse tree → [`crate::ast`].
//!
//! Each `lower_*` function takes the pair of one grammar rule. The grammar
//! guarantees the shape of the children, so the `next()` calls below only
//! fail if grammar and lowering disagree; `expect_child` turns that into a
//! panic with the rule name, caught by the tests that parse every example.

use super::parser::Rule;
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Span};
use pest::iterators::{Pair, Pairs};

pub(super) struct Lower<'d> {
    file: FileId,
    /// Offset in the file of the text being lowered (a piece of it, see
    /// [`super::error::declaration_starts`]); pest's positions are relative to it.
    base: usize,
    diagnostics: &'d mut Diagnostics,
    /// How deep the expression being lowered is nested: a bound on the depth
    /// of the expression trees it builds (see [`MAX_EXPR_DEPTH`]).
    expr_depth: usize,
    /// Jobs, steps and `use "…"` written at the root of the file, in order (see [`Lower::root_stage`]).
    root: Vec<Item>,
    /// For each `use "…"` of `root`, in order: how many stages came before it.
    root_use_at: Vec<usize>,
}

/// Expression trees are at most this deep, so that every later phase can walk
/// them recursively. Brackets alone nest at most [`super::error::MAX_NESTING`]
/// deep; `!` and accessor chains add to the depth too.
const MAX_EXPR_DEPTH: usize = 1_000;

impl<'d> Lower<'d> {
    pub(super) fn new(file: FileId, diagnostics: &'d mut Diagnostics) -> Lower<'d> {
        Lower {
            file,
            base: 0,
            diagnostics,
            expr_depth: 0,
            root: Vec::new(),
            root_use_at: Vec::new(),
        }
    }

    /// The implicit stage of jobs or steps written at the root of the file, once
    /// every piece is lowered: a pipeline is stages, or jobs, or steps (E006).
    ///
    /// A `use "…"` at the root has the level of the root: among root jobs it is a
    /// job template, among root steps a step template; in a pipeline of stages,
    /// or with nothing else at the root, it is a stage template and moves to
    /// [`File::external_stages`].
    pub(super) fn root_stage(&mut self, file: &mut File) -> Option<Stage> {
        let mut items = std::mem::take(&mut self.root);
        let mut at = std::mem::take(&mut self.root_use_at).into_iter();
        let stage_level = !file.stages.is_empty()
            || !items
                .iter()
                .any(|i| matches!(i, Item::Job(_) | Item::Step(_)));
        if stage_level {
            items.retain(|i| match i {
                Item::External(t) => {
                    let before = at.next().unwrap_or(file.stages.len());
                    file.external_stages.push((before, t.clone()));
                    false
                }
                _ => true,
            });
        }
        let first = items.first()?;
        let span_of = |i: &Item| match i {
            Item::Job(j) => j.name.span,
            Item::Step(s) => s.span,
            Item::External(t) => t.span,
            _ => unreachable!("only jobs, steps and external templates are root items"),
        };
        let at = span_of(first);
        if let Some(stage) = file.stages.first() {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::MixedRoot,
                    at,
                    "this pipeline has stages, so its jobs and steps belong in a stage",
                )
                .label("at the root of the file")
                .related(stage.name.span, "a stage of this pipeline")
                .help("move it into a stage, or write the whole pipeline as root jobs or steps"),
            );
            return None;
        }
        let jobs = items.iter().any(|i| matches!(i, Item::Job(_)));
        if jobs && let Some(step) = items.iter().find(|i| matches!(i, Item::Step(_))) {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::MixedRoot,
                    span_of(step),
                    "a step at the root of a pipeline that has root jobs",
                )
                .label("a step outside any job")
                .related(at, "a root job")
                .help("move the step into a job: a pipeline's root holds jobs or steps, not both"),
            );
            return None;
        }
        let here = Span {
            end: at.start,
            ..at
        };
        let name = |text: &str| Name {
            text: text.to_string(),
            span: here,
        };
        let body = if jobs {
            Body {
                items,
                settings: Vec::new(),
            }
        } else {
            Body {
                items: vec![Item::Job(Job {
                    name: name(crate::ir::IMPLICIT_JOB),
                    span: here,
                    display: None,
                    environment: None,
                    after: None,
                    strategies: Vec::new(),
                    body: Body {
                        items,
                        settings: Vec::new(),
                    },
                })],
                settings: Vec::new(),
            }
        };
        Some(Stage {
            name: name(crate::ir::IMPLICIT_STAGE),
            span: here,
            display: None,
            after: None,
            body,
            root: Some(if jobs {
                RootForm::Jobs
            } else {
                RootForm::Steps
            }),
        })
    }

    /// Lower the declarations of `pairs`, parsed from the text at offset `base`, into `out`.
    pub(super) fn declarations(&mut self, base: usize, pairs: Pairs<'_, Rule>, out: &mut File) {
        self.base = base;
        lower_declarations(self, pairs, out);
    }
}

fn lower_declarations(cx: &mut Lower<'_>, mut pairs: Pairs<'_, Rule>, out: &mut File) {
    let Some(root) = pairs.next() else { return };
    for item in root.into_inner() {
        match item.as_rule() {
            Rule::pipeline => {
                let p = cx.pipeline(item);
                if let Some(first) = &out.pipeline {
                    cx.diagnostics.push(
                        Diagnostic::error(
                            Code::Duplicate,
                            p.span,
                            "a file has at most one `pipeline` block",
                        )
                        .label("second `pipeline` block")
                        .related(first.span, "first `pipeline` block here")
                        .help("merge the two blocks into one"),
                    );
                } else {
                    out.pipeline = Some(p);
                }
            }
            Rule::import => {
                let span = cx.span(&item);
                let target = next(&mut item.into_inner().skip(1));
                let path_span = cx.span(&target);
                let path = cx.string(target);
                out.imports.push(Import {
                    path,
                    span,
                    path_span,
                });
            }
            Rule::var_decl | Rule::secret_decl | Rule::group_decl => {
                out.variables.push(cx.var(item))
            }
            Rule::resources => {
                for r in item.into_inner().skip(1) {
                    out.resources.push(cx.resource(r));
                }
            }
            Rule::artifact_decl => out
                .artifacts
                .push(cx.name(next(&mut item.into_inner().skip(1)))),
            Rule::environment => out.environments.push(cx.environment(item)),
            Rule::runtime_param => out.parameters.push(cx.runtime_param(item)),
            Rule::gate_decl => {
                let span = cx.span(&item);
                let mut inner = item.into_inner().skip(1);
                let name = cx.name(next(&mut inner));
                let gate = cx.gate_expr(next(&mut inner));
                out.gates.push(GateDecl { name, span, gate });
            }
            Rule::template => out.templates.push(cx.template(item)),
            Rule::extends => {
                let t = cx.external_template(item);
                if let Some(first) = &out.extends {
                    cx.diagnostics.push(
                        Diagnostic::error(
                            Code::RepeatedSetting,
                            t.span,
                            "a pipeline extends at most one template",
                        )
                        .label("second `extends`")
                        .related(first.span, "first `extends` here")
                        .help("keep one of them"),
                    );
                } else {
                    out.extends = Some(t);
                }
            }
            Rule::external_use => {
                let t = cx.external_template(item);
                cx.root_use_at.push(out.stages.len());
                cx.root.push(Item::External(t));
            }
            Rule::stage => out.stages.push(cx.stage(item)),
            Rule::job | Rule::deployment => {
                let job = cx.job(item);
                cx.root.push(Item::Job(job));
            }
            Rule::script_step
            | Rule::task_step
            | Rule::publish_step
            | Rule::download_step
            | Rule::checkout_step => {
                let step = cx.step(item);
                cx.root.push(Item::Step(step));
            }
            Rule::EOI => {}
            r => unreachable!("file item {r:?}"),
        }
    }
}

fn next<'i>(pairs: &mut impl Iterator<Item = Pair<'i, Rule>>) -> Pair<'i, Rule> {
    pairs.next().expect("grammar guarantees this child")
}

fn first(pair: Pair<'_, Rule>) -> Pair<'_, Rule> {
    pair.into_inner()
        .next()
        .expect("grammar guarantees this child")
}

impl Lower<'_> {
    /// The pair's span without trailing whitespace, which pest includes when an
    /// optional part after it did not match.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let text = pair.as_str();
        let start = self.base + s.start();
        Span::new(self.file, start, start + text.trim_end().len())
    }

    fn name(&self, pair: Pair<'_, Rule>) -> Name {
        Name {
            text: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn pipeline(&mut self, pair: Pair<'_, Rule>) -> Pipeline {
        let mut p = Pipeline {
            span: self.span(&pair),
            ..Pipeline::default()
        };
        for item in pair.into_inner() {
            match item.as_rule() {
                Rule::kw_pipeline => {}
                Rule::string => p.title = Some(self.string(item)),
                Rule::trigger | Rule::pr_trigger => {
                    let span = self.span(&item);
                    let is_pr = item.as_rule() == Rule::pr_trigger;
                    let body = item.into_inner().nth(1).expect("trigger body");
                    let filter = (body.as_rule() == Rule::object).then(|| self.object(body));
                    let t = Trigger { span, filter };
                    let slot = if is_pr { &mut p.pr } else { &mut p.trigger };
                    if let Some(first) = slot {
                        let what = if is_pr { "pr" } else { "trigger" };
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::RepeatedSetting,
                                span,
                                format!("`{what}` is given twice"),
                            )
                            .label("second one")
                            .related(first.span, "first one here")
                            .help(format!("merge them into one `{what} {{ … }}`")),
                        );
                    } else {
                        *slot = Some(t);
                    }
                }
                Rule::schedule => {
                    let span = self.span(&item);
                    let mut inner = item.into_inner().skip(1);
                    let name = self.name(next(&mut inner));
                    let settings = self.object(next(&mut inner));
                    p.schedules.push(Schedule {
                        name,
                        span,
                        settings,
                    });
                }
                Rule::var_decl | Rule::secret_decl | Rule::group_decl => {
                    p.variables.push(self.var(item))
                }
                Rule::setting => p.settings.push(self.setting(item)),
                r => unreachable!("pipeline item {r:?}"),
            }
        }
        p
    }

    /// `repository tools { type github  trigger { … } … }`
    fn resource(&mut self, pair: Pair<'_, Rule>) -> Resource {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let kind = match next(&mut inner).as_str() {
            "repository" => ResourceKind::Repository,
            "pipeline" => ResourceKind::Pipeline,
            "container" => ResourceKind::Container,
            "package" => ResourceKind::Package,
            _ => ResourceKind::Webhook,
        };
        let name = self.name(next(&mut inner));
        let mut r = Resource {
            kind,
            name,
            span,
            trigger: None,
            settings: Vec::new(),
            entries: Vec::new(),
        };
        for item in next(&mut inner).into_inner() {
            match item.as_rule() {
                Rule::resource_trigger => {
                    let span = self.span(&item);
                    let body = next(&mut item.into_inner().skip(1));
                    let kind = match body.as_rule() {
                        Rule::object => ResourceTriggerKind::Filter(self.object(body)),
                        Rule::boolean => ResourceTriggerKind::Bool(body.as_str() == "true"),
                        _ => ResourceTriggerKind::None,
                    };
                    if let Some(first) = &r.trigger {
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::RepeatedSetting,
                                span,
                                "`trigger` is given twice",
                            )
                            .label("second one")
                            .related(first.span, "first one here")
                            .help("merge them into one `trigger { … }`"),
                        );
                    } else {
                        r.trigger = Some(ResourceTrigger { span, kind });
                    }
                }
                Rule::setting => r.settings.push(self.setting(item)),
                Rule::input => r.entries.push(self.entry(item)),
                rule => unreachable!("resource item {rule:?}"),
            }
        }
        r
    }

    fn var(&mut self, pair: Pair<'_, Rule>) -> VarDecl {
        let rule = pair.as_rule();
        let mut inner = pair.into_inner().skip(1);
        let target = next(&mut inner);
        match rule {
            Rule::var_decl => {
                let name = self.name(target);
                let value = self.value(next(&mut inner));
                VarDecl::Var { name, value }
            }
            Rule::secret_decl => VarDecl::Secret {
                name: self.name(target),
            },
            _ => VarDecl::Group {
                value: self.value(target),
            },
        }
    }

    fn environment(&mut self, pair: Pair<'_, Rule>) -> Environment {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().skip(1);
        let name = self.name(next(&mut inner));
        let mut env = Environment {
            name,
            span,
            protected: false,
            gates: Vec::new(),
            settings: Vec::new(),
            properties: Vec::new(),
        };
        for item in inner {
            match item.as_rule() {
                Rule::kw_protected => env.protected = true,
                Rule::gate_use => env
                    .gates
                    .push(self.gate_expr(next(&mut item.into_inner().skip(1)))),
                Rule::setting => env.settings.push(self.setting(item)),
                Rule::input => env.properties.push(self.entry(item)),
                r => unreachable!("environment item {r:?}"),
            }
        }
        env
    }

    fn gate_expr(&mut self, pair: Pair<'_, Rule>) -> GateExpr {
        let span = self.span(&pair);
        let terms = pair
            .into_inner()
            .map(|term| match term.as_rule() {
                Rule::gate_when => GateTerm::When(self.expr(next(&mut term.into_inner().skip(1)))),
                Rule::gate_ref => GateTerm::Ref(self.name(first(term))),
                Rule::gate_kind => {
                    let span = self.span(&term);
                    let mut inner = term.into_inner();
                    let kind = self.name(next(&mut inner));
                    let obj = self.object(next(&mut inner));
                    for w in &obj.when {
                        self.diagnostics.push(
                            Diagnostic::error(Code::InvalidValue, w.span, "`when` is not a setting of a gate kind")
                                .label("not allowed here")
                                .help(format!("write the condition as its own term: `gate … = {} {{ … }} + when …`", kind.text)),
                        );
                    }
                    GateTerm::Kind(GateKind { kind, span, settings: obj.settings })
                }
                r => unreachable!("gate term {r:?}"),
            })
            .collect();
        GateExpr { span, terms }
    }

    fn runtime_param(&mut self, pair: Pair<'_, Rule>) -> RuntimeParam {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().skip(1);
        let name = self.name(next(&mut inner));
        let ty = self.name(next(&mut inner));
        let mut param = RuntimeParam {
            name,
            ty,
            default: None,
            body: Object::default(),
            span,
        };
        for item in inner {
            match item.as_rule() {
                Rule::value => param.default = Some(self.value(item)),
                Rule::object => param.body = self.object(item),
                r => unreachable!("parameter item {r:?}"),
            }
        }
        param
    }

    fn template(&mut self, pair: Pair<'_, Rule>) -> Template {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().skip(1);
        let name = self.name(next(&mut inner));
        let mut params = Vec::new();
        let mut body = Body::default();
        for item in inner {
            if item.as_rule() == Rule::param {
                let mut p = item.into_inner();
                let name = self.name(next(&mut p));
                let ty = self.name(next(&mut p));
                let default = p.next().map(|v| self.value(v));
                params.push(Param { name, ty, default });
            } else {
                self.body_item(item, &mut body);
            }
        }
        Template {
            name,
            span,
            params,
            body,
        }
    }

    fn if_item(&mut self, pair: Pair<'_, Rule>) -> If {
        let span = self.span(&pair);
        let mut branches = Vec::new();
        let mut condition = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::kw_if | Rule::kw_else => {}
                Rule::expr => condition = Some(self.expr(part)),
                Rule::if_block => {
                    let body = self.if_block(part);
                    branches.push((condition.take(), body));
                }
                Rule::else_if | Rule::else_block => {
                    for p in part.into_inner() {
                        match p.as_rule() {
                            Rule::expr => condition = Some(self.expr(p)),
                            Rule::if_block => {
                                let body = self.if_block(p);
                                branches.push((condition.take(), body));
                            }
                            _ => {}
                        }
                    }
                }
                r => unreachable!("if item {r:?}"),
            }
        }
        If { span, branches }
    }

    fn if_block(&mut self, pair: Pair<'_, Rule>) -> Body {
        let mut body = Body::default();
        for item in pair.into_inner() {
            self.body_item(item, &mut body);
        }
        body
    }

    fn body_item(&mut self, item: Pair<'_, Rule>, body: &mut Body) {
        let it = match item.as_rule() {
            Rule::job | Rule::deployment => Item::Job(self.job(item)),
            Rule::use_decl => {
                let span = self.span(&item);
                let mut inner = item.into_inner().skip(1);
                let template = self.name(next(&mut inner));
                let args = inner.map(|v| self.value(v)).collect();
                Item::Use(Use {
                    template,
                    span,
                    args,
                })
            }
            Rule::external_use => Item::External(self.external_template(item)),
            Rule::gate_use => Item::Gate(self.gate_expr(next(&mut item.into_inner().skip(1)))),
            Rule::when => Item::When(self.expr(next(&mut item.into_inner().skip(1)))),
            Rule::var_decl | Rule::secret_decl | Rule::group_decl => Item::Var(self.var(item)),
            Rule::setting => {
                body.settings.push(self.setting(item));
                return;
            }
            Rule::script_step
            | Rule::task_step
            | Rule::publish_step
            | Rule::download_step
            | Rule::checkout_step => Item::Step(self.step(item)),
            Rule::if_item => Item::If(self.if_item(item)),
            r => unreachable!("body item {r:?}"),
        };
        body.items.push(it);
    }

    /// `extends "PATH" from ALIAS { … }` or `use "PATH" from ALIAS { … }`.
    fn external_template(&mut self, pair: Pair<'_, Rule>) -> ExternalTemplate {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().skip(1);
        let path_pair = next(&mut inner);
        let path_span = self.span(&path_pair);
        let path = self.string(path_pair);
        let mut t = ExternalTemplate {
            path,
            path_span,
            repository: None,
            parameters: Object::default(),
            span,
        };
        for item in inner {
            match item.as_rule() {
                Rule::template_from => {
                    t.repository = Some(self.name(next(&mut item.into_inner().skip(1))))
                }
                Rule::object => t.parameters = self.object(item),
                r => unreachable!("external template item {r:?}"),
            }
        }
        t
    }

    fn after(&self, pair: Pair<'_, Rule>) -> After {
        let span = self.span(&pair);
        let target = next(&mut pair.into_inner().skip(1));
        let names = match target.as_rule() {
            Rule::kw_none => Vec::new(),
            Rule::name_list => target.into_inner().map(|n| self.name(n)).collect(),
            _ => vec![self.name(target)],
        };
        After { span, names }
    }

    fn stage(&mut self, pair: Pair<'_, Rule>) -> Stage {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().skip(1);
        let name = self.name(next(&mut inner));
        let mut stage = Stage {
            name,
            span,
            display: None,
            after: None,
            body: Body::default(),
            root: None,
        };
        for item in inner {
            match item.as_rule() {
                Rule::string => stage.display = Some(self.value_of_string(item)),
                Rule::after => stage.after = Some(self.after(item)),
                _ => self.body_item(item, &mut stage.body),
            }
        }
        stage
    }

    fn job(&mut self, pair: Pair<'_, Rule>) -> Job {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().skip(1);
        let name = self.name(next(&mut inner));
        let mut job = Job {
            name,
            span,
            display: None,
            environment: None,
            after: None,
            body: Body::default(),
            strategies: Vec::new(),
        };
        for item in inner {
            match item.as_rule() {
                Rule::string => job.display = Some(self.value_of_string(item)),
                Rule::kw_to => {}
                Rule::path => job.environment = Some(self.path(item)),
                Rule::after => job.after = Some(self.after(item)),
                Rule::strategy => {
                    let s = self.strategy(item);
                    job.strategies.push(s);
                }
                _ => self.body_item(item, &mut job.body),
            }
        }
        job.body.items.shrink_to_fit();
        job.body.settings.shrink_to_fit();
        job
    }

    fn strategy(&mut self, pair: Pair<'_, Rule>) -> Strategy {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().skip(1);
        let name = self.name(next(&mut inner));
        let mut strategy = Strategy {
            name,
            span,
            settings: Vec::new(),
            hooks: Vec::new(),
        };
        for item in inner {
            match item.as_rule() {
                Rule::setting => strategy.settings.push(self.setting(item)),
                Rule::hook => {
                    let span = self.span(&item);
                    let mut parts = item.into_inner();
                    let name = self.name(next(&mut parts));
                    let mut body = Body::default();
                    for i in parts {
                        self.body_item(i, &mut body);
                    }
                    strategy.hooks.push(Hook { name, span, body });
                }
                r => unreachable!("strategy item {r:?}"),
            }
        }
        strategy
    }

    fn step(&mut self, pair: Pair<'_, Rule>) -> Step {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        let head = next(&mut inner);
        let kind = match rule {
            Rule::script_step => {
                let shell = match head.as_str() {
                    "bash" => Shell::Bash,
                    "pwsh" => Shell::Pwsh,
                    "powershell" => Shell::PowerShell,
                    _ => Shell::Script,
                };
                StepKind::Script {
                    shell,
                    text: self.value(next(&mut inner)),
                }
            }
            Rule::task_step => {
                let r = next(&mut inner);
                StepKind::Task {
                    name: r.as_str().to_string(),
                    name_span: self.span(&r),
                }
            }
            Rule::publish_step => {
                let artifact = self.path(next(&mut inner));
                inner.next(); // `from`
                StepKind::Publish {
                    artifact,
                    from: self.value(next(&mut inner)),
                }
            }
            Rule::download_step => StepKind::Download {
                artifact: self.path(next(&mut inner)),
            },
            _ => StepKind::Checkout {
                repo: self.name(next(&mut inner)),
            },
        };
        let mut step = Step {
            span,
            kind,
            when: Vec::new(),
            settings: Vec::new(),
            inputs: Vec::new(),
        };
        if let Some(body) = inner.next() {
            for item in body.into_inner() {
                match item.as_rule() {
                    Rule::when => step
                        .when
                        .push(self.expr(next(&mut item.into_inner().skip(1)))),
                    Rule::setting => step.settings.push(self.setting(item)),
                    Rule::input => step.inputs.push(self.entry(item)),
                    r => unreachable!("step body item {r:?}"),
                }
            }
        }
        // Steps are the most numerous nodes: no spare capacity (a `Vec` starts at four).
        step.when.shrink_to_fit();
        step.settings.shrink_to_fit();
        step.inputs.shrink_to_fit();
        step
    }

    fn setting(&mut self, pair: Pair<'_, Rule>) -> Setting {
        let mut inner = pair.into_inner();
        let key = self.name(next(&mut inner));
        let value = self.value(next(&mut inner));
        Setting { key, value }
    }

    fn entry(&mut self, pair: Pair<'_, Rule>) -> Entry {
        let mut inner = pair.into_inner();
        let k = next(&mut inner);
        let key = if k.as_rule() == Rule::string {
            Name {
                span: self.span(&k),
                text: self.string(k),
            }
        } else {
            self.name(k)
        };
        let value = self.value(next(&mut inner));
        Entry { key, value }
    }

    fn object(&mut self, pair: Pair<'_, Rule>) -> Object {
        let mut obj = Object::default();
        for item in pair.into_inner() {
            match item.as_rule() {
                Rule::when => obj
                    .when
                    .push(self.expr(next(&mut item.into_inner().skip(1)))),
                Rule::setting => obj.settings.push(self.setting(item)),
                Rule::input => obj.entries.push(self.entry(item)),
                r => unreachable!("object item {r:?}"),
            }
        }
        obj
    }

    fn path(&self, pair: Pair<'_, Rule>) -> Path {
        Path {
            span: self.span(&pair),
            segments: pair.into_inner().map(|n| self.name(n)).collect(),
        }
    }

    fn value_of_string(&mut self, pair: Pair<'_, Rule>) -> Value {
        let span = self.span(&pair);
        Value {
            span,
            kind: ValueKind::Str(self.string(pair)),
        }
    }

    fn value(&mut self, pair: Pair<'_, Rule>) -> Value {
        let span = self.span(&pair);
        let mut terms: Vec<Value> = pair.into_inner().map(|t| self.term(t)).collect();
        if terms.len() == 1 {
            terms.pop().expect("one term")
        } else {
            Value {
                span,
                kind: ValueKind::Concat(terms),
            }
        }
    }

    fn term(&mut self, pair: Pair<'_, Rule>) -> Value {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::string | Rule::sq_string | Rule::raw_block => ValueKind::Str(self.string(pair)),
            Rule::duration => ValueKind::Duration(pair.as_str().to_string()),
            Rule::number => ValueKind::Number(pair.as_str().parse().unwrap_or(f64::NAN)),
            Rule::boolean => ValueKind::Bool(pair.as_str() == "true"),
            Rule::list => ValueKind::List(pair.into_inner().map(|v| self.value(v)).collect()),
            Rule::object => ValueKind::Object(self.object(pair)),
            Rule::path => ValueKind::Path(self.path(pair)),
            r => unreachable!("term {r:?}"),
        };
        Value { span, kind }
    }

    fn too_deep(&mut self, span: Span) {
        self.diagnostics.push(
            Diagnostic::error(Code::Syntax, span, "this expression nests too deeply")
                .label("too deeply nested")
                .help("split it into smaller conditions, e.g. named gates"),
        );
    }

    /// The text of any of the three string forms, escapes processed.
    fn string(&mut self, pair: Pair<'_, Rule>) -> String {
        let rule = pair.as_rule();
        let inner = first(pair);
        let raw = inner.as_str();
        match rule {
            Rule::sq_string => raw.replace("''", "'"),
            Rule::raw_block => dedent(raw),
            _ if memchr::memchr(b'\\', raw.as_bytes()).is_none() => raw.to_string(),
            _ => {
                let base = self.base + inner.as_span().start();
                let mut out = String::with_capacity(raw.len());
                let mut chars = raw.char_indices();
                while let Some((i, c)) = chars.next() {
                    if c != '\\' {
                        out.push(c);
                        continue;
                    }
                    match chars.next() {
                        Some((_, 'n')) => out.push('\n'),
                        Some((_, 't')) => out.push('\t'),
                        Some((_, 'r')) => out.push('\r'),
                        Some((_, '"')) => out.push('"'),
                        Some((_, '\\')) => out.push('\\'),
                        Some((j, other)) => {
                            let end = base + j + other.len_utf8();
                            self.diagnostics.push(
                                Diagnostic::error(
                                    Code::InvalidEscape,
                                    Span::new(self.file, base + i, end),
                                    format!("`\\{other}` is not an escape that strings know"),
                                )
                                .label("unknown escape")
                                .help(
                                    "strings know \\n, \\t, \\r, \\\" and \\\\; for text with backslashes \
                                     (Windows paths, regexes) use a '…' or \"\"\"…\"\"\" string, which keep it as written",
                                ),
                            );
                            out.push('\\');
                            out.push(other);
                        }
                        None => out.push('\\'),
                    }
                }
                out
            }
        }
    }

    /// Lower an expression nested `added` levels below the current one, or
    /// report it as too deep (and lower nothing below it).
    fn nested(&mut self, added: usize, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        if self.expr_depth + added > MAX_EXPR_DEPTH {
            self.too_deep(span);
            return Expr {
                span,
                kind: ExprKind::Bool(false),
            };
        }
        self.expr_depth += added;
        let e = self.expr(pair);
        self.expr_depth -= added;
        e
    }

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        match pair.as_rule() {
            // Every bracketed or nested expression goes through `expr`: count it
            // as a few levels of tree (logical, comparison, call).
            Rule::expr => self.nested(4, first(pair)),
            Rule::primary => self.expr(first(pair)),
            Rule::or_expr | Rule::and_expr => {
                let op = if pair.as_rule() == Rule::or_expr {
                    BinOp::Or
                } else {
                    BinOp::And
                };
                let mut operands: Vec<Expr> = pair.into_inner().map(|p| self.expr(p)).collect();
                if operands.len() == 1 {
                    return operands.pop().expect("one operand");
                }
                Expr {
                    span,
                    kind: ExprKind::Logical { op, operands },
                }
            }
            Rule::cmp_expr => {
                let mut inner = pair.into_inner();
                let lhs = self.expr(next(&mut inner));
                let Some(op) = inner.next() else { return lhs };
                let rhs = next(&mut inner);
                if op.as_rule() == Rule::in_op {
                    let negated = first(op).as_rule() == Rule::kw_not_in;
                    let list = rhs.into_inner().map(|e| self.expr(e)).collect();
                    return Expr {
                        span,
                        kind: ExprKind::In {
                            negated,
                            lhs: Box::new(lhs),
                            list,
                        },
                    };
                }
                let op = match op.as_str() {
                    "==" => BinOp::Eq,
                    "!=" => BinOp::Ne,
                    "<" => BinOp::Lt,
                    "<=" => BinOp::Le,
                    ">" => BinOp::Gt,
                    _ => BinOp::Ge,
                };
                let rhs = self.expr(rhs);
                Expr {
                    span,
                    kind: ExprKind::Binary {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                }
            }
            Rule::unary => {
                let mut nots = Vec::new();
                let mut operand = None;
                for p in pair.into_inner() {
                    if p.as_rule() == Rule::not_op {
                        nots.push(self.span(&p));
                    } else if nots.len() > super::error::MAX_NESTING {
                        self.too_deep(span);
                        return self.expr(p);
                    } else {
                        operand = Some(self.nested(nots.len(), p));
                    }
                }
                let mut e = operand.expect("operand");
                for not in nots.into_iter().rev() {
                    e = Expr {
                        span: not.to(e.span),
                        kind: ExprKind::Not(Box::new(e)),
                    };
                }
                e
            }
            Rule::postfix => {
                let mut inner = pair.into_inner();
                let primary = next(&mut inner);
                if inner.len() > super::error::MAX_NESTING {
                    self.too_deep(span);
                    return self.expr(primary);
                }
                let mut e = self.nested(inner.len(), primary);
                for acc in inner {
                    let acc_span = self.span(&acc);
                    let a = first(acc);
                    let kind = if a.as_rule() == Rule::name {
                        ExprKind::Field {
                            base: Box::new(e),
                            name: self.name(a),
                        }
                    } else {
                        ExprKind::Index {
                            base: Box::new(e),
                            index: Box::new(self.expr(a)),
                        }
                    };
                    e = Expr {
                        span: span.sub(0, 0).to(acc_span),
                        kind,
                    };
                }
                e
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let name = self.name(next(&mut inner));
                let args = inner.map(|a| self.expr(a)).collect();
                Expr {
                    span,
                    kind: ExprKind::Call { name, args },
                }
            }
            Rule::string | Rule::sq_string => Expr {
                span,
                kind: ExprKind::Str(self.string(pair)),
            },
            Rule::number => Expr {
                span,
                kind: ExprKind::Number(pair.as_str().parse().unwrap_or(f64::NAN)),
            },
            Rule::version => Expr {
                span,
                kind: ExprKind::Version(pair.as_str().to_string()),
            },
            Rule::boolean => Expr {
                span,
                kind: ExprKind::Bool(pair.as_str() == "true"),
            },
            Rule::ident => Expr {
                span,
                kind: ExprKind::Ident(pair.as_str().to_string()),
            },
            r => unreachable!("expression {r:?}"),
        }
    }
}

/// The text of a `"""` block: the first line break after the opening quotes
/// is dropped, the common indentation is removed, and a last line holding
/// only the closing quotes' indentation is dropped (its line break is kept).
pub(crate) fn dedent(raw: &str) -> String {
    // A file saved with Windows line ends gives the same text as one with `\n`.
    let normalized;
    let raw = if raw.contains('\r') {
        normalized = raw.replace("\r\n", "\n");
        normalized.as_str()
    } else {
        raw
    };
    let body = raw
        .strip_prefix("\r\n")
        .or_else(|| raw.strip_prefix('\n'))
        .unwrap_or(raw);
    let (body, closing_on_own_line) = match body.rfind('\n') {
        Some(i) if body[i + 1..].trim().is_empty() => (&body[..=i], true),
        _ => (body, false),
    };
    let indent = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(body.len());
    for line in body.split_inclusive('\n') {
        let cut = line.len() - line.trim_start_matches([' ', '\t']).len();
        out.push_str(&line[cut.min(indent)..]);
    }
    if !closing_on_own_line && out.ends_with('\n') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::dedent;

    #[test]
    fn dedent_strips_common_indentation_and_keeps_last_newline() {
        assert_eq!(dedent("\n    a\n      b\n    "), "a\n  b\n");
        assert_eq!(dedent("one line"), "one line");
        assert_eq!(dedent("\n  a\n\n  b\n  "), "a\n\nb\n");
        assert_eq!(dedent("\r\n    a\r\n      b\r\n    "), "a\n  b\n");
    }
}

//! Jobs: their bodies (steps, variables, conditions, templates), settings and names.

use super::stages::full_condition;
use super::templates::Level;
use super::{Checker, Scope};
use crate::ast::{self, Item};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Expr};
use crate::schema::Block;
use std::rc::Rc;

#[derive(Default)]
pub(super) struct JobParts<'a> {
    steps: Vec<ir::Step>,
    vars: Vec<ir::Variable>,
    conditions: Vec<Expr>,
    settings: Vec<&'a ast::Setting>,
}

impl<'a> Checker<'a> {
    pub(super) fn job(
        &mut self,
        j: &'a ast::Job,
        stage_scope: &Scope,
        job_names: &Rc<Vec<String>>,
    ) -> ir::Job {
        self.check_azure_name("job", &j.name);
        let deps: Vec<String> = j
            .after
            .as_ref()
            .map(|a| a.names.iter().map(|n| n.text.clone()).collect())
            .unwrap_or_default();
        let mut scope = Scope {
            nodes: Rc::new(deps),
            sibling_jobs: job_names.clone(),
            in_stage_condition: false,
            ..stage_scope.clone()
        };
        self.declare_matrix_vars(j, &mut scope);
        let kind = match &j.environment {
            None => ir::JobKind::Agent,
            Some(path) => ir::JobKind::Deployment {
                environment: self.environment_ref(path, &scope).unwrap_or_default(),
            },
        };
        // A resource of the environment, unless it is a virtual machine, may be a
        // Kubernetes namespace (`environment: env.resource` does not say which).
        let into_resource = match &kind {
            ir::JobKind::Deployment { environment } => {
                self.env_decl(environment).is_some_and(|e| {
                    let setting = |key: &str| e.settings.iter().find(|s| s.key.text == key);
                    let vm = setting("resource_type").is_some_and(|s| match &s.value.kind {
                        ast::ValueKind::Path(p) if p.segments.len() == 1 => {
                            p.segments[0].text.eq_ignore_ascii_case("virtualMachine")
                        }
                        ast::ValueKind::Str(t) => t.eq_ignore_ascii_case("virtualMachine"),
                        _ => false,
                    });
                    setting("resource").is_some() && !vm
                })
            }
            _ => false,
        };
        let outer = std::mem::replace(&mut self.into_environment_resource, into_resource);
        let mut parts = JobParts::default();
        self.job_body(&j.body, &mut scope, &mut parts, &j.name.text);
        self.into_environment_resource = outer;
        let st = self.settings_of(&parts.settings, Block::Job);
        let pool = st.get("pool").and_then(|v| self.pool(v, &scope));
        // `timeout none`: Azure's `timeoutInMinutes: 0`, the longest the agent allows.
        let timeout = st.get("timeout").and_then(|v| match &v.kind {
            ast::ValueKind::Path(p) if p.segments.len() == 1 && p.segments[0].text == "none" => {
                Some(0)
            }
            _ => self.minutes(Some(v), 35_790, "a job's timeout"),
        });
        let cancel = st
            .get("cancel_timeout")
            .and_then(|v| self.minutes(Some(v), 35_790, "a job's cancel timeout"));
        let continue_on_error = self
            .bool(st.get("continue_on_error"), &scope)
            .unwrap_or(false);
        let display = self.display(j.display.as_ref(), st.get("display"), &scope);
        let (strategy, deploy_steps) =
            self.job_strategy(j, &st, &scope, parts.steps.first().map(|s| s.span));
        if let Some(steps) = deploy_steps {
            parts.steps = steps;
        }
        let has_conditions = !parts.conditions.is_empty();
        if pool == Some(ir::Pool::Server) {
            let origin = st.get("pool").map_or(j.name.span, |v| v.span);
            self.agentless_tasks(&parts.steps, origin);
        }
        if pool == Some(ir::Pool::Server)
            && let Some(step) = parts
                .steps
                .iter()
                .find(|s| !matches!(s.kind, ir::StepKind::Task { .. }))
        {
            self.diags.push(
                Diagnostic::error(Code::InvalidValue, step.span, "an agentless job (`pool server`) runs no scripts, artifacts or checkouts")
                    .label("needs an agent")
                    .related(st.get("pool").map_or(j.name.span, |v| v.span), "agentless here")
                    .help("agentless jobs run server tasks only (Delay, ManualValidation, InvokeRESTAPI, …); give this job an agent pool"),
            );
        }
        let resources = self.job_resources(&st, &scope, pool.as_ref(), j.name.span);
        ir::Job {
            name: j.name.text.clone(),
            display,
            kind,
            depends_on: j
                .after
                .as_ref()
                .map(|a| a.names.iter().map(|n| n.text.clone()).collect())
                .unwrap_or_default(),
            condition: has_conditions.then(|| full_condition(parts.conditions, j.name.span)),
            pool,
            timeout_minutes: timeout,
            cancel_timeout_minutes: cancel,
            continue_on_error,
            variables: parts.vars,
            resources,
            guard: None,
            // Steps arrive one by one (templates included); give back the growth slack,
            // which is a third of the IR of a large pipeline.
            steps: {
                let mut steps = parts.steps;
                steps.shrink_to_fit();
                steps
            },
            strategy,
            local: None,
            span: j.name.span,
        }
    }

    /// The steps and settings of a strategy's hook, expanded as a job's body is.
    pub(super) fn hook_body(
        &mut self,
        body: &'a ast::Body,
        scope: &mut Scope,
        job: &str,
    ) -> (Vec<ir::Step>, Vec<&'a ast::Setting>) {
        let mut parts = JobParts::default();
        self.job_body(body, scope, &mut parts, job);
        (parts.steps, parts.settings)
    }

    pub(super) fn job_body(
        &mut self,
        body: &'a ast::Body,
        scope: &mut Scope,
        parts: &mut JobParts<'a>,
        job: &str,
    ) {
        for item in &body.items {
            if let Item::Var(v) = item {
                self.declare_local(v, scope);
            }
        }
        parts.settings.extend(body.settings.iter());
        for item in &body.items {
            match item {
                Item::Step(s) => {
                    if !self.spend(1) {
                        continue;
                    }
                    if let Some(mut step) = self.step(s, scope, job) {
                        if let Some(g) = self.guard() {
                            step.options.get_or_insert_default().guard = Some(g);
                        }
                        parts.steps.push(step);
                    }
                }
                Item::If(i) => self.compile_time_if(i, scope, |c, body, inner| {
                    c.job_body(body, inner, parts, job)
                }),
                Item::Use(u) => self.expand_use(u, scope, Level::Job, |c, body, inner| {
                    c.job_body(body, inner, parts, job)
                }),
                Item::When(e) => {
                    let c = self.condition(e, scope);
                    parts.conditions.push(c);
                }
                Item::External(t) => parts.steps.extend(self.external_step(t, scope)),
                Item::Var(v) => parts.vars.extend(self.variable(v, scope)),
                Item::Gate(g) => {
                    self.diags.push(
                        Diagnostic::error(Code::GatePlacement, g.span, "gates guard stages and environments, not jobs")
                            .label("gate inside a job")
                            .help("move the `gate` to the stage, or to the environment the job deploys to"),
                    );
                }
                Item::Job(inner) => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::TemplateKind,
                            inner.name.span,
                            "a job cannot contain another job",
                        )
                        .label("job inside a job")
                        .help("jobs belong directly in a stage"),
                    );
                }
            }
        }
    }

    /// A display name from the header (`stage Build "Build it"`) or from a
    /// `display` setting in the body, which can join text (`display "Deploy " + env.name`).
    pub(super) fn display(
        &mut self,
        header: Option<&ast::Value>,
        setting: Option<&ast::Value>,
        scope: &Scope,
    ) -> Option<String> {
        if let (Some(h), Some(s)) = (header, setting) {
            self.diags.push(
                Diagnostic::error(
                    Code::RepeatedSetting,
                    s.span,
                    "the display name is given twice",
                )
                .label("second one")
                .related(h.span, "first one, in the header")
                .help("keep one of them"),
            );
        }
        header.or(setting).and_then(|d| self.text(d, scope))
    }

    /// Names of the jobs a body will contain, templates included (their job names are static).
    pub(super) fn job_names(&self, body: &ast::Body) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack: Vec<&ast::Body> = vec![body];
        let mut visited = 0;
        while let Some(b) = stack.pop() {
            visited += 1;
            if visited > 1000 {
                break;
            }
            for item in &b.items {
                match item {
                    Item::Job(j) => out.push(j.name.text.clone()),
                    Item::If(i) => stack.extend(i.branches.iter().map(|(_, b)| b)),
                    Item::Use(u) => {
                        if let Some(&t) = self
                            .decls
                            .templates
                            .get(&u.template.text.to_ascii_lowercase())
                        {
                            stack.push(&self.ast.templates[t].body);
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }
}

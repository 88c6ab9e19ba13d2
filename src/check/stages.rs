//! Stages, jobs and template expansion.

use super::gates::{self, Term, TermKind};
use super::graph::{self, Node};
use super::{Checker, ParamValue, Scope, lock_behavior};
use super::{HashMap, HashSet};
use crate::ast::{self, Item};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Expr};
use crate::schema::{self, Block};
use crate::source::Span;
use indexmap::IndexMap;
use std::rc::Rc;

/// Azure's own limit on nested templates.
const MAX_TEMPLATE_DEPTH: usize = 100;

/// Where a body is being expanded: into a stage (jobs) or into a job (steps).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Stage,
    Job,
}

/// What a stage body adds up to while it is expanded.
#[derive(Default)]
struct StageParts<'a> {
    jobs: Vec<(ir::Job, Option<&'a ast::After>)>,
    vars: Vec<ir::Variable>,
    conditions: Vec<Expr>,
    gates: Vec<Term>,
    settings: Vec<&'a ast::Setting>,
}

#[derive(Default)]
struct JobParts<'a> {
    steps: Vec<ir::Step>,
    vars: Vec<ir::Variable>,
    conditions: Vec<Expr>,
    settings: Vec<&'a ast::Setting>,
}

/// Jobs, steps and template uses a pipeline may expand to: far beyond what
/// Azure accepts (20 MB of YAML; 10,000 stages of 5 jobs of 10 steps, 87 MB of
/// YAML, are 610,000), and small enough that an exponential chain of templates
/// stops within a second or two and a few hundred megabytes.
pub(crate) const MAX_EXPANDED: usize = 1_000_000;
const MAX_EXPANDED_TEXT: &str = "1,000,000";

/// The full condition of a node: the user's conditions, with Azure's implicit
/// `succeeded()` written out unless a status function is already there.
pub(crate) fn full_condition(conds: Vec<Expr>, span: Span) -> Expr {
    let needs_default = !conds.iter().any(Expr::has_status_function);
    let mut args = Vec::new();
    if needs_default {
        args.push(Expr::call("succeeded", Vec::new(), span));
    }
    for c in conds {
        match c.kind {
            // A condition decided at compile time to be true adds nothing.
            ir::ExprKind::Bool(true) => {}
            ir::ExprKind::Call("and", inner) => args.extend(inner),
            _ => args.push(c),
        }
    }
    if args.len() == 1 {
        args.pop().expect("one")
    } else {
        Expr::call("and", args, span)
    }
}

impl<'a> Checker<'a> {
    pub(crate) fn stages(&mut self) -> IndexMap<String, ir::Stage> {
        let ast = self.ast;
        // Stages that did not parse are reported already; the pipeline has them. A
        // file without a pipeline block or stages is a module for others to import.
        if ast.stages.is_empty()
            && ast.pipeline.is_some()
            && !ast.broken.iter().any(|b| b.keyword == "stage")
        {
            let span = ast
                .pipeline
                .as_ref()
                .map_or(Span::new(crate::source::FileId(0), 0, 0), |p| p.span);
            self.diags.push(
                Diagnostic::error(Code::InvalidValue, span, "the pipeline has no stages")
                    .label("nothing to run")
                    .help("add a stage: `stage Build { job Build { script \"make\" } }`"),
            );
        }
        let mut out: IndexMap<String, ir::Stage> = IndexMap::with_capacity(ast.stages.len());
        let mut nodes: Vec<Node> = Vec::with_capacity(ast.stages.len());
        let mut seen = HashSet::default();
        for (i, s) in ast.stages.iter().enumerate() {
            let deps: Vec<(String, Span)> = match &s.after {
                Some(a) => a.names.iter().map(|n| (n.text.clone(), n.span)).collect(),
                // Azure's implicit dependency on the previous stage, made explicit.
                None => i
                    .checked_sub(1)
                    .map(|p| (ast.stages[p].name.text.clone(), s.name.span))
                    .into_iter()
                    .collect(),
            };
            let stage = self.stage(s, deps.iter().map(|d| d.0.clone()).collect());
            self.report_expansion(s.name.span, format!("stage `{}`", s.name.text), None);
            nodes.push(Node {
                name: s.name.text.clone(),
                deps,
            });
            if seen.insert(s.name.text.to_ascii_lowercase()) {
                out.insert(s.name.text.clone(), stage);
            }
        }
        self.graph_broken |=
            graph::check_nodes(&mut self.diags, "stage", &nodes, Code::UnknownStage);
        // Canonical spelling of dependencies, so the IR's names match its keys exactly.
        let canonical: HashMap<String, String> = out
            .keys()
            .map(|k| (k.to_ascii_lowercase(), k.clone()))
            .collect();
        for stage in out.values_mut() {
            for d in &mut stage.depends_on {
                if let Some(c) = canonical.get(&d.to_ascii_lowercase()) {
                    *d = c.clone();
                }
            }
        }
        out
    }

    fn stage(&mut self, s: &'a ast::Stage, depends_on: Vec<String>) -> ir::Stage {
        self.current_stage = s.name.text.clone();
        let errors_before = self.diags.error_count();
        let mut scope = Scope {
            has_group: self.root_has_group,
            nodes: Rc::new(depends_on.clone()),
            in_stage_condition: true,
            ..Scope::default()
        };
        let mut parts = StageParts::default();
        let job_names = Rc::new(self.job_names(&s.body));
        self.stage_body(&s.body, &mut scope, &mut parts, &job_names);
        let st = self.settings_of(&parts.settings, Block::Stage);
        let pool = st.get("pool").and_then(|v| self.pool(v, &scope));
        let mut lock = self
            .word(st.get("lock_behavior"), schema::LOCK_BEHAVIORS)
            .map(|w| lock_behavior(&w));
        let manual = self.bool(st.get("manual"), &scope).unwrap_or(false);
        let skippable = self.bool(st.get("skippable"), &scope);
        let display = self.display(s.display.as_ref(), st.get("display"), &scope);

        // Gates: conditions join the stage condition; in-pipeline gates become gate jobs.
        let mut conditions = std::mem::take(&mut parts.conditions);
        let mut gate_jobs: Vec<ir::Job> = Vec::new();
        for t in std::mem::take(&mut parts.gates) {
            match t.kind {
                TermKind::When(e) => conditions.push(e),
                TermKind::Check(ir::CheckKind::BranchControl { allowed, .. }) => {
                    conditions.extend(gates::branch_condition(&allowed, t.span));
                }
                TermKind::Check(kind) => {
                    let what = match kind {
                        ir::CheckKind::Approval(_) => "an approval",
                        ir::CheckKind::BusinessHours { .. } => "business hours",
                        ir::CheckKind::Http(_) => "an HTTP check",
                        _ => "this check",
                    };
                    let help = if matches!(kind, ir::CheckKind::Approval(_)) {
                        "put it on the environment the stage deploys to (Azure holds it as a check), or add `yaml true` to run it as a ManualValidation job in the stage"
                    } else {
                        "put it on the environment the stage deploys to; Azure holds it as a check on that environment"
                    };
                    self.diags.push(
                        Diagnostic::error(Code::GatePlacement, t.span, format!("{what} is a check Azure keeps on an environment, so it cannot guard a stage directly"))
                            .label("needs an environment")
                            .help(help),
                    );
                }
                TermKind::Lock { behavior, .. } => lock = Some(behavior),
                TermKind::YamlApproval(_)
                | TermKind::ManualValidation { .. }
                | TermKind::Delay { .. } => {
                    let name = self.gate_job_name(&t, &job_names, &gate_jobs);
                    gate_jobs.push(gate_job(name, t));
                }
            }
        }
        let mut jobs: IndexMap<String, ir::Job> = IndexMap::new();
        let gate_names: Vec<String> = gate_jobs.iter().map(|j| j.name.clone()).collect();
        for (i, mut g) in gate_jobs.into_iter().enumerate() {
            if i > 0 {
                g.depends_on.push(gate_names[i - 1].clone());
            }
            jobs.insert(g.name.clone(), g);
        }
        let mut nodes: Vec<Node> = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::default();
        let inherited_server = match &pool {
            Some(p) => *p == ir::Pool::Server,
            None => self.pipeline_pool_server,
        };
        for (mut job, after) in parts.jobs {
            if inherited_server && job.pool.is_none() {
                let origin = st.get("pool").map_or(s.name.span, |v| v.span);
                self.agentless_tasks(&job.steps, origin);
            }
            if inherited_server
                && job.pool.is_none()
                && let Some(step) = job
                    .steps
                    .iter()
                    .find(|s| !matches!(s.kind, ir::StepKind::Task { .. }))
            {
                let origin = st.get("pool").map_or(s.name.span, |v| v.span);
                self.diags.push(
                    Diagnostic::error(Code::InvalidValue, step.span, "this job inherits `pool server`, and agentless jobs run no scripts, artifacts or checkouts")
                        .label("needs an agent")
                        .related(origin, "agentless pool set here")
                        .help("give the job an agent pool: `pool { vm_image \"ubuntu-latest\" }`"),
                );
            }
            let name_span = job.span;
            let deps: Vec<(String, Span)> = after
                .map(|a| a.names.iter().map(|n| (n.text.clone(), n.span)).collect())
                .unwrap_or_default();
            if deps.is_empty()
                && let Some(last) = gate_names.last()
            {
                job.depends_on.push(last.clone());
            }
            if let ir::JobKind::Deployment { environment } = &job.kind {
                let env = environment.clone();
                let (env_conditions, env_lock) = self.environment_guards(&env);
                conditions.extend(env_conditions);
                lock = lock.or(env_lock);
            }
            let key = job.name.to_ascii_lowercase();
            if let Some(&first) = seen.get(&key) {
                self.diags.push(
                    Diagnostic::error(
                        Code::Duplicate,
                        job.span,
                        format!("stage `{}` has two jobs named `{}`", s.name.text, job.name),
                    )
                    .label("second job")
                    .related(first, "first job with this name")
                    .help(
                        "job names must be unique within a stage (compared without regard to case)",
                    ),
                );
                continue;
            }
            seen.insert(key, name_span);
            nodes.push(Node {
                name: job.name.clone(),
                deps: deps.clone(),
            });
            jobs.insert(job.name.clone(), job);
        }
        for g in &gate_names {
            nodes.push(Node {
                name: g.clone(),
                deps: Vec::new(),
            });
        }
        self.graph_broken |= graph::check_nodes(&mut self.diags, "job", &nodes, Code::UnknownJob);
        // An empty stage is worth reporting only if nothing else went wrong in it.
        if jobs.is_empty() && self.diags.error_count() == errors_before {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    s.name.span,
                    format!("stage `{}` has no jobs", s.name.text),
                )
                .label("empty stage")
                .help("add a `job` or `deployment`, or `use` a template that provides them"),
            );
        }
        ir::Stage {
            name: s.name.text.clone(),
            display,
            depends_on,
            condition: full_condition(conditions, s.name.span),
            variables: parts.vars,
            pool,
            lock_behavior: lock,
            manual,
            skippable,
            jobs,
            span: s.span,
        }
    }

    fn gate_job_name(&self, t: &Term, taken: &[String], gates: &[ir::Job]) -> String {
        let base = match (&t.gate, &t.kind) {
            (Some(g), _) => super::azure_name_fix(g),
            (None, TermKind::Delay { .. }) => "Delay".into(),
            _ => "ManualValidation".into(),
        };
        let free = |n: &str| {
            !taken
                .iter()
                .chain(gates.iter().map(|g| &g.name))
                .any(|t| t.eq_ignore_ascii_case(n))
        };
        if free(&base) {
            return base;
        }
        (2..)
            .map(|i| format!("{base}_{i}"))
            .find(|n| free(n))
            .expect("a free name")
    }

    /// Names of the jobs a body will contain, templates included (their job names are static).
    fn job_names(&self, body: &ast::Body) -> Vec<String> {
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
                    Item::Use(u) => {
                        if let Some(&t) = self.templates.get(&u.template.text.to_ascii_lowercase())
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

    fn stage_body(
        &mut self,
        body: &'a ast::Body,
        scope: &mut Scope,
        parts: &mut StageParts<'a>,
        job_names: &Rc<Vec<String>>,
    ) {
        for item in &body.items {
            if let Item::Var(v) = item {
                self.declare_local(v, scope);
            }
        }
        parts.settings.extend(body.settings.iter());
        for item in &body.items {
            match item {
                Item::Job(j) => {
                    if !self.spend(1) {
                        continue;
                    }
                    let job = self.job(j, scope, job_names);
                    parts.jobs.push((job, j.after.as_ref()));
                }
                Item::Use(u) => self.expand_use(u, scope, Level::Stage, |c, body, inner| {
                    c.stage_body(body, inner, parts, job_names)
                }),
                Item::Gate(g) => {
                    let terms = self.gate_terms(g, scope);
                    parts.gates.extend(terms);
                }
                Item::When(e) => {
                    let c = self.condition(e, scope);
                    parts.conditions.push(c);
                }
                Item::Var(v) => parts.vars.extend(self.variable(v, scope)),
                Item::Step(st) => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::TemplateKind,
                            st.span,
                            "a step must be inside a job",
                        )
                        .label("step directly in a stage")
                        .help("wrap the steps in `job Name { … }`"),
                    );
                }
            }
        }
    }

    fn declare_local(&mut self, v: &ast::VarDecl, scope: &mut Scope) {
        match v {
            ast::VarDecl::Var { name, .. } | ast::VarDecl::Secret { name } => {
                self.check_var_name(name);
                if let Some(prev) = scope
                    .vars
                    .iter()
                    .find(|p| p.eq_ignore_ascii_case(&name.text))
                {
                    self.diags.push(
                        Diagnostic::error(
                            Code::Duplicate,
                            name.span,
                            format!("variable `{}` is declared twice in this scope", name.text),
                        )
                        .label(format!("`{prev}` is already declared"))
                        .help("names are compared without regard to case; remove one"),
                    );
                } else {
                    scope.vars.push(name.text.clone());
                }
            }
            ast::VarDecl::Group { .. } => scope.has_group = true,
        }
    }

    fn job(
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
        let mut parts = JobParts::default();
        self.job_body(&j.body, &mut scope, &mut parts, &j.name.text);
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

    /// A display name from the header (`stage Build "Build it"`) or from a
    /// `display` setting in the body, which can join text (`display "Deploy " + env.name`).
    fn display(
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

    /// `to dev`, `to env` (a parameter): the environment a deployment job targets.
    fn environment_ref(&mut self, path: &ast::Path, scope: &Scope) -> Option<String> {
        let first = &path.segments[0];
        if path.segments.len() > 1 {
            self.diags.push(
                Diagnostic::error(Code::InvalidValue, path.span, "a deployment targets an environment by its name")
                    .label("expected one name")
                    .help("to deploy to a resource of the environment, declare it there: `environment name { resource \"…\" }`"),
            );
            return None;
        }
        if let Some(p) = scope.params.get(&first.text) {
            return match p {
                ParamValue::Environment(e) => Some(e.clone()),
                _ => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::TemplateArguments,
                            first.span,
                            format!("parameter `{}` is not an environment", first.text),
                        )
                        .label("not an environment")
                        .help("declare the parameter as `name: environment`"),
                    );
                    None
                }
            };
        }
        self.declared_environment(first, "deployment into undeclared environment")
    }

    fn job_body(
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
                    if let Some(step) = self.step(s, scope, job) {
                        parts.steps.push(step);
                    }
                }
                Item::Use(u) => self.expand_use(u, scope, Level::Job, |c, body, inner| {
                    c.job_body(body, inner, parts, job)
                }),
                Item::When(e) => {
                    let c = self.condition(e, scope);
                    parts.conditions.push(c);
                }
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

    /// Check the templates of this file that nothing uses, so a mistake in one
    /// shows before its first use. Parameters take their defaults, or an empty
    /// text, zero or false; a template with an environment or artifact
    /// parameter and no default is left for its first use, since any
    /// stand-in environment could lack the properties it reads.
    pub(crate) fn check_unused_templates(&mut self) {
        let ast = self.ast;
        for t in &ast.templates {
            let key = t.name.text.to_ascii_lowercase();
            if self.used_templates.contains(&key) || t.span.file != crate::source::FileId(0) {
                continue;
            }
            let root = self.root_scope();
            let mut params = HashMap::default();
            let mut origins = HashMap::default();
            let mut checkable = true;
            for p in &t.params {
                if let Some(v) = &p.default {
                    origins.insert(p.name.text.clone(), v.span);
                }
                let value = match (&p.default, p.ty.text.as_str()) {
                    (Some(v), _) => self.bind(p, v, &root),
                    (None, "string") => Some(ParamValue::Text(String::new())),
                    (None, "number") => Some(ParamValue::Number(0.0)),
                    (None, "bool") => Some(ParamValue::Bool(false)),
                    _ => None,
                };
                match value {
                    Some(v) => {
                        params.insert(p.name.text.clone(), v);
                    }
                    None => checkable = false,
                }
            }
            if !checkable {
                continue;
            }
            // What the expansion records about artifacts belongs to no stage.
            let publications = std::mem::take(&mut self.publications);
            let downloads = std::mem::take(&mut self.downloads);
            let mut scope = Scope {
                params,
                param_origins: Rc::new(origins),
                ..root
            };
            self.template_stack.push(key);
            if t.body.items.iter().any(|i| matches!(i, Item::Job(_))) {
                let job_names = Rc::new(self.job_names(&t.body));
                self.stage_body(&t.body, &mut scope, &mut StageParts::default(), &job_names);
            } else {
                scope.nodes = Rc::default();
                scope.in_stage_condition = false;
                self.job_body(&t.body, &mut scope, &mut JobParts::default(), &t.name.text);
            }
            self.template_stack.pop();
            self.publications = publications;
            self.downloads = downloads;
        }
    }

    /// Count `n` more jobs or steps against [`MAX_EXPANDED`]; false once it is spent.
    fn spend(&mut self, n: usize) -> bool {
        self.expanded = self.expanded.saturating_add(n);
        self.expanded <= MAX_EXPANDED
    }

    /// Report, once, that the pipeline expands past [`MAX_EXPANDED`], at `span`:
    /// the outermost `use` whose expansion crossed it, or the stage.
    fn report_expansion(&mut self, span: Span, what: String, template: Option<Span>) {
        if self.expanded <= MAX_EXPANDED || self.expansion_reported {
            return;
        }
        self.expansion_reported = true;
        let mut d = Diagnostic::error(
            Code::TooLarge,
            span,
            format!("{what} expands to more than {MAX_EXPANDED_TEXT} jobs, steps and template uses"),
        )
        .label("expands too far")
        .help("a template that uses another one several times multiplies its size at each level; use fewer levels, or pass a list instead of repeating uses");
        if let Some(t) = template {
            d = d.related(t, "template declared here");
        }
        self.diags.push(d);
    }

    /// Expand `use name(args)` with `expand`: the template's body in a scope
    /// where its parameters are bound, problems inside it pointing at the use.
    fn expand_use(
        &mut self,
        u: &ast::Use,
        scope: &Scope,
        level: Level,
        expand: impl FnOnce(&mut Self, &'a ast::Body, &mut Scope),
    ) {
        // A use is work too, even one that adds nothing (or only a diagnostic): once the
        // budget is spent nothing more is expanded, so an exponential chain of templates
        // stops after about `MAX_EXPANDED` uses.
        if !self.spend(1) {
            return;
        }
        let Some((t, (params, param_origins))) = self.instantiate(u, scope, level) else {
            return;
        };
        // Every field but the parameters, which the template replaces (not copied first).
        let mut inner = Scope {
            params,
            param_origins,
            vars: scope.vars.clone(),
            has_group: scope.has_group,
            nodes: scope.nodes.clone(),
            sibling_jobs: scope.sibling_jobs.clone(),
            in_stage_condition: scope.in_stage_condition,
        };
        let before = self.diags.mark();
        self.template_stack.push(t.name.text.to_ascii_lowercase());
        expand(self, &t.body, &mut inner);
        self.template_stack.pop();
        if self.template_stack.is_empty() {
            self.report_expansion(
                u.span,
                format!("this use of `{}`", t.name.text),
                Some(t.name.span),
            );
        }
        self.note_instantiation(before, t, u);
    }

    /// Point problems found inside a template at the `use` that expanded it.
    fn note_instantiation(&mut self, before: usize, t: &ast::Template, u: &ast::Use) {
        let inside =
            |s: Span| s.file == t.span.file && s.start >= t.span.start && s.end <= t.span.end;
        for d in self.diags.since_mut(before) {
            if inside(d.span) && d.related.len() < 8 {
                d.related.push(crate::diagnostic::Related {
                    span: u.span,
                    message: format!("in this use of `{}`", t.name.text),
                });
            }
        }
    }

    /// A declared environment's name as declared, marked used; E012 otherwise.
    fn declared_environment(&mut self, name: &ast::Name, what: &str) -> Option<String> {
        if let Some(e) = self.env_decl(&name.text) {
            self.mark_env_used(&name.text);
            return Some(e.name.text.clone());
        }
        let names: Vec<&str> = self
            .ast
            .environments
            .iter()
            .map(|e| e.name.text.as_str())
            .collect();
        self.diags.push(
            Diagnostic::error(
                Code::UnknownEnvironment,
                name.span,
                format!("{what} `{}`", name.text),
            )
            .label("no environment has this name")
            .did_you_mean(name.span, &name.text, names.iter().copied())
            .or_help(format!("declare it: `environment {} {{ }}`", name.text)),
        );
        None
    }

    /// Resolve `use name(args)`: the template and its parameters bound to the arguments.
    fn instantiate(
        &mut self,
        u: &ast::Use,
        scope: &Scope,
        level: Level,
    ) -> Option<(&'a ast::Template, Bindings)> {
        let ast = self.ast;
        let key = u.template.text.to_ascii_lowercase();
        let Some(&index) = self.templates.get(&key) else {
            let names: Vec<&str> = ast.templates.iter().map(|t| t.name.text.as_str()).collect();
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownTemplate,
                    u.template.span,
                    format!("unknown template `{}`", u.template.text),
                )
                .label("no template has this name")
                .did_you_mean(
                    u.template.span,
                    &u.template.text,
                    names.iter().copied(),
                ),
            );
            return None;
        };
        self.used_templates.insert(key.clone());
        let t = &ast.templates[index];
        if self.template_stack.contains(&key) {
            self.diags.push(
                Diagnostic::error(
                    Code::Cycle,
                    u.span,
                    format!("template `{}` uses itself", t.name.text),
                )
                .label("expands forever")
                .related(t.name.span, "template declared here")
                .help("a template cannot use itself, directly or through other templates"),
            );
            return None;
        }
        if self.template_stack.len() >= MAX_TEMPLATE_DEPTH {
            self.diags.push(
                Diagnostic::error(
                    Code::TemplateKind,
                    u.span,
                    format!("templates nest more than {MAX_TEMPLATE_DEPTH} deep here"),
                )
                .label("too deep")
                .help("Azure allows 100 levels of templates; flatten some of them"),
            );
            return None;
        }
        let has_jobs = t.body.items.iter().any(|i| matches!(i, Item::Job(_)));
        let has_steps = t.body.items.iter().any(|i| matches!(i, Item::Step(_)));
        let fits = match level {
            Level::Stage => !has_steps,
            Level::Job => !has_jobs,
        };
        if !fits {
            let (what, place) = match (has_jobs, has_steps) {
                (true, true) => (
                    "both jobs and steps",
                    "neither a stage nor a job; split it in two",
                ),
                (true, false) => ("jobs", "a stage"),
                _ => ("steps", "a job"),
            };
            self.diags.push(
                Diagnostic::error(
                    Code::TemplateKind,
                    u.span,
                    format!(
                        "template `{}` provides {what}, so it fits {place}",
                        t.name.text
                    ),
                )
                .label(format!(
                    "used in {}",
                    if level == Level::Stage {
                        "a stage"
                    } else {
                        "a job"
                    }
                ))
                .related(t.name.span, "template declared here"),
            );
            return None;
        }
        // Arguments are positional: every parameter up to the last one without
        // a default must be given (a misplaced default is reported at the declaration).
        let required = t
            .params
            .iter()
            .rposition(|p| p.default.is_none())
            .map_or(0, |i| i + 1);
        if u.args.len() < required || u.args.len() > t.params.len() {
            let list: Vec<String> = t
                .params
                .iter()
                .map(|p| format!("{}: {}", p.name.text, p.ty.text))
                .collect();
            self.diags.push(
                Diagnostic::error(
                    Code::TemplateArguments,
                    u.span,
                    format!(
                        "template `{}` takes {} argument{}, but {} {} given",
                        t.name.text,
                        if required == t.params.len() {
                            required.to_string()
                        } else {
                            format!("{required} to {}", t.params.len())
                        },
                        if t.params.len() == 1 { "" } else { "s" },
                        u.args.len(),
                        if u.args.len() == 1 { "was" } else { "were" }
                    ),
                )
                .label("wrong number of arguments")
                .related(t.name.span, format!("parameters: ({})", list.join(", "))),
            );
            return None;
        }
        let mut params = HashMap::default();
        let mut origins = HashMap::default();
        let mut root = None;
        for (i, p) in t.params.iter().enumerate() {
            let (value, arg_scope) = match u.args.get(i) {
                Some(a) => {
                    self.check_secret(&p.name.text, a, "parameter", scope);
                    (a, scope)
                }
                None => match &p.default {
                    Some(default) => (default, &*root.get_or_insert_with(|| self.root_scope())),
                    None => return None,
                },
            };
            origins.insert(p.name.text.clone(), self.origin_of(value, arg_scope));
            if let Some(v) = self.bind(p, value, arg_scope) {
                params.insert(p.name.text.clone(), v);
            } else {
                return None;
            }
        }
        Some((t, (params, Rc::new(origins))))
    }

    fn bind(&mut self, p: &ast::Param, v: &ast::Value, scope: &Scope) -> Option<ParamValue> {
        let single = match &v.kind {
            ast::ValueKind::Path(path) if path.segments.len() == 1 => Some(&path.segments[0]),
            _ => None,
        };
        let mismatch = |c: &mut Self, expected: &str| {
            c.diags.push(
                Diagnostic::error(
                    Code::TemplateArguments,
                    v.span,
                    format!("parameter `{}` is {expected}", p.name.text),
                )
                .label(format!("expected {expected}"))
                .related(p.ty.span, "parameter type declared here"),
            );
            None
        };
        match p.ty.text.as_str() {
            "string" => self.text(v, scope).map(ParamValue::Text),
            "number" => match (&v.kind, single.and_then(|n| scope.params.get(&n.text))) {
                (ast::ValueKind::Number(n), _) => Some(ParamValue::Number(*n)),
                (_, Some(ParamValue::Number(n))) => Some(ParamValue::Number(*n)),
                _ => mismatch(self, "a number"),
            },
            "bool" => self.bool(Some(v), scope).map(ParamValue::Bool),
            "environment" => {
                if let ast::ValueKind::Str(text) = &v.kind
                    && let Some(e) = self.env_decl(text)
                {
                    let name = e.name.text.clone();
                    self.diags.push(
                        Diagnostic::error(
                            Code::TemplateArguments,
                            v.span,
                            format!("parameter `{}` is an environment, not text", p.name.text),
                        )
                        .label("text in quotes")
                        .help(format!("name the environment without quotes: `{name}`")),
                    );
                    return None;
                }
                let Some(n) = single else {
                    return mismatch(self, "an environment");
                };
                if let Some(ParamValue::Environment(e)) = scope.params.get(&n.text) {
                    return Some(ParamValue::Environment(e.clone()));
                }
                self.declared_environment(n, "unknown environment")
                    .map(ParamValue::Environment)
            }
            "artifact" => {
                let Some(n) = single else {
                    return mismatch(self, "an artifact");
                };
                self.artifact_ref(
                    &ast::Path {
                        span: v.span,
                        segments: vec![n.clone()],
                    },
                    scope,
                )
                .map(ParamValue::Artifact)
            }
            // Unknown types are reported once, at the declaration.
            _ => None,
        }
    }
}

/// A template's parameters bound to their values, and where each value is written.
type Bindings = (HashMap<String, ParamValue>, Rc<HashMap<String, Span>>);

fn gate_job(name: String, t: Term) -> ir::Job {
    use crate::ir::{GateWait, OnTimeout};
    let (wait, display, timeout) = match t.kind {
        TermKind::YamlApproval(a) => (
            GateWait::Validation {
                notify: a.approvers.clone(),
                approvers: a.approvers,
                instructions: a.instructions,
                requester_can_approve: Some(a.requester_can_approve),
                on_timeout: OnTimeout::Reject,
                timeout_minutes: a.timeout_minutes,
            },
            "Wait for approval".to_string(),
            a.timeout_minutes,
        ),
        TermKind::ManualValidation {
            notify,
            approvers,
            instructions,
            timeout_minutes,
            on_timeout,
        } => (
            GateWait::Validation {
                notify,
                approvers,
                instructions,
                requester_can_approve: None,
                on_timeout: if on_timeout == "resume" {
                    OnTimeout::Resume
                } else {
                    OnTimeout::Reject
                },
                timeout_minutes,
            },
            "Wait for manual validation".to_string(),
            timeout_minutes,
        ),
        TermKind::Delay { minutes } => (
            GateWait::Delay { minutes },
            format!(
                "Wait {minutes} minute{}",
                if minutes == 1 { "" } else { "s" }
            ),
            minutes + 5,
        ),
        _ => unreachable!("only in-pipeline gates become gate jobs"),
    };
    ir::Job {
        name,
        display: Some(display),
        kind: ir::JobKind::Gate {
            gate: t.gate.clone().unwrap_or_default(),
            wait,
        },
        depends_on: Vec::new(),
        condition: None,
        pool: Some(ir::Pool::Server),
        timeout_minutes: Some(timeout),
        cancel_timeout_minutes: None,
        continue_on_error: false,
        variables: Vec::new(),
        steps: Vec::new(),
        strategy: None,
        local: None,
        span: t.span,
    }
}

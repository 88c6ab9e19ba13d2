//! Stages: their bodies (jobs, variables, conditions, gates, templates), the
//! jobs that in-pipeline gates become, and the stage and job dependency graphs.

use super::gates::{self, Term, TermKind};
use super::graph::{self, Node};
use super::pipeline::lock_behavior;
use super::templates::Level;
use super::{Checker, HashMap, HashSet, Scope};
use crate::ast::{self, Item};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Expr};
use crate::schema::{self, Block};
use crate::source::Span;
use indexmap::IndexMap;
use std::rc::Rc;

/// What a stage body adds up to while it is expanded.
#[derive(Default)]
pub(super) struct StageParts<'a> {
    jobs: Vec<(ir::Job, Option<&'a ast::After>)>,
    vars: Vec<ir::Variable>,
    conditions: Vec<Expr>,
    gates: Vec<Term>,
    settings: Vec<&'a ast::Setting>,
    /// Job templates of other files (`use "…"`), placed among `jobs`.
    templates: Vec<ir::Placed>,
}

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
            && ast.external_stages.is_empty()
            && ast.extends.is_none()
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
        self.artifact_uses.current_stage = s.name.text.clone();
        let errors_before = self.diags.error_count();
        let mut scope = Scope {
            has_group: self.decls.root_has_group,
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
                && let Some(step) = job.steps.iter().find(|s| {
                    !matches!(
                        s.kind,
                        ir::StepKind::Task { .. } | ir::StepKind::Template(_)
                    )
                })
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
        if jobs.is_empty()
            && parts.templates.is_empty()
            && self.diags.error_count() == errors_before
        {
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
            job_templates: parts.templates,
            span: s.span,
        }
    }

    pub(super) fn stage_body(
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
                    // The job's guard covers its steps: they are built without it.
                    let guard = self.guard();
                    let outer = std::mem::take(&mut self.guards);
                    let mut job = self.job(j, scope, job_names);
                    self.guards = outer;
                    job.guard = guard.map(Box::new);
                    parts.jobs.push((job, j.after.as_ref()));
                }
                Item::If(i) => self.compile_time_if(i, scope, |c, body, inner| {
                    c.stage_body(body, inner, parts, job_names)
                }),
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
                Item::External(t) => {
                    let at = parts.jobs.len();
                    parts.templates.extend(self.external_job(t, scope, at));
                }
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
}

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
        resources: None,
        guard: None,
        steps: Vec::new(),
        strategy: None,
        local: None,
        span: t.span,
    }
}

//! The checker: [`ast::File`] → [`ir::Pipeline`], reporting every problem it finds.
//!
//! It never stops at the first error: a broken stage is still checked as far
//! as it can be, and unresolved names become placeholders that do not cause
//! further errors. The IR it returns is complete only when no error was
//! reported; callers look at [`Diagnostics::has_errors`] before emitting.
//!
//! Sub-modules by concern: declarations and the pipeline block here,
//! [`stages`] (stages, jobs, templates), [`steps`], [`gates`], [`expr`]
//! (conditions), [`graph`] (dependencies, cycles, artifact order), and
//! [`settings`] (schemas of `keyword value` settings).

mod azure_syntax;
pub use crate::cron;
pub mod duration;
mod expr;
pub mod functions;
mod gates;
mod graph;
pub mod located;
pub mod recovered;
mod secrets;
mod settings;
mod stages;
mod steps;
mod strategies;
pub mod tasks;

use crate::ast::{self, VarDecl};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir;
use crate::schema::{self, Block};
use crate::source::{SourceMap, Span};
/// Maps and sets keyed by names. foldhash is several times faster than SipHash
/// on short keys; flooding attacks are no concern for a compiler reading its
/// user's own files.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
use std::rc::Rc;

pub use expr::{NAMESPACES, SHORTHANDS, is_predefined};
pub use settings::format_number;
pub use steps::macros;

/// Check a parsed file. The IR is meaningful only if the diagnostics hold no error.
pub fn check(file: &ast::File, sources: &SourceMap) -> (ir::Pipeline, Diagnostics) {
    let mut checker = Checker::new(file, sources);
    let pipeline = checker.run();
    (pipeline, checker.diags)
}

/// A template argument bound to a parameter.
#[derive(Debug, Clone)]
pub(crate) enum ParamValue {
    Text(String),
    Number(f64),
    Bool(bool),
    Environment(String),
    Artifact(String),
}

impl ParamValue {
    fn text(&self) -> String {
        match self {
            ParamValue::Text(t) | ParamValue::Environment(t) | ParamValue::Artifact(t) => t.clone(),
            ParamValue::Number(n) => settings::format_number(*n),
            ParamValue::Bool(b) => b.to_string(),
        }
    }
}

/// What names mean at one point of the file.
#[derive(Clone, Default)]
pub(crate) struct Scope {
    /// Template parameters in force.
    pub params: HashMap<String, ParamValue>,
    /// Variables declared by the enclosing stage and job (pipeline ones are global).
    pub vars: Vec<String>,
    /// A variable group is in scope, so undeclared variables may come from it.
    pub has_group: bool,
    /// Names a status function or `dependencies.X` may refer to: the
    /// dependencies of the stage or job whose condition this is.
    pub nodes: Rc<Vec<String>>,
    /// The jobs of the enclosing stage (for saying "not a dependency" rather than "unknown").
    pub sibling_jobs: Rc<Vec<String>>,
    pub in_stage_condition: bool,
    /// Where the value of each template parameter in force is written (its
    /// argument, or its default), for pointing at a secret passed in.
    pub param_origins: Rc<HashMap<String, Span>>,
}

pub(crate) struct VarInfo {
    name: String,
    span: Span,
    used: bool,
}

pub(crate) struct Checker<'a> {
    ast: &'a ast::File,
    sources: &'a SourceMap,
    diags: Diagnostics,
    /// Pipeline-level variables by lower-cased name.
    root_vars: HashMap<String, VarInfo>,
    root_has_group: bool,
    /// Variables that scripts set at run time (`##vso[task.setvariable variable=x]`), lower-cased.
    runtime_vars: HashSet<String>,
    envs: HashMap<String, usize>,
    gates: HashMap<String, usize>,
    templates: HashMap<String, usize>,
    artifacts: HashMap<String, usize>,
    used_envs: HashSet<String>,
    used_gates: HashSet<String>,
    used_templates: HashSet<String>,
    /// Resolved declared gates, by index, filled lazily.
    resolved_gates: HashMap<usize, Rc<Vec<gates::Term>>>,
    gate_stack: Vec<usize>,
    /// Whether a chain of gate references too deep has been reported (once per file).
    gate_depth_reported: bool,
    template_stack: Vec<String>,
    /// Jobs and steps built so far, templates expanded (see [`MAX_EXPANDED`]).
    expanded: usize,
    /// Whether exceeding [`MAX_EXPANDED`] has been reported.
    expansion_reported: bool,
    stage_names: Rc<Vec<String>>,
    /// Text spans whose `$(…)` need no further checks (see `check_macros`).
    clean_macro_texts: HashSet<(crate::source::FileId, u32, u32)>,
    /// What kind of text `text` reads, for Azure's syntax inside it.
    text_position: azure_syntax::Position,
    /// Places where a secret was reported (E090), so each is reported once.
    reported_secrets: HashSet<(crate::source::FileId, u32, u32)>,
    /// Whether a key's words say its value is a secret ([`secrets::key_holds_secret`]),
    /// by key: templates judge the same parameter names once per use.
    secret_keys: HashMap<String, bool>,
    /// The pipeline's default pool is agentless.
    pipeline_pool_server: bool,
    /// A dependency graph had unknown names or cycles (already reported).
    graph_broken: bool,
    /// The stage being checked, for recording artifact uses.
    current_stage: String,
    /// Publications and downloads of artifacts, checked once the stage graph is known.
    publications: Vec<graph::ArtifactUse>,
    downloads: Vec<graph::ArtifactUse>,
    /// Task steps already checked against their signature (by the start of the
    /// task's name), so a template used many times is checked once.
    checked_tasks: HashSet<(crate::source::FileId, u32)>,
}

const NAME_HELP: &str =
    "Azure names may only contain letters, digits and '_', and may not start with a digit";

/// Azure's rule for stage, job and step names: `^[A-Za-z_][A-Za-z0-9_]*$`.
pub fn is_valid_azure_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn azure_name_fix(name: &str) -> String {
    let mut fixed: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if fixed.starts_with(|c: char| c.is_ascii_digit()) {
        fixed.insert(0, '_');
    }
    fixed
}

impl<'a> Checker<'a> {
    fn new(ast: &'a ast::File, sources: &'a SourceMap) -> Checker<'a> {
        Checker {
            ast,
            sources,
            diags: Diagnostics::new(),
            root_vars: HashMap::default(),
            root_has_group: false,
            runtime_vars: HashSet::default(),
            envs: HashMap::default(),
            gates: HashMap::default(),
            templates: HashMap::default(),
            artifacts: HashMap::default(),
            used_envs: HashSet::default(),
            used_gates: HashSet::default(),
            used_templates: HashSet::default(),
            resolved_gates: HashMap::default(),
            gate_stack: Vec::new(),
            gate_depth_reported: false,
            template_stack: Vec::new(),
            expanded: 0,
            expansion_reported: false,
            stage_names: Rc::new(Vec::new()),
            graph_broken: false,
            pipeline_pool_server: false,
            clean_macro_texts: HashSet::default(),
            reported_secrets: HashSet::default(),
            secret_keys: HashMap::default(),
            text_position: azure_syntax::Position::Text,
            current_stage: String::new(),
            publications: Vec::new(),
            downloads: Vec::new(),
            checked_tasks: HashSet::default(),
        }
    }

    fn run(&mut self) -> ir::Pipeline {
        self.index_declarations();
        self.scan_runtime_variables();
        let mut pipeline = ir::Pipeline::default();
        let root_vars: Vec<&VarDecl> = self
            .ast
            .variables
            .iter()
            .chain(self.ast.pipeline.iter().flat_map(|p| p.variables.iter()))
            .collect();
        let root_scope = self.root_scope();
        pipeline.variables = root_vars
            .iter()
            .filter_map(|v| self.variable(v, &root_scope))
            .collect();
        if let Some(p) = &self.ast.pipeline {
            self.pipeline_block(p, &mut pipeline);
        }
        for env in &self.ast.environments {
            let e = self.environment(env);
            pipeline.environments.insert(e.name.clone(), e);
        }
        for a in &self.ast.artifacts {
            pipeline.artifacts.insert(
                a.text.clone(),
                ir::Artifact {
                    name: a.text.clone(),
                    published_by: None,
                    span: a.span,
                },
            );
        }
        pipeline.stages = self.stages();
        self.check_unused_templates();
        self.check_artifacts(&mut pipeline);
        self.report_unused();
        pipeline
    }

    /// The text inside a quoted literal's quotes (what a fix replaces); other spans as they are.
    pub(crate) fn unquoted(&self, span: Span) -> Span {
        let text = self.sources.get(span.file).text.as_bytes();
        let (s, e) = (span.start as usize, span.end as usize);
        match (text.get(s), e.checked_sub(1).and_then(|l| text.get(l))) {
            (Some(&q @ (b'"' | b'\'')), Some(&c)) if e >= s + 2 && c == q => Span {
                start: span.start + 1,
                end: span.end - 1,
                ..span
            },
            _ => span,
        }
    }

    fn duplicate(&mut self, what: &str, name: &ast::Name, first: Span) {
        self.diags.push(
            Diagnostic::error(
                Code::Duplicate,
                name.span,
                format!("{what} `{}` is declared twice", name.text),
            )
            .label("second declaration")
            .related(first, "first declared here")
            .help("names are compared without regard to case, as Azure does; rename one of them"),
        );
    }

    pub(crate) fn check_azure_name(&mut self, what: &str, name: &ast::Name) {
        if !is_valid_azure_name(&name.text) {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidName,
                    name.span,
                    format!("Azure rejects `{}` as a {what} name", name.text),
                )
                .label("invalid name")
                .help(format!(
                    "{NAME_HELP}; for example `{}`",
                    azure_name_fix(&name.text)
                )),
            );
        }
    }

    /// Index top-level declarations, reporting duplicates (case-insensitive).
    fn index_declarations(&mut self) {
        let ast = self.ast;
        let index = |diags: &mut Self,
                     map: fn(&mut Self) -> &mut HashMap<String, usize>,
                     what: &str,
                     names: Vec<&'a ast::Name>| {
            for (i, n) in names.iter().enumerate() {
                let key = n.text.to_ascii_lowercase();
                match map(diags).get(&key) {
                    Some(&first) => diags.duplicate(what, n, names[first].span),
                    None => {
                        map(diags).insert(key, i);
                    }
                }
            }
        };
        index(
            self,
            |c| &mut c.envs,
            "environment",
            ast.environments.iter().map(|e| &e.name).collect(),
        );
        index(
            self,
            |c| &mut c.gates,
            "gate",
            ast.gates.iter().map(|g| &g.name).collect(),
        );
        index(
            self,
            |c| &mut c.templates,
            "template",
            ast.templates.iter().map(|t| &t.name).collect(),
        );
        index(
            self,
            |c| &mut c.artifacts,
            "artifact",
            ast.artifacts.iter().collect(),
        );
        for t in &ast.templates {
            let mut seen: HashMap<String, Span> = HashMap::default();
            let mut defaulted: Option<&ast::Param> = None;
            for p in &t.params {
                match (defaulted, &p.default) {
                    (None, Some(_)) => defaulted = Some(p),
                    (Some(d), None) => self.diags.push(
                        Diagnostic::error(
                            Code::TemplateArguments,
                            p.name.span,
                            format!(
                                "parameter `{}` has no default, but comes after `{}`, which has one",
                                p.name.text, d.name.text
                            ),
                        )
                        .label("needs a default here")
                        .related(d.name.span, "this parameter has a default")
                        .help("arguments are given in order, so parameters with defaults come last; move this parameter before them or give it a default"),
                    ),
                    _ => {}
                }
                const TYPES: [&str; 5] = ["string", "number", "bool", "environment", "artifact"];
                if !TYPES.contains(&p.ty.text.as_str()) {
                    self.diags.push(
                        Diagnostic::error(
                            Code::TemplateArguments,
                            p.ty.span,
                            format!("unknown parameter type `{}`", p.ty.text),
                        )
                        .label("not a type")
                        .did_you_mean(p.ty.span, &p.ty.text, TYPES)
                        .or_help(
                            "parameter types are string, number, bool, environment and artifact",
                        ),
                    );
                }
                if let Some(first) = seen.insert(p.name.text.to_ascii_lowercase(), p.name.span) {
                    self.duplicate("parameter", &p.name, first);
                }
                if let Some(default) = &p.default {
                    let scope = self.root_scope();
                    self.check_secret(&p.name.text, default, "parameter", &scope);
                }
            }
        }
        let root = ast
            .variables
            .iter()
            .chain(ast.pipeline.iter().flat_map(|p| p.variables.iter()));
        for v in root {
            match v {
                VarDecl::Var { name, .. } | VarDecl::Secret { name } => {
                    self.check_var_name(name);
                    let key = name.text.to_ascii_lowercase();
                    if let Some(first) = self.root_vars.get(&key) {
                        let first = first.span;
                        self.duplicate("variable", name, first);
                    } else {
                        self.root_vars.insert(
                            key,
                            VarInfo {
                                name: name.text.clone(),
                                span: name.span,
                                used: false,
                            },
                        );
                    }
                }
                VarDecl::Group { .. } => self.root_has_group = true,
            }
        }
        let mut stages: HashMap<String, Span> = HashMap::default();
        for s in &ast.stages {
            self.check_azure_name("stage", &s.name);
            if let Some(first) = stages.insert(s.name.text.to_ascii_lowercase(), s.name.span) {
                self.duplicate("stage", &s.name, first);
                stages.insert(s.name.text.to_ascii_lowercase(), first);
            }
        }
        self.stage_names = Rc::new(ast.stages.iter().map(|s| s.name.text.clone()).collect());
    }

    /// Variable names: letters, digits, `.` and `_`; some prefixes are reserved by Azure.
    fn check_var_name(&mut self, name: &ast::Name) {
        let valid = name
            .text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        let lower = name.text.to_ascii_lowercase();
        let reserved = ["endpoint", "input", "secret", "path", "securefile"]
            .into_iter()
            .find(|p| lower.starts_with(p));
        if !valid {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidName,
                    name.span,
                    format!("Azure rejects `{}` as a variable name", name.text),
                )
                .label("invalid variable name")
                .help(format!(
                    "variable names may contain letters, digits, '.' and '_'; for example `{}`",
                    azure_name_fix(&name.text)
                )),
            );
        } else if let Some(prefix) = reserved {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidName,
                    name.span,
                    format!("variable names may not start with `{prefix}`"),
                )
                .label("reserved prefix")
                .help("Azure reserves the prefixes endpoint, input, secret, path and securefile"),
            );
        }
    }

    /// Scripts that set variables at run time make those names known.
    fn scan_runtime_variables(&mut self) {
        fn visit_value(v: &ast::Value, out: &mut HashSet<String>) {
            match &v.kind {
                ast::ValueKind::Str(s) => {
                    let mut rest = s.as_str();
                    while let Some(i) = rest.find("task.setvariable") {
                        rest = &rest[i + 16..];
                        let lower = rest.to_ascii_lowercase();
                        if let Some(j) = lower.find("variable=") {
                            let name: String = rest[j + 9..]
                                .chars()
                                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                                .collect();
                            out.insert(name.to_ascii_lowercase());
                        }
                    }
                }
                ast::ValueKind::Concat(parts) => parts.iter().for_each(|p| visit_value(p, out)),
                _ => {}
            }
        }
        fn visit_body(b: &ast::Body, out: &mut HashSet<String>) {
            for item in &b.items {
                match item {
                    ast::Item::Job(j) => {
                        visit_body(&j.body, out);
                        for h in j.strategies.iter().flat_map(|s| &s.hooks) {
                            visit_body(&h.body, out);
                        }
                    }
                    ast::Item::Step(s) => {
                        if let ast::StepKind::Script { text, .. } = &s.kind {
                            visit_value(text, out);
                        }
                        for e in &s.inputs {
                            visit_value(&e.value, out);
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut out = HashSet::default();
        for s in &self.ast.stages {
            visit_body(&s.body, &mut out);
        }
        for t in &self.ast.templates {
            visit_body(&t.body, &mut out);
        }
        self.runtime_vars = out;
    }

    /// The scope of pipeline-level declarations: pipeline variables and groups,
    /// all stages as names for status functions.
    pub(crate) fn root_scope(&self) -> Scope {
        Scope {
            has_group: self.root_has_group,
            nodes: self.stage_names.clone(),
            in_stage_condition: true,
            ..Scope::default()
        }
    }

    /// A variable declared in `scope` or at pipeline level, by its declared spelling.
    pub(crate) fn lookup_var(&mut self, name: &str, scope: &Scope) -> Option<String> {
        if let Some(v) = scope.vars.iter().find(|v| v.eq_ignore_ascii_case(name)) {
            return Some(v.clone());
        }
        self.root_var(name).map(|v| v.name.clone())
    }

    /// Whether a variable is visible; like [`Checker::lookup_var`] without allocating.
    pub(crate) fn has_var(&mut self, name: &str, scope: &Scope) -> bool {
        scope.vars.iter().any(|v| v.eq_ignore_ascii_case(name)) || self.root_var(name).is_some()
    }

    /// A pipeline-level variable, marked used.
    pub(crate) fn root_var(&mut self, name: &str) -> Option<&VarInfo> {
        let mut buf = [0u8; 64];
        let owned;
        let key: &str = match buf.get_mut(..name.len()) {
            Some(b) if name.is_ascii() => {
                b.copy_from_slice(name.as_bytes());
                b.make_ascii_lowercase();
                std::str::from_utf8(b).unwrap_or_default()
            }
            _ => {
                owned = name.to_ascii_lowercase();
                &owned
            }
        };
        let var = self.root_vars.get_mut(key)?;
        var.used = true;
        Some(var)
    }

    pub(crate) fn visible_vars(&self, scope: &Scope) -> Vec<String> {
        let mut out: Vec<String> = scope.vars.clone();
        out.extend(self.root_vars.values().map(|v| v.name.clone()));
        out.sort();
        out
    }

    pub(crate) fn env_key(&self, name: &str) -> Option<usize> {
        self.envs.get(&name.to_ascii_lowercase()).copied()
    }

    pub(crate) fn env_decl(&self, name: &str) -> Option<&'a ast::Environment> {
        self.env_key(name).map(|i| &self.ast.environments[i])
    }

    pub(crate) fn mark_env_used(&mut self, name: &str) {
        self.used_envs.insert(name.to_ascii_lowercase());
    }

    /// A `var`/`secret`/`group` declaration as IR.
    pub(crate) fn variable(&mut self, v: &VarDecl, scope: &Scope) -> Option<ir::Variable> {
        Some(match v {
            VarDecl::Var { name, value } => {
                self.check_secret(&name.text, value, "variable", scope);
                let value = self.text(value, scope)?;
                ir::Variable::Value {
                    name: name.text.clone(),
                    value,
                    span: name.span,
                }
            }
            VarDecl::Secret { name } => ir::Variable::Secret {
                name: name.text.clone(),
                span: name.span,
            },
            VarDecl::Group { value } => ir::Variable::Group {
                name: self.group_name(value, scope)?,
                span: value.span,
            },
        })
    }

    /// A group's name: a bare name as written (unless it is a parameter), else a text value.
    fn group_name(&mut self, v: &ast::Value, scope: &Scope) -> Option<String> {
        match &v.kind {
            ast::ValueKind::Path(p)
                if p.segments.len() == 1 && !scope.params.contains_key(&p.segments[0].text) =>
            {
                Some(p.segments[0].text.clone())
            }
            _ => self.text(v, scope),
        }
    }

    fn pipeline_block(&mut self, p: &ast::Pipeline, out: &mut ir::Pipeline) {
        let scope = self.root_scope();
        out.title = p.title.clone();
        let s = self.settings(&p.settings, Block::Pipeline);
        out.run_name = self.opt_text(s.get("run_name"), &scope);
        out.pool = s.get("pool").and_then(|v| self.pool(v, &scope));
        self.pipeline_pool_server = out.pool == Some(ir::Pool::Server);
        out.lock_behavior = self
            .word(s.get("lock_behavior"), schema::LOCK_BEHAVIORS)
            .map(|w| lock_behavior(&w));
        // Triggers and schedules are read before Azure expands expressions.
        self.text_position = azure_syntax::Position::Trigger;
        if let Some(t) = &p.trigger {
            out.trigger = self.trigger(t, false);
        }
        if let Some(t) = &p.pr {
            out.pr = Some(self.trigger(t, true));
        }
        let mut seen: HashMap<String, Span> = HashMap::default();
        for sch in &p.schedules {
            if let Some(first) = seen.insert(sch.name.text.to_ascii_lowercase(), sch.name.span) {
                self.duplicate("schedule", &sch.name, first);
            }
            if let Some(s) = self.schedule(sch) {
                out.schedules.push(s);
            }
        }
        self.text_position = azure_syntax::Position::Text;
    }

    fn trigger(&mut self, t: &ast::Trigger, pr: bool) -> ir::Trigger {
        let Some(obj) = &t.filter else {
            return ir::Trigger::None;
        };
        let block = if pr { Block::Pr } else { Block::Trigger };
        self.no_when(&obj.when, block.what());
        self.no_entries(&obj.entries, block.what());
        let s = self.settings(&obj.settings, block);
        let scope = self.root_scope();
        ir::Trigger::Filter(ir::TriggerFilter {
            branches: s
                .get("branches")
                .map(|v| self.filter(v))
                .unwrap_or_default(),
            paths: s.get("paths").map(|v| self.filter(v)),
            tags: s.get("tags").map(|v| self.filter(v)),
            batch: self.bool(s.get("batch"), &scope),
            auto_cancel: self.bool(s.get("auto_cancel"), &scope),
            drafts: self.bool(s.get("drafts"), &scope),
        })
    }

    /// `["a", "b"]` (include) or `{ include [..] exclude [..] }`.
    fn filter(&mut self, v: &ast::Value) -> ir::Filter {
        let scope = self.root_scope();
        match &v.kind {
            ast::ValueKind::Object(obj) => {
                self.no_entries(&obj.entries, "a branch filter");
                let s = self.settings(&obj.settings, Block::Filter);
                ir::Filter {
                    include: self.text_list(s.get("include"), &scope).unwrap_or_default(),
                    exclude: self.text_list(s.get("exclude"), &scope).unwrap_or_default(),
                }
            }
            _ => ir::Filter {
                include: self.text_list(Some(v), &scope).unwrap_or_default(),
                exclude: Vec::new(),
            },
        }
    }

    fn schedule(&mut self, sch: &ast::Schedule) -> Option<ir::Schedule> {
        self.no_when(&sch.settings.when, "a schedule");
        self.no_entries(&sch.settings.entries, "a schedule");
        let s = self.settings(&sch.settings.settings, Block::Schedule);
        let scope = self.root_scope();
        let Some(cron_value) = s.get("cron") else {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidCron,
                    sch.name.span,
                    format!("schedule `{}` has no `cron`", sch.name.text),
                )
                .label("when does it run?")
                .help("add e.g. `cron \"0 3 * * *\"` (minute hour day month weekday, in UTC)"),
            );
            return None;
        };
        let cron = self.text(cron_value, &scope)?;
        // A byte range of the cron text as a span, when the text is written
        // as a string literal; the whole value otherwise.
        let sub_span = |start: usize, end: usize| match &cron_value.kind {
            ast::ValueKind::Str(_) => cron_value.span.sub(start + 1, end + 1),
            _ => cron_value.span,
        };
        let expr = match cron::CronExpr::parse(&cron) {
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(Code::InvalidCron, sub_span(e.start, e.end), e.message)
                        .label("invalid cron")
                        .help_opt(e.help),
                );
                None
            }
            Ok(expr) => {
                let parsed = &expr.parsed;
                if let Some(never) = parsed.never_fires() {
                    // Day and month fields: the two that cannot meet.
                    let fields = cron::split_fields(&cron);
                    let (day, month) = (fields[2], fields[3]);
                    let mut fixed = cron.clone();
                    fixed.replace_range(day.0..day.1, &never.last_day.to_string());
                    let fixed = fixed.trim().to_string();
                    let diag = Diagnostic::warning(
                        Code::ScheduleNeverFires,
                        sub_span(day.0, month.1),
                        format!("schedule `{}` never fires: {}", sch.name.text, never.reason),
                    )
                    .label("no such date");
                    let message = format!(
                        "write day {}, the last day {} has in every year: `{fixed}` \
                         (Azure's cron has no `L` for a month's last day)",
                        never.last_day, never.months
                    );
                    self.diags.push(match &cron_value.kind {
                        ast::ValueKind::Str(_) => diag.suggestion(
                            sub_span(day.0, day.1),
                            never.last_day.to_string(),
                            message,
                        ),
                        _ => diag.help(message),
                    });
                }
                Some(expr)
            }
        };
        if s.get("branches").is_none() {
            self.diags.push(
                Diagnostic::error(Code::InvalidValue, sch.name.span, format!("schedule `{}` has no `branches`", sch.name.text))
                    .label("which branches does it build?")
                    .help("add e.g. `branches [\"main\"]`; Azure runs a schedule only for the branches it lists"),
            );
        }
        Some(ir::Schedule {
            name: sch.name.text.clone(),
            display: self.opt_text(s.get("display"), &scope),
            branches: s
                .get("branches")
                .map(|v| self.filter(v))
                .unwrap_or_default(),
            always: self.bool(s.get("always"), &scope).unwrap_or(false),
            batch: self.bool(s.get("batch"), &scope),
            span: sch.span,
            // Last: the settings above are checked even when the cron is invalid.
            cron: expr?,
        })
    }

    pub(crate) fn no_when(&mut self, when: &[ast::Expr], what: &str) {
        for w in when {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    w.span,
                    format!("{what} has no condition"),
                )
                .label("`when` is not allowed here"),
            );
        }
    }

    pub(crate) fn no_entries(&mut self, entries: &[ast::Entry], what: &str) {
        for e in entries {
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownSetting,
                    e.key.span,
                    format!(
                        "{what} takes settings written `key value`, not `{} = …`",
                        e.key.text
                    ),
                )
                .label("unexpected `=`")
                .help(format!("write `{} …` without `=`", e.key.text)),
            );
        }
    }

    /// `pool { vm_image "…" demands [..] }`, `pool "Name"`, or `pool server`.
    pub(crate) fn pool(&mut self, v: &ast::Value, scope: &Scope) -> Option<ir::Pool> {
        match &v.kind {
            ast::ValueKind::Path(p) if p.segments.len() == 1 && p.segments[0].text == "server" => {
                Some(ir::Pool::Server)
            }
            ast::ValueKind::Object(obj) => {
                self.no_entries(&obj.entries, "a pool");
                let errors_before = self.diags.error_count();
                let s = self.settings(&obj.settings, Block::Pool);
                let misspelt = self.diags.error_count() > errors_before;
                let demands = match s.get("demands") {
                    Some(
                        d @ ast::Value {
                            kind: ast::ValueKind::List(_),
                            ..
                        },
                    ) => self.text_list(Some(d), scope)?,
                    Some(d) => vec![self.text(d, scope)?],
                    None => Vec::new(),
                };
                match (s.get("vm_image"), s.get("name")) {
                    (Some(img), None) => Some(ir::Pool::VmImage {
                        image: self.text(img, scope)?,
                        demands,
                    }),
                    (None, Some(n)) => Some(ir::Pool::Named {
                        name: self.text(n, scope)?,
                        demands,
                    }),
                    _ if misspelt => None,
                    _ => {
                        self.diags.push(
                            Diagnostic::error(Code::InvalidValue, v.span, "a pool needs exactly one of `vm_image` (Microsoft-hosted) or `name` (self-hosted)")
                                .label("which agents?")
                                .help("e.g. `pool { vm_image \"ubuntu-22.04\" }`"),
                        );
                        None
                    }
                }
            }
            _ => Some(ir::Pool::Named {
                name: self.text(v, scope)?,
                demands: Vec::new(),
            }),
        }
    }

    fn environment(&mut self, env: &ast::Environment) -> ir::Environment {
        let scope = self.root_scope();
        let s = self.settings(&env.settings, Block::Environment);
        let local_deploy = self.opt_text(s.get("local_deploy"), &scope);
        let description = self.opt_text(s.get("description"), &scope);
        let resource_name = self.opt_text(s.get("resource"), &scope);
        let resource_type = self.word(s.get("resource_type"), schema::RESOURCE_TYPES);
        let mut properties = indexmap::IndexMap::new();
        let mut seen: HashMap<String, Span> = HashMap::default();
        for p in &env.properties {
            if p.key.text == "name" {
                self.diags.push(
                    Diagnostic::error(
                        Code::Duplicate,
                        p.key.span,
                        "`name` is the environment's own name and cannot be a property",
                    )
                    .label("reserved")
                    .help("pick another property name"),
                );
                continue;
            }
            if let Some(first) = seen.insert(p.key.text.to_ascii_lowercase(), p.key.span) {
                self.duplicate("property", &p.key, first);
                continue;
            }
            self.check_secret(&p.key.text, &p.value, "environment property", &scope);
            // Its `$(…)` are checked where the property is used, in the scope of that job.
            let scope = Scope {
                has_group: true,
                ..self.root_scope()
            };
            if let Some(v) = self.text(&p.value, &scope) {
                properties.insert(p.key.text.clone(), v);
            }
        }
        let checks = self.environment_checks(env);
        ir::Environment {
            name: env.name.text.clone(),
            description,
            resource_name,
            resource_type,
            protected: env.protected,
            properties,
            checks,
            local_deploy,
            span: env.span,
        }
    }

    fn report_unused(&mut self) {
        let ast = self.ast;
        // Gates are resolved where they are used; check the others too, so a
        // mistake in a gate shows before it is first used.
        for i in 0..ast.gates.len() {
            if !self.resolved_gates.contains_key(&i) {
                self.declared_gate(i);
            }
        }
        let mut unused = Vec::new();
        for v in self.root_vars.values() {
            if !v.used {
                unused.push(("variable", v.name.clone(), v.span));
            }
        }
        for e in &ast.environments {
            if !self.used_envs.contains(&e.name.text.to_ascii_lowercase()) {
                unused.push(("environment", e.name.text.clone(), e.name.span));
            }
        }
        for g in &ast.gates {
            if !self.used_gates.contains(&g.name.text.to_ascii_lowercase()) {
                unused.push(("gate", g.name.text.clone(), g.name.span));
            }
        }
        for t in &ast.templates {
            if !self
                .used_templates
                .contains(&t.name.text.to_ascii_lowercase())
            {
                unused.push(("template", t.name.text.clone(), t.name.span));
            }
        }
        // A name that a reported typo meant is not unused: the typo is the problem.
        let meant: HashSet<String> = self
            .diags
            .iter()
            .flat_map(|d| d.suggested_names())
            .map(str::to_ascii_lowercase)
            .collect();
        unused.retain(|(_, name, _)| !meant.contains(&name.to_ascii_lowercase()));
        // Declarations of imported files are library code: using some of them is normal.
        unused.retain(|(_, name, span)| {
            span.file == crate::source::FileId(0) && !name.starts_with('_')
        });
        unused.sort_by_key(|u| u.2.start);
        for (what, name, span) in unused {
            self.diags.push(
                Diagnostic::warning(Code::Unused, span, format!("{what} `{name}` is never used"))
                    .label("declared here, never used")
                    .help("remove it, or start its name with `_` to keep it without this warning"),
            );
        }
    }
}

fn lock_behavior(word: &str) -> ir::LockBehavior {
    if word == "sequential" {
        ir::LockBehavior::Sequential
    } else {
        ir::LockBehavior::RunLatest
    }
}

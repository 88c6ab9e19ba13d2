//! The checker: [`ast::File`] → [`ir::Pipeline`], reporting every problem it finds.
//!
//! It never stops at the first error: a broken stage is still checked as far
//! as it can be, and unresolved names become placeholders that do not cause
//! further errors. The IR it returns is complete only when no error was
//! reported; callers look at [`Diagnostics::has_errors`] before emitting.
//!
//! [`Checker::run`] goes through the file in phases, each in the module of its
//! concern:
//!
//! 1. [`declarations`]: index the top-level declarations by name (duplicates
//!    reported); [`scope`]: find the variables scripts set at run time.
//! 2. [`scope`]: pipeline-level variables as IR.
//! 3. [`pipeline`]: the pipeline block (settings, triggers, schedules, pool).
//! 4. [`environments`]: environments and their checks ([`gates`]).
//! 5. [`stages`], [`jobs`], [`steps`]: the stages, with [`templates`] expanded
//!    in place, [`gates`] placed, conditions checked ([`expr`]), and the
//!    dependency graphs checked ([`graph`]).
//! 6. [`templates`]: the templates nothing used, checked with stand-in arguments.
//! 7. [`graph`]: the order of artifact publications and downloads.
//! 8. [`declarations`]: declarations never used.
//!
//! Helpers the phases share: [`settings`] (schemas of `keyword value`
//! settings, values as typed data), [`secrets`] (secret-looking values),
//! [`tasks`] (task signatures), [`azure_syntax`] (Azure's syntax inside text),
//! [`duration`], [`functions`], [`located`] and [`recovered`].

mod azure_syntax;
pub use crate::cron;
mod declarations;
pub mod duration;
mod environments;
mod expr;
pub mod functions;
mod gates;
mod graph;
mod jobs;
pub mod located;
mod pipeline;
pub mod recovered;
mod scope;
mod secrets;
mod settings;
mod stages;
mod steps;
pub mod tasks;
mod templates;

use crate::ast::{self, VarDecl};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir;
use crate::source::{SourceMap, Span};
use scope::{ParamValue, Scope, VarInfo};
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
}

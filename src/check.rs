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
//! 2. [`parameters`]: runtime parameters; [`scope`]: pipeline-level variables as IR.
//! 3. [`pipeline`]: the pipeline block (settings, triggers, schedules, pool);
//!    [`resources`]: the pipeline's resources.
//! 4. [`environments`]: environments and their checks ([`gates`]).
//! 5. [`stages`], [`jobs`], [`steps`]: the stages, with [`templates`] expanded
//!    in place, compile-time `if` decided or guarded ([`compile_time`]),
//!    strategies ([`strategies`]) and containers ([`containers`]) of jobs,
//!    [`gates`] placed, conditions checked ([`expr`]), and the dependency
//!    graphs checked ([`graph`]).
//!    [`extends`]: templates of other files, used among stages or extended.
//! 6. [`templates`]: the templates nothing used, checked with stand-in arguments.
//! 7. [`graph`]: the order of artifact publications and downloads.
//! 8. [`declarations`]: declarations never used.
//!
//! Helpers the phases share: [`settings`] (schemas of `keyword value`
//! settings, values as typed data), [`secrets`] (secret-looking values),
//! [`tasks`] (task signatures), [`azure_syntax`] (Azure's syntax inside text),
//! [`duration`], [`functions`], [`located`] and [`recovered`].

mod azure_syntax;
mod compile_time;
mod containers;
pub use crate::cron;
mod declarations;
pub mod duration;
mod environments;
mod expr;
mod extends;
pub mod functions;
mod gates;
mod graph;
mod jobs;
pub mod located;
mod parameters;
mod pipeline;
pub mod recovered;
mod resources;
mod scope;
mod secrets;
mod settings;
mod stages;
mod steps;
mod strategies;
pub mod tasks;
mod templates;

use crate::ast;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir;
use crate::source::{FileId, SourceMap, Span};
use scope::{ParamValue, Scope};

/// Maps and sets keyed by names. foldhash is several times faster than SipHash
/// on short keys; flooding attacks are no concern for a compiler reading its
/// user's own files.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

pub use expr::{NAMESPACES, SHORTHANDS, is_predefined};
pub use settings::format_number;
pub use steps::macros;

/// Check a parsed file. The IR is meaningful only if the diagnostics hold no error.
pub fn check(file: &ast::File, sources: &SourceMap) -> (ir::Pipeline, Diagnostics) {
    let mut checker = Checker::new(file, sources);
    let pipeline = checker.run();
    (pipeline, checker.diags)
}

/// The state of one check of one file. Each group of fields belongs to one
/// concern and is documented, with its invariants, in that concern's module.
pub(crate) struct Checker<'a> {
    ast: &'a ast::File,
    sources: &'a SourceMap,
    diags: Diagnostics,
    /// The top-level declarations by name, indexed before anything else is checked.
    decls: declarations::Declarations,
    /// Which declarations have been used, for reporting the others.
    used: declarations::Usage,
    /// Where template expansion is, and how much it has built.
    expansion: templates::Expansion,
    /// Declared gates resolved so far, and the chain being resolved.
    gate_state: gates::GateState,
    /// Publications and downloads of artifacts, for checking their order at the end.
    artifact_uses: graph::ArtifactUses,
    /// Checks done once per place, however many times templates repeat it.
    memo: Memo,
    /// What kind of text `text` reads, for Azure's syntax inside it: set while
    /// the pipeline block's triggers and a step's script are read, and put back
    /// to [`azure_syntax::Position::Text`] after them.
    text_position: azure_syntax::Position,
    /// The pipeline's default pool is agentless (set by the pipeline block,
    /// before any stage is checked).
    pipeline_pool_server: bool,
    /// A dependency graph had unknown names or cycles (already reported), so
    /// the order of artifact uses is not checked.
    graph_broken: bool,
    /// The job being checked deploys into a resource of its environment that may
    /// be a Kubernetes namespace, whose service connection Azure passes to the
    /// Kubernetes tasks of the job: their Kubernetes connection input is not
    /// required there (E134).
    into_environment_resource: bool,
    /// Runtime parameters, declared before anything reads them.
    parameters: parameters::Declared,
    /// Undecided `if` conditions around the item being built ([`compile_time`]).
    guards: Vec<ir::Expr>,
    /// Declared resources and which of them are referred to ([`resources`]).
    resource_index: resources::ResourceIndex,
}

/// Checks remembered by the place they were made at, so that a template used
/// many times costs (and reports) them once. Entries are only ever added.
#[derive(Default)]
struct Memo {
    /// Text spans whose `$(…)` need no further checks (see `check_macros`).
    clean_macro_texts: HashSet<(FileId, u32, u32)>,
    /// Places where a secret was reported (E090), so each is reported once.
    reported_secrets: HashSet<(FileId, u32, u32)>,
    /// Whether a key's words say its value is a secret ([`secrets::key_holds_secret`]),
    /// by key: templates judge the same parameter names once per use.
    secret_keys: HashMap<String, bool>,
    /// Task steps already checked against their signature (by the start of the
    /// task's name), so a template used many times is checked once; the flag is
    /// [`Checker::into_environment_resource`] when it was checked.
    checked_tasks: HashSet<(FileId, u32, bool)>,
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
            decls: declarations::Declarations::default(),
            used: declarations::Usage::default(),
            expansion: templates::Expansion::default(),
            gate_state: gates::GateState::default(),
            artifact_uses: graph::ArtifactUses::default(),
            memo: Memo::default(),
            text_position: azure_syntax::Position::Text,
            pipeline_pool_server: false,
            graph_broken: false,
            into_environment_resource: false,
            parameters: parameters::Declared::default(),
            guards: Vec::new(),
            resource_index: Default::default(),
        }
    }

    /// The phases, in order: later ones rely on what earlier ones recorded.
    fn run(&mut self) -> ir::Pipeline {
        let ast = self.ast;
        self.index_declarations();
        self.scan_runtime_variables();
        let mut pipeline = ir::Pipeline {
            parameters: self.runtime_parameters(),
            variables: self.root_variables(),
            ..ir::Pipeline::default()
        };
        if let Some(p) = &ast.pipeline {
            self.pipeline_block(p, &mut pipeline);
        }
        pipeline.resources = self.resources();
        for env in &ast.environments {
            let e = self.environment(env);
            pipeline.environments.insert(e.name.clone(), e);
        }
        pipeline.artifacts = self.declared_artifacts();
        pipeline.stages = self.stages();
        pipeline.root = ast.stages.iter().find_map(|s| s.root).unwrap_or_default();
        pipeline.stage_templates = self.external_stages();
        pipeline.extends = self.extends(&pipeline);
        self.check_unused_templates();
        self.check_artifacts(&mut pipeline);
        self.report_unused();
        self.report_unused_parameters();
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

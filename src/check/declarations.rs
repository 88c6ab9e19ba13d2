//! Top-level declarations: indexed by name (a name declared twice is E020,
//! compared without regard to case), the declared artifacts as IR, and, once
//! everything is checked, the declarations never used (W001).

use super::scope::VarInfo;
use super::{Checker, HashMap, HashSet};
use crate::ast::{self, VarDecl};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::source::Span;
use indexmap::IndexMap;
use std::rc::Rc;

/// The top-level declarations of the file and its imports, indexed by
/// [`Checker::index_declarations`] before anything else is checked and not
/// changed after that (but for the `used` marks of `root_vars`).
#[derive(Default)]
pub(super) struct Declarations {
    /// Environments, gates, templates and artifacts by lower-cased name: the
    /// index, in the file's list, of the first declaration with that name.
    pub envs: HashMap<String, usize>,
    pub gates: HashMap<String, usize>,
    pub templates: HashMap<String, usize>,
    pub artifacts: HashMap<String, usize>,
    /// Pipeline-level variables (top-level and in the pipeline block) by
    /// lower-cased name: the first declaration of each name.
    pub root_vars: HashMap<String, VarInfo>,
    /// A pipeline-level variable group is declared, so undeclared variables may come from it.
    pub root_has_group: bool,
    /// Variables that scripts set at run time (`##vso[task.setvariable variable=x]`),
    /// lower-cased, found by [`Checker::scan_runtime_variables`].
    pub runtime_vars: HashSet<String>,
    /// Every stage's name as written, in file order, duplicates included: the
    /// names a pipeline-level condition may refer to.
    pub stage_names: Rc<Vec<String>>,
}

/// The environments, gates and templates used so far, by lower-cased name;
/// only ever added to. Those missing at the end are reported by
/// [`Checker::report_unused`]. (A variable's use is marked on its [`VarInfo`].)
#[derive(Default)]
pub(super) struct Usage {
    pub envs: HashSet<String>,
    pub gates: HashSet<String>,
    pub templates: HashSet<String>,
}

impl<'a> Checker<'a> {
    /// Index top-level declarations, reporting duplicates (case-insensitive).
    pub(super) fn index_declarations(&mut self) {
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
            |c| &mut c.decls.envs,
            "environment",
            ast.environments.iter().map(|e| &e.name).collect(),
        );
        index(
            self,
            |c| &mut c.decls.gates,
            "gate",
            ast.gates.iter().map(|g| &g.name).collect(),
        );
        index(
            self,
            |c| &mut c.decls.templates,
            "template",
            ast.templates.iter().map(|t| &t.name).collect(),
        );
        index(
            self,
            |c| &mut c.decls.artifacts,
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
        for v in self.root_var_decls() {
            match v {
                VarDecl::Var { name, .. } | VarDecl::Secret { name } => {
                    self.check_var_name(name);
                    let key = name.text.to_ascii_lowercase();
                    if let Some(first) = self.decls.root_vars.get(&key) {
                        let first = first.span;
                        self.duplicate("variable", name, first);
                    } else {
                        self.decls.root_vars.insert(
                            key,
                            VarInfo {
                                name: name.text.clone(),
                                span: name.span,
                                used: false,
                            },
                        );
                    }
                }
                VarDecl::Group { .. } => self.decls.root_has_group = true,
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
        self.decls.stage_names = Rc::new(ast.stages.iter().map(|s| s.name.text.clone()).collect());
    }

    /// The declared artifacts as IR, in file order; who publishes each is
    /// filled in by [`Checker::check_artifacts`].
    pub(super) fn declared_artifacts(&self) -> IndexMap<String, ir::Artifact> {
        let mut out = IndexMap::new();
        for a in &self.ast.artifacts {
            out.insert(
                a.text.clone(),
                ir::Artifact {
                    name: a.text.clone(),
                    published_by: None,
                    span: a.span,
                },
            );
        }
        out
    }

    pub(super) fn duplicate(&mut self, what: &str, name: &ast::Name, first: Span) {
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

    pub(super) fn report_unused(&mut self) {
        let ast = self.ast;
        // Gates are resolved where they are used; check the others too, so a
        // mistake in a gate shows before it is first used.
        for i in 0..ast.gates.len() {
            if !self.gate_state.resolved.contains_key(&i) {
                self.declared_gate(i);
            }
        }
        let mut unused = Vec::new();
        for v in self.decls.root_vars.values() {
            if !v.used {
                unused.push(("variable", v.name.clone(), v.span));
            }
        }
        for e in &ast.environments {
            if !self.used.envs.contains(&e.name.text.to_ascii_lowercase()) {
                unused.push(("environment", e.name.text.clone(), e.name.span));
            }
        }
        for g in &ast.gates {
            if !self.used.gates.contains(&g.name.text.to_ascii_lowercase()) {
                unused.push(("gate", g.name.text.clone(), g.name.span));
            }
        }
        for t in &ast.templates {
            if !self
                .used
                .templates
                .contains(&t.name.text.to_ascii_lowercase())
            {
                unused.push(("template", t.name.text.clone(), t.name.span));
            }
        }
        unused.extend(self.unused_resources());
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

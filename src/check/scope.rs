//! What names mean where they are read: [`Scope`] (template parameters,
//! local variables, the nodes a condition may name), pipeline-level variables
//! ([`VarInfo`]), and variable declarations and references.

use super::{Checker, HashMap, HashSet, azure_name_fix, settings};
use crate::ast::{self, VarDecl};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::source::Span;
use std::rc::Rc;

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
    pub(super) fn text(&self) -> String {
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
    pub(super) name: String,
    pub(super) span: Span,
    pub(super) used: bool,
}

impl<'a> Checker<'a> {
    /// The scope of pipeline-level declarations: pipeline variables and groups,
    /// all stages as names for status functions.
    pub(crate) fn root_scope(&self) -> Scope {
        Scope {
            has_group: self.decls.root_has_group,
            nodes: self.decls.stage_names.clone(),
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
        let var = self.decls.root_vars.get_mut(key)?;
        var.used = true;
        Some(var)
    }

    pub(crate) fn visible_vars(&self, scope: &Scope) -> Vec<String> {
        let mut out: Vec<String> = scope.vars.clone();
        out.extend(self.decls.root_vars.values().map(|v| v.name.clone()));
        out.sort();
        out
    }

    /// The pipeline-level variable declarations: top-level ones, then those
    /// of the pipeline block.
    pub(super) fn root_var_decls(&self) -> impl Iterator<Item = &'a VarDecl> + use<'a> {
        let ast = self.ast;
        ast.variables
            .iter()
            .chain(ast.pipeline.iter().flat_map(|p| p.variables.iter()))
    }

    /// The pipeline-level variables as IR.
    pub(super) fn root_variables(&mut self) -> Vec<ir::Variable> {
        let scope = self.root_scope();
        self.root_var_decls()
            .filter_map(|v| self.variable(v, &scope))
            .collect()
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

    /// Variable names: letters, digits, `.` and `_`; some prefixes are reserved by Azure.
    pub(super) fn check_var_name(&mut self, name: &ast::Name) {
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

    pub(super) fn declare_local(&mut self, v: &ast::VarDecl, scope: &mut Scope) {
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

    /// Scripts that set variables at run time make those names known.
    pub(super) fn scan_runtime_variables(&mut self) {
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
                    ast::Item::If(i) => {
                        for (_, branch) in &i.branches {
                            visit_body(branch, out);
                        }
                    }
                    // A template's arguments may be the scripts it runs.
                    ast::Item::Use(u) => u.args.iter().for_each(|a| visit_value(a, out)),
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
        self.decls.runtime_vars = out;
    }
}

//! The symbol index: every definition and every reference to it, with spans,
//! across imported files. The editor's go to definition, find references,
//! rename, outline and hover read it.
//!
//! Names are resolved here from the AST by the language's scoping rules
//! (docs/language.md): stages, templates, environments, gates, artifacts and
//! pipeline variables are global; jobs belong to their stage (or template
//! body); template parameters, and variables declared in a stage or job, are
//! seen inside it. It is a pass of its own rather than a by-product of the
//! checker so that it exists for every file that parses, errors or not (the
//! editor needs it most while the file is broken), and stays linear: one walk.

use crate::ast::{self, ExprKind, Item, ValueKind, VarDecl};
use crate::source::{SourceMap, Span};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Stage,
    Job,
    Environment,
    Gate,
    Artifact,
    Variable,
    Template,
    Parameter,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Stage => "stage",
            Kind::Job => "job",
            Kind::Environment => "environment",
            Kind::Gate => "gate",
            Kind::Artifact => "artifact",
            Kind::Variable => "variable",
            Kind::Template => "template",
            Kind::Parameter => "parameter",
        }
    }
}

/// A declared name: where, what, and (for the outline) inside which definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub kind: Kind,
    pub name: String,
    /// The name as written in the declaration.
    pub span: Span,
    /// The whole declaration.
    pub extent: Span,
    pub parent: Option<usize>,
    /// One line saying what it is (`stage Dev after Build`, `template deploy(env: environment)`).
    pub detail: String,
    /// What else a reader wants to see, as written: a stage's conditions and gates,
    /// an environment's gates and properties, a gate's terms, a variable's value.
    pub notes: Vec<String>,
}

/// A use of a definition: the span of the name as written there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference {
    pub span: Span,
    pub definition: usize,
}

#[derive(Debug, Default)]
pub struct Symbols {
    pub definitions: Vec<Definition>,
    pub references: Vec<Reference>,
    /// Uses of Azure's predefined variables (`Build.SourceBranch`, `branch`, …): the
    /// span as written and the variable's full name.
    pub predefined: Vec<(Span, String)>,
}

impl Symbols {
    /// The definition whose name, or a reference to which, covers `offset` in `file`.
    pub fn at(&self, file: crate::source::FileId, offset: u32) -> Option<usize> {
        let inside = |s: &Span| s.file == file && s.start <= offset && offset <= s.end;
        self.references
            .iter()
            .find(|r| inside(&r.span))
            .map(|r| r.definition)
            .or_else(|| self.definitions.iter().position(|d| inside(&d.span)))
    }

    /// The predefined variable used at `offset` in `file`, if one is.
    pub fn predefined_at(
        &self,
        file: crate::source::FileId,
        offset: u32,
    ) -> Option<&(Span, String)> {
        self.predefined
            .iter()
            .find(|(s, _)| s.file == file && s.start <= offset && offset <= s.end)
    }

    /// The spans naming definition `d`: its declaration first, then every reference.
    pub fn occurrences(&self, d: usize) -> Vec<Span> {
        let mut out = vec![self.definitions[d].span];
        out.extend(
            self.references
                .iter()
                .filter(|r| r.definition == d)
                .map(|r| r.span),
        );
        out
    }
}

/// Build the index of `file` (imports merged in, as the checker sees it).
pub fn index(file: &ast::File, sources: &SourceMap) -> Symbols {
    let mut ix = Indexer {
        sources,
        out: Symbols::default(),
        global: HashMap::new(),
    };
    ix.declare_globals(file);
    ix.annotate(file);
    for t in &file.templates {
        ix.template(t);
    }
    for e in &file.environments {
        let scope = Scope::default();
        for g in &e.gates {
            ix.gate_expr(g, &scope);
        }
        for p in &e.properties {
            ix.value(&p.value, &scope);
        }
    }
    for g in &file.gates {
        ix.gate_expr(&g.gate, &Scope::default());
    }
    if let Some(p) = &file.pipeline {
        for v in &p.variables {
            ix.var_value(v, &Scope::default());
        }
    }
    for v in &file.variables {
        ix.var_value(v, &Scope::default());
    }
    for s in &file.stages {
        ix.stage(s);
    }
    ix.out
}

/// Names visible inside a stage, job or template body, besides the global ones.
#[derive(Default, Clone)]
struct Scope {
    jobs: HashMap<String, usize>,
    params: HashMap<String, usize>,
    vars: HashMap<String, usize>,
    /// Inside a stage condition, `dependencies.X` names stages; inside a job's, jobs.
    in_stage_condition: bool,
}

struct Indexer<'a> {
    sources: &'a SourceMap,
    out: Symbols,
    global: HashMap<(Kind, String), usize>,
}

fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl Indexer<'_> {
    fn define(
        &mut self,
        kind: Kind,
        name: &ast::Name,
        extent: Span,
        parent: Option<usize>,
        detail: String,
    ) -> usize {
        self.out.definitions.push(Definition {
            kind,
            name: name.text.clone(),
            span: name.span,
            extent,
            parent,
            detail,
            notes: Vec::new(),
        });
        self.out.definitions.len() - 1
    }

    fn define_global(&mut self, kind: Kind, name: &ast::Name, extent: Span, detail: String) {
        let d = self.define(kind, name, extent, None, detail);
        self.global.entry((kind, key(&name.text))).or_insert(d);
    }

    fn refer(&mut self, span: Span, definition: Option<usize>) {
        if let Some(definition) = definition {
            self.out.references.push(Reference { span, definition });
        }
    }

    fn global(&self, kind: Kind, name: &str) -> Option<usize> {
        self.global.get(&(kind, key(name))).copied()
    }

    /// The source text of `span`, on one line and cut to a readable length.
    fn written(&self, span: Span) -> String {
        let text = self
            .sources
            .get(span.file)
            .text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("");
        let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        match one_line.char_indices().nth(160) {
            Some((cut, _)) => format!("{}…", &one_line[..cut]),
            None => one_line,
        }
    }

    fn note(&mut self, kind: Kind, name: &str, note: String) {
        if let Some(d) = self.global(kind, name) {
            self.out.definitions[d].notes.push(note);
        }
    }

    /// Hover notes of the global definitions.
    fn annotate(&mut self, file: &ast::File) {
        for s in &file.stages {
            for item in &s.body.items {
                match item {
                    Item::When(e) => {
                        let w = format!("when {}", self.written(e.span));
                        self.note(Kind::Stage, &s.name.text, w);
                    }
                    Item::Gate(g) => {
                        let w = format!("gate {}", self.written(g.span));
                        self.note(Kind::Stage, &s.name.text, w);
                    }
                    _ => {}
                }
            }
        }
        for e in &file.environments {
            for g in &e.gates {
                let w = format!("gate {}", self.written(g.span));
                self.note(Kind::Environment, &e.name.text, w);
            }
            for p in &e.properties {
                let w = format!("{} = {}", p.key.text, self.written(p.value.span));
                self.note(Kind::Environment, &e.name.text, w);
            }
        }
        for g in &file.gates {
            let w = format!("= {}", self.written(g.gate.span));
            self.note(Kind::Gate, &g.name.text, w);
        }
        let pipeline_vars = file.pipeline.iter().flat_map(|p| p.variables.iter());
        for v in pipeline_vars.chain(file.variables.iter()) {
            if let VarDecl::Var { name, value } = v {
                let w = format!("= {}", self.written(value.span));
                self.note(Kind::Variable, &name.text, w);
            }
        }
    }

    fn declare_globals(&mut self, file: &ast::File) {
        for s in &file.stages {
            let after = s
                .after
                .as_ref()
                .map(|a| {
                    let names: Vec<&str> = a.names.iter().map(|n| n.text.as_str()).collect();
                    format!(" after {}", names.join(", "))
                })
                .unwrap_or_default();
            self.define_global(
                Kind::Stage,
                &s.name,
                s.span,
                format!("stage {}{after}", s.name.text),
            );
        }
        for t in &file.templates {
            let params: Vec<String> = t
                .params
                .iter()
                .map(|p| format!("{}: {}", p.name.text, p.ty.text))
                .collect();
            let detail = format!("template {}({})", t.name.text, params.join(", "));
            self.define_global(Kind::Template, &t.name, t.span, detail);
        }
        for e in &file.environments {
            let protected = if e.protected { " protected" } else { "" };
            let detail = format!("environment {}{protected}", e.name.text);
            self.define_global(Kind::Environment, &e.name, e.span, detail);
        }
        for g in &file.gates {
            self.define_global(Kind::Gate, &g.name, g.span, format!("gate {}", g.name.text));
        }
        for a in &file.artifacts {
            self.define_global(Kind::Artifact, a, a.span, format!("artifact {}", a.text));
        }
        for p in &file.parameters {
            let detail = format!("runtime parameter {}: {}", p.name.text, p.ty.text);
            self.define_global(Kind::Parameter, &p.name, p.span, detail);
        }
        let pipeline_vars = file.pipeline.iter().flat_map(|p| p.variables.iter());
        for v in pipeline_vars.chain(file.variables.iter()) {
            if let Some((name, detail)) = var_name(v) {
                self.define_global(Kind::Variable, name, name.span, detail);
            }
        }
    }

    fn template(&mut self, t: &ast::Template) {
        let Some(parent) = self.global(Kind::Template, &t.name.text) else {
            return;
        };
        let mut scope = Scope::default();
        for p in &t.params {
            let detail = format!(
                "parameter {}: {} of template {}",
                p.name.text, p.ty.text, t.name.text
            );
            let d = self.define(Kind::Parameter, &p.name, p.name.span, Some(parent), detail);
            scope.params.insert(key(&p.name.text), d);
            if let Some(v) = &p.default {
                self.value(v, &Scope::default());
            }
        }
        self.body(&t.body, &mut scope, Some(parent), true);
    }

    fn stage(&mut self, s: &ast::Stage) {
        let parent = self.global(Kind::Stage, &s.name.text);
        if let Some(after) = &s.after {
            for n in &after.names {
                let d = self.global(Kind::Stage, &n.text);
                self.refer(n.span, d);
            }
        }
        let mut scope = Scope::default();
        self.body(&s.body, &mut scope, parent, true);
    }

    /// A stage's, job's or template's body; `stage_level` when its jobs and conditions
    /// are a stage's.
    fn body(
        &mut self,
        body: &ast::Body,
        scope: &mut Scope,
        parent: Option<usize>,
        stage_level: bool,
    ) {
        for item in &body.items {
            match item {
                Item::Job(j) => {
                    let kind = if j.environment.is_some() {
                        "deployment"
                    } else {
                        "job"
                    };
                    let d = self.define(
                        Kind::Job,
                        &j.name,
                        j.span,
                        parent,
                        format!("{kind} {}", j.name.text),
                    );
                    scope.jobs.entry(key(&j.name.text)).or_insert(d);
                }
                Item::Var(v) => {
                    if let Some((name, detail)) = var_name(v) {
                        let d = self.define(Kind::Variable, name, name.span, parent, detail);
                        scope.vars.entry(key(&name.text)).or_insert(d);
                    }
                }
                _ => {}
            }
        }
        for s in &body.settings {
            self.value(&s.value, scope);
        }
        for item in &body.items {
            match item {
                Item::Job(j) => self.job(j, scope),
                Item::Use(u) => {
                    let d = self.global(Kind::Template, &u.template.text);
                    self.refer(u.template.span, d);
                    for a in &u.args {
                        self.value(a, scope);
                    }
                }
                Item::Gate(g) => self.gate_expr(g, scope),
                Item::When(e) => {
                    let mut s = scope.clone();
                    s.in_stage_condition = stage_level;
                    self.expr(e, &s);
                }
                Item::Var(v) => self.var_value(v, scope),
                Item::Step(s) => self.step(s, scope),
                Item::If(i) => {
                    for (condition, branch) in &i.branches {
                        if let Some(c) = condition {
                            self.expr(c, scope);
                        }
                        self.body(branch, scope, parent, stage_level);
                    }
                }
                // Parameters of a template of another file: values, as anywhere.
                Item::External(t) => {
                    for e in &t.parameters.entries {
                        self.value(&e.value, scope);
                    }
                }
            }
        }
    }

    fn job(&mut self, j: &ast::Job, scope: &Scope) {
        if let Some(after) = &j.after {
            for n in &after.names {
                let d = scope.jobs.get(&key(&n.text)).copied();
                self.refer(n.span, d);
            }
        }
        if let Some(env) = &j.environment
            && let Some(first) = env.segments.first()
        {
            let d = match scope.params.get(&key(&first.text)) {
                Some(&p) => Some(p),
                None => self.global(Kind::Environment, &first.text),
            };
            self.refer(first.span, d);
        }
        let parent = scope.jobs.get(&key(&j.name.text)).copied();
        let mut inner = scope.clone();
        self.body(&j.body, &mut inner, parent, false);
        // A strategy's hooks hold steps of this job.
        for h in j.strategies.iter().flat_map(|s| &s.hooks) {
            self.body(&h.body, &mut inner, parent, false);
        }
    }

    fn step(&mut self, s: &ast::Step, scope: &Scope) {
        match &s.kind {
            ast::StepKind::Script { text, .. } => self.value(text, scope),
            ast::StepKind::Publish { artifact, from } => {
                self.artifact(artifact, scope);
                self.value(from, scope);
            }
            ast::StepKind::Download { artifact } => self.artifact(artifact, scope),
            ast::StepKind::Task { .. } | ast::StepKind::Checkout { .. } => {}
        }
        for e in &s.when {
            self.expr(e, scope);
        }
        for setting in &s.settings {
            self.value(&setting.value, scope);
        }
        for input in &s.inputs {
            self.value(&input.value, scope);
        }
    }

    fn artifact(&mut self, path: &ast::Path, scope: &Scope) {
        let Some(first) = path.segments.first() else {
            return;
        };
        let d = match scope.params.get(&key(&first.text)) {
            Some(&p) => Some(p),
            None => self.global(Kind::Artifact, &first.text),
        };
        self.refer(first.span, d);
    }

    fn var_value(&mut self, v: &VarDecl, scope: &Scope) {
        match v {
            VarDecl::Var { value, .. } | VarDecl::Group { value } => self.value(value, scope),
            VarDecl::Secret { .. } => {}
        }
    }

    fn variable(&self, name: &str, scope: &Scope) -> Option<usize> {
        scope
            .vars
            .get(&key(name))
            .copied()
            .or_else(|| self.global(Kind::Variable, name))
    }

    fn value(&mut self, v: &ast::Value, scope: &Scope) {
        match &v.kind {
            ValueKind::Str(s) => self.macros(s, v.span, scope),
            ValueKind::Path(p) => {
                let Some(first) = p.segments.first() else {
                    return;
                };
                if first.text == "parameters"
                    && !scope.params.contains_key("parameters")
                    && let Some(name) = p.segments.get(1)
                {
                    let d = self.global(Kind::Parameter, &name.text);
                    self.refer(name.span, d);
                    return;
                }
                // A parameter, an environment's property (`env.app`), a variable, or a
                // bare environment or artifact given to a template.
                let single = p.segments.len() == 1;
                let d = scope
                    .params
                    .get(&key(&first.text))
                    .copied()
                    .or_else(|| {
                        self.global(Kind::Environment, &first.text)
                            .filter(|_| !single)
                    })
                    .or_else(|| self.variable(&p.text(), scope))
                    .or_else(|| self.variable(&first.text, scope))
                    .or_else(|| self.global(Kind::Environment, &first.text))
                    .or_else(|| self.global(Kind::Artifact, &first.text));
                self.refer(first.span, d);
            }
            ValueKind::List(items) | ValueKind::Concat(items) => {
                for i in items {
                    self.value(i, scope);
                }
            }
            ValueKind::Object(o) => {
                for s in &o.settings {
                    self.value(&s.value, scope);
                }
                for e in &o.entries {
                    self.value(&e.value, scope);
                }
                for e in &o.when {
                    self.expr(e, scope);
                }
            }
            ValueKind::Number(_) | ValueKind::Bool(_) | ValueKind::Duration(_) => {}
        }
    }

    /// `$(name)` in a string: found in the source text of the string, so that each
    /// reference has the span of the name as written.
    fn macros(&mut self, text: &str, span: Span, scope: &Scope) {
        if !text.contains("$(") {
            return;
        }
        let source = &self.sources.get(span.file).text;
        let Some(written) = source.get(span.start as usize..span.end as usize) else {
            return;
        };
        for (start, name) in crate::check::macros(written) {
            let len = name.len();
            let at = span.start + start as u32;
            let d = self.variable(name, scope);
            if d.is_none() && crate::check::is_predefined(name) {
                let s = Span {
                    start: at,
                    end: at + len as u32,
                    ..span
                };
                self.out.predefined.push((s, name.to_string()));
            }
            self.refer(
                Span {
                    start: at,
                    end: at + len as u32,
                    ..span
                },
                d,
            );
        }
    }

    fn expr(&mut self, e: &ast::Expr, scope: &Scope) {
        match &e.kind {
            ExprKind::Ident(name) => {
                let d = scope
                    .params
                    .get(&key(name))
                    .copied()
                    .or_else(|| self.variable(name, scope));
                if d.is_none()
                    && let Some((_, full)) =
                        crate::check::SHORTHANDS.iter().find(|(s, _)| s == name)
                {
                    self.out.predefined.push((e.span, full.to_string()));
                }
                self.refer(e.span, d);
            }
            ExprKind::Index { base, index } => {
                if let ExprKind::Ident(root) = &base.kind
                    && root == "variables"
                    && let ExprKind::Str(name) = &index.kind
                {
                    let d = self.variable(name, scope);
                    let inner = Span {
                        start: index.span.start + 1,
                        end: index.span.end.saturating_sub(1).max(index.span.start + 1),
                        ..index.span
                    };
                    if d.is_none() && crate::check::is_predefined(name) {
                        self.out.predefined.push((inner, name.clone()));
                    }
                    self.refer(inner, d);
                    return;
                }
                self.expr(base, scope);
                self.expr(index, scope);
            }
            ExprKind::Field { base, name } => {
                if let Some(path) = dotted(e)
                    && crate::check::is_predefined(&path)
                    && self.variable(&path, scope).is_none()
                {
                    self.out.predefined.push((e.span, path));
                    return;
                }
                if let ExprKind::Ident(root) = &base.kind {
                    if root == "variables" {
                        let d = self.variable(&name.text, scope);
                        self.refer(name.span, d);
                        return;
                    }
                    if root == "parameters" && !scope.params.contains_key("parameters") {
                        let d = self.global(Kind::Parameter, &name.text);
                        self.refer(name.span, d);
                        return;
                    }
                    if root.eq_ignore_ascii_case("dependencies") {
                        let d = self.node(&name.text, scope);
                        self.refer(name.span, d);
                        return;
                    }
                    if let Some(&p) = scope.params.get(&key(root)) {
                        self.refer(base.span, Some(p));
                        return;
                    }
                    if let Some(env) = self.global(Kind::Environment, root) {
                        self.refer(base.span, Some(env));
                        return;
                    }
                }
                self.expr(base, scope);
            }
            ExprKind::Call { name, args } => {
                let status = ["succeeded", "failed", "succeededOrFailed", "canceled"]
                    .iter()
                    .any(|f| f.eq_ignore_ascii_case(&name.text));
                for a in args {
                    match &a.kind {
                        ExprKind::Str(node) if status => {
                            let d = self.node(node, scope);
                            let inner = Span {
                                start: a.span.start + 1,
                                end: a.span.end.saturating_sub(1).max(a.span.start + 1),
                                ..a.span
                            };
                            self.refer(inner, d);
                        }
                        _ => self.expr(a, scope),
                    }
                }
            }
            ExprKind::Not(inner) => self.expr(inner, scope),
            ExprKind::Logical { operands, .. } => {
                for o in operands {
                    self.expr(o, scope);
                }
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs, scope);
                self.expr(rhs, scope);
            }
            ExprKind::In { lhs, list, .. } => {
                self.expr(lhs, scope);
                for x in list {
                    self.expr(x, scope);
                }
            }
            ExprKind::Str(_) | ExprKind::Number(_) | ExprKind::Version(_) | ExprKind::Bool(_) => {}
        }
    }

    /// A stage (in a stage condition) or a job of this body (in a job's).
    fn node(&self, name: &str, scope: &Scope) -> Option<usize> {
        if scope.in_stage_condition {
            self.global(Kind::Stage, name)
        } else {
            scope.jobs.get(&key(name)).copied()
        }
    }

    fn gate_expr(&mut self, g: &ast::GateExpr, scope: &Scope) {
        for t in &g.terms {
            match t {
                ast::GateTerm::Ref(name) => {
                    let d = self.global(Kind::Gate, &name.text);
                    self.refer(name.span, d);
                }
                ast::GateTerm::When(e) => {
                    let mut s = scope.clone();
                    s.in_stage_condition = true;
                    self.expr(e, &s);
                }
                ast::GateTerm::Kind(k) => {
                    for s in &k.settings {
                        self.value(&s.value, scope);
                    }
                }
            }
        }
    }
}

/// `Build.Repository.Name` for a chain of names joined by `.`.
fn dotted(e: &ast::Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Ident(name) => Some(name.clone()),
        ExprKind::Field { base, name } => Some(format!("{}.{}", dotted(base)?, name.text)),
        _ => None,
    }
}

fn var_name(v: &VarDecl) -> Option<(&ast::Name, String)> {
    match v {
        VarDecl::Var { name, .. } => Some((name, format!("var {}", name.text))),
        VarDecl::Secret { name } => Some((name, format!("secret {}", name.text))),
        VarDecl::Group { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indexed(text: &str) -> (Symbols, String) {
        let mut sources = SourceMap::new();
        let id = sources.add("t.release", text);
        let (ast, _) = crate::syntax::parse(id, sources.get(id));
        (index(&ast.expect("parses"), &sources), text.to_string())
    }

    /// The text of every occurrence of the definition named `name` of `kind`.
    fn occurrences(s: &Symbols, text: &str, kind: Kind, name: &str) -> Vec<(u32, String)> {
        let d = s
            .definitions
            .iter()
            .position(|d| d.kind == kind && d.name == name)
            .unwrap_or_else(|| panic!("no {kind:?} {name}"));
        s.occurrences(d)
            .into_iter()
            .map(|sp| {
                (
                    sp.start,
                    text[sp.start as usize..sp.end as usize].to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn every_kind_of_reference_points_at_its_definition() {
        let text = r#"environment dev { app = "web" }
artifact drop
gate main_only = when branch == "main"
var config = "Release"
template deploy(env: environment) {
  deployment Web to env { script "deploy $(config) " + env.app }
}
stage Build {
  job Compile { script "make $(config)"  publish drop from "out" }
  job Test after Compile { when succeeded('Compile') && variables['config'] == "Release" script "t" }
}
stage Dev after Build {
  gate main_only
  when dependencies.Build.result == "Succeeded"
  use deploy(dev)
  job Get { download drop }
}
"#;
        let (s, t) = indexed(text);
        let names = |k, n| -> Vec<String> {
            occurrences(&s, &t, k, n)
                .into_iter()
                .map(|(_, x)| x)
                .collect()
        };
        assert_eq!(names(Kind::Stage, "Build"), ["Build", "Build", "Build"]);
        assert_eq!(
            names(Kind::Job, "Compile"),
            ["Compile", "Compile", "Compile"]
        );
        assert_eq!(
            names(Kind::Variable, "config"),
            ["config", "config", "config", "config"]
        );
        assert_eq!(names(Kind::Environment, "dev"), ["dev", "dev"]);
        assert_eq!(names(Kind::Artifact, "drop"), ["drop", "drop", "drop"]);
        assert_eq!(names(Kind::Gate, "main_only"), ["main_only", "main_only"]);
        assert_eq!(names(Kind::Template, "deploy"), ["deploy", "deploy"]);
        assert_eq!(names(Kind::Parameter, "env"), ["env", "env", "env"]);
    }

    #[test]
    fn runtime_parameters_are_referenced_from_text_and_conditions() {
        let text = r#"parameter target: string = "dev"
stage S {
  job J { script "deploy " + parameters.target { when parameters.target == "prod" } }
}
"#;
        let (s, t) = indexed(text);
        let found = occurrences(&s, &t, Kind::Parameter, "target");
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found.iter().all(|(_, x)| x == "target"));
    }

    #[test]
    fn jobs_are_scoped_to_their_stage() {
        let text = "stage A { job J { script \"x\" } }\nstage B { job J { script \"y\" }  job K after J { script \"z\" } }\n";
        let (s, t) = indexed(text);
        let js: Vec<usize> = s
            .definitions
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind == Kind::Job && d.name == "J")
            .map(|(i, _)| i)
            .collect();
        assert_eq!(js.len(), 2);
        // `after J` in stage B is B's J, the second one.
        let after = t.rfind("after J").unwrap() as u32 + 6;
        assert_eq!(s.at(crate::source::FileId(0), after), Some(js[1]));
        assert_eq!(s.occurrences(js[0]).len(), 1);
    }
}

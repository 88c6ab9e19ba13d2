//! Template expansion: `use name(args)` bound, expanded in place and counted
//! against the expansion budget, and the templates nothing uses checked too.

use super::jobs::JobParts;
use super::stages::StageParts;
use super::{Checker, HashMap, ParamValue, Scope};
use crate::ast::{self, Item};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;
use std::rc::Rc;

/// Azure's own limit on nested templates.
const MAX_TEMPLATE_DEPTH: usize = 100;

/// Jobs, steps and template uses a pipeline may expand to: far beyond what
/// Azure accepts (20 MB of YAML; 10,000 stages of 5 jobs of 10 steps, 87 MB of
/// YAML, are 610,000), and small enough that an exponential chain of templates
/// stops within a second or two and a few hundred megabytes.
pub(crate) const MAX_EXPANDED: usize = 1_000_000;
const MAX_EXPANDED_TEXT: &str = "1,000,000";

/// How far template expansion has gone.
#[derive(Default)]
pub(super) struct Expansion {
    /// The templates being expanded, outermost first, by lower-cased name: a
    /// use of one of them is a cycle. Empty between stages.
    pub stack: Vec<String>,
    /// Jobs, steps and template uses built so far; it only grows, and nothing
    /// more is built once it passes [`MAX_EXPANDED`] (see [`Checker::spend`]).
    pub expanded: usize,
    /// Whether passing [`MAX_EXPANDED`] has been reported (once per file).
    pub reported: bool,
}

/// Where a body is being expanded: into a stage (jobs) or into a job (steps).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    Stage,
    Job,
}

/// A template's parameters bound to their values, and where each value is written.
type Bindings = (HashMap<String, ParamValue>, Rc<HashMap<String, Span>>);

impl<'a> Checker<'a> {
    /// Expand `use name(args)` with `expand`: the template's body in a scope
    /// where its parameters are bound, problems inside it pointing at the use.
    pub(super) fn expand_use(
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
        self.expansion.stack.push(t.name.text.to_ascii_lowercase());
        expand(self, &t.body, &mut inner);
        self.expansion.stack.pop();
        if self.expansion.stack.is_empty() {
            self.report_expansion(
                u.span,
                format!("this use of `{}`", t.name.text),
                Some(t.name.span),
            );
        }
        self.note_instantiation(before, t, u);
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
        let Some(&index) = self.decls.templates.get(&key) else {
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
        self.used.templates.insert(key.clone());
        let t = &ast.templates[index];
        if self.expansion.stack.contains(&key) {
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
        if self.expansion.stack.len() >= MAX_TEMPLATE_DEPTH {
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
        let has_jobs = holds_jobs(&t.body);
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
            "string" => {
                // Logging commands are judged where the template uses the text (a
                // script prints them on purpose), not here.
                let outer = std::mem::replace(
                    &mut self.text_position,
                    super::azure_syntax::Position::Argument,
                );
                let text = self.text(v, scope);
                self.text_position = outer;
                text.map(ParamValue::Text)
            }
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

    /// Check the templates of this file that nothing uses, so a mistake in one
    /// shows before its first use. Parameters take their defaults, or an empty
    /// text, zero or false; a template with an environment or artifact
    /// parameter and no default is left for its first use, since any
    /// stand-in environment could lack the properties it reads.
    pub(crate) fn check_unused_templates(&mut self) {
        let ast = self.ast;
        for t in &ast.templates {
            let key = t.name.text.to_ascii_lowercase();
            if self.used.templates.contains(&key) || t.span.file != crate::source::FileId(0) {
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
            let publications = std::mem::take(&mut self.artifact_uses.publications);
            let downloads = std::mem::take(&mut self.artifact_uses.downloads);
            let mut scope = Scope {
                params,
                param_origins: Rc::new(origins),
                ..root
            };
            self.expansion.stack.push(key);
            if holds_jobs(&t.body) {
                let job_names = Rc::new(self.job_names(&t.body));
                self.stage_body(&t.body, &mut scope, &mut StageParts::default(), &job_names);
            } else {
                scope.nodes = Rc::default();
                scope.in_stage_condition = false;
                self.job_body(&t.body, &mut scope, &mut JobParts::default(), &t.name.text);
            }
            self.expansion.stack.pop();
            self.artifact_uses.publications = publications;
            self.artifact_uses.downloads = downloads;
        }
    }

    /// Count `n` more jobs or steps against [`MAX_EXPANDED`]; false once it is spent.
    pub(super) fn spend(&mut self, n: usize) -> bool {
        self.expansion.expanded = self.expansion.expanded.saturating_add(n);
        self.expansion.expanded <= MAX_EXPANDED
    }

    /// Report, once, that the pipeline expands past [`MAX_EXPANDED`], at `span`:
    /// the outermost `use` whose expansion crossed it, or the stage.
    pub(super) fn report_expansion(&mut self, span: Span, what: String, template: Option<Span>) {
        if self.expansion.expanded <= MAX_EXPANDED || self.expansion.reported {
            return;
        }
        self.expansion.reported = true;
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
}

/// Whether a template's body is a stage's (it holds jobs, perhaps inside `if`s).
fn holds_jobs(body: &crate::ast::Body) -> bool {
    body.items.iter().any(|i| match i {
        Item::Job(_) => true,
        Item::If(i) => i.branches.iter().any(|(_, b)| holds_jobs(b)),
        _ => false,
    })
}

//! Templates of other files, which relc cannot see: `extends "…" from ALIAS { … }`
//! (Azure's root `extends:`) and `use "…" from ALIAS { … }` where a stage, a
//! job or a step goes (Azure's `- template: path@alias`).
//!
//! What can be checked is checked: the path names a YAML file (`.yml`/`.yaml`,
//! no `@`: the repository is written with `from`); `from ALIAS` names a
//! declared repository resource (E018, and the resource counts as used) or
//! `self`; the parameters are data written `key = value` (E003 for a
//! `key value` setting at the top, E004 for a condition, E005 for a key given
//! twice), their values texts, numbers, booleans, lists and `{ … }` blocks,
//! checked as any value is (variables, parameters, `$(…)`).
//!
//! `extends` passes the file's own stages (or root jobs, or root steps) to the
//! template as the value of one parameter, written `pipeline.stages`
//! (`pipeline.jobs`, `pipeline.steps`), at any depth of `{ … }` blocks but not
//! inside a list. Invariants (E170): a file that extends and has stages, jobs
//! or steps passes them exactly once, with the word of its root form; only
//! `extends` can pass them.

use super::{Checker, Scope};
use crate::ast::{self, ResourceKind, ValueKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Data, Scalar};
use crate::source::Span;
use indexmap::IndexMap;

/// Where `pipeline.stages` (or `.jobs`, `.steps`) was written in parameters.
struct Slot {
    keys: Vec<String>,
    form: ir::RootForm,
    span: Span,
}

/// `pipeline.stages` → the root form it stands for; `None` if not `pipeline.X`.
fn slot_form(path: &ast::Path) -> Option<Result<ir::RootForm, ()>> {
    match &path.segments[..] {
        [p, what] if p.text == "pipeline" => Some(match what.text.as_str() {
            "stages" => Ok(ir::RootForm::Stages),
            "jobs" => Ok(ir::RootForm::Jobs),
            "steps" => Ok(ir::RootForm::Steps),
            _ => Err(()),
        }),
        _ => None,
    }
}

fn form_word(f: ir::RootForm) -> &'static str {
    match f {
        ir::RootForm::Stages => "stages",
        ir::RootForm::Jobs => "jobs",
        ir::RootForm::Steps => "steps",
    }
}

impl<'a> Checker<'a> {
    /// `extends`, checked once the stages are: where they go (E170).
    pub(crate) fn extends(&mut self, pipeline: &ir::Pipeline) -> Option<Box<ir::Extends>> {
        let ast = self.ast;
        let t = ast.extends.as_ref()?;
        let scope = self.pipeline_scope();
        let mut slots = Vec::new();
        // The slots are checked even when the reference is wrong (reported).
        let template = self.template_ref(t, &scope, Some(&mut slots));
        let has_own = !ast.stages.is_empty() || !ast.external_stages.is_empty();
        let mut slots = slots.into_iter();
        let slot = slots.next();
        for extra in slots {
            self.diags.push(
                Diagnostic::error(
                    Code::ExtendsStages,
                    extra.span,
                    format!("the pipeline's {} are passed twice", form_word(extra.form)),
                )
                .label("second time")
                .related(
                    slot.as_ref().map_or(extra.span, |s| s.span),
                    "first passed here",
                )
                .help("a pipeline's stages go to one parameter of the template it extends"),
            );
        }
        match &slot {
            None if has_own => {
                let at = ast
                    .stages
                    .first()
                    .map(|s| {
                        if s.root.is_some() {
                            s.span
                        } else {
                            s.name.span
                        }
                    })
                    .or_else(|| ast.external_stages.first().map(|(_, u)| u.span))
                    .unwrap_or(t.span);
                let word = form_word(pipeline.root);
                self.diags.push(
                    Diagnostic::error(
                        Code::ExtendsStages,
                        at,
                        format!(
                            "this pipeline extends `{}`, so its {word} must be passed to it",
                            t.path
                        ),
                    )
                    .label(format!("{word} not passed to the template"))
                    .related(t.span, "the template it extends")
                    .help(format!(
                        "Azure runs only the template: pass them as a parameter, `{word} = pipeline.{word}` in the `extends` block, or remove them"
                    )),
                );
            }
            Some(s) if s.form != pipeline.root && has_own => {
                let word = form_word(pipeline.root);
                self.diags.push(
                    Diagnostic::error(
                        Code::ExtendsStages,
                        s.span,
                        format!(
                            "this pipeline is written as {word}, not {}",
                            form_word(s.form)
                        ),
                    )
                    .label(format!("the file has no root {}", form_word(s.form)))
                    .help(format!("write `pipeline.{word}`")),
                );
            }
            _ => {}
        }
        Some(Box::new(ir::Extends {
            template: template?,
            slot: slot.map(|s| s.keys),
        }))
    }

    /// The stage templates written at the root (`use "…"` among stages).
    pub(crate) fn external_stages(&mut self) -> Vec<ir::Placed> {
        let ast = self.ast;
        let scope = self.pipeline_scope();
        ast.external_stages
            .iter()
            .filter_map(|(at, t)| {
                let template = self.template_ref(t, &scope, None)?;
                Some(ir::Placed { at: *at, template })
            })
            .collect()
    }

    /// `use "…"` among a job's steps: a step of kind template.
    pub(crate) fn external_step(
        &mut self,
        t: &'a ast::ExternalTemplate,
        scope: &Scope,
    ) -> Option<ir::Step> {
        let r = self.template_ref(t, scope, None)?;
        Some(ir::Step {
            kind: ir::StepKind::Template(Box::new(r)),
            display: None,
            options: None,
            span: t.span,
        })
    }

    /// `use "…"` among a stage's jobs, placed after the `at` jobs before it.
    pub(crate) fn external_job(
        &mut self,
        t: &'a ast::ExternalTemplate,
        scope: &Scope,
        at: usize,
    ) -> Option<ir::Placed> {
        let template = self.template_ref(t, scope, None)?;
        Some(ir::Placed { at, template })
    }

    fn pipeline_scope(&self) -> Scope {
        Scope {
            has_group: self.decls.root_has_group,
            ..Scope::default()
        }
    }

    /// The reference and parameters of a template file, checked. `slots`
    /// collects `pipeline.stages` (`extends` only; elsewhere it is E170).
    /// `None` when the reference itself is wrong (reported).
    fn template_ref(
        &mut self,
        t: &'a ast::ExternalTemplate,
        scope: &Scope,
        mut slots: Option<&mut Vec<Slot>>,
    ) -> Option<ir::TemplateRef> {
        let mut ok = true;
        let lower = t.path.to_ascii_lowercase();
        if t.path.contains('@') {
            ok = false;
            let (path, alias) = t.path.split_once('@').unwrap_or((&t.path, ""));
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    t.path_span,
                    "the repository of a template is written with `from`",
                )
                .label("`@` in the path")
                .help(format!("write `\"{path}\" from {alias}`")),
            );
        } else if !(lower.ends_with(".yml") || lower.ends_with(".yaml")) {
            ok = false;
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    t.path_span,
                    "a template is a YAML file: its path ends in `.yml` or `.yaml`",
                )
                .label("not a YAML file")
                .help("to use a template of this file, write `use name(arguments)` (section 12)"),
            );
        }
        let repository = match &t.repository {
            None => None,
            Some(n) if n.text.eq_ignore_ascii_case("self") => Some("self".to_string()),
            Some(n) => match self.use_resource(ResourceKind::Repository, &n.text) {
                Some(r) => Some(r.name.text.clone()),
                None => {
                    ok = false;
                    let mut names = self.resource_aliases(ResourceKind::Repository);
                    names.push("self");
                    self.diags.push(
                        Diagnostic::error(
                            Code::UnknownResource,
                            n.span,
                            format!("unknown repository `{}`", n.text),
                        )
                        .label("not `self` or a declared repository")
                        .did_you_mean(n.span, &n.text, names.iter().copied())
                        .or_help(format!(
                            "declare the repository that holds the template: `resources {{ repository {} {{ type git  name \"Project/templates\" }} }}`",
                            n.text
                        )),
                    );
                    None
                }
            },
        };
        let parameters = self.template_parameters(&t.parameters, scope, &mut slots);
        ok.then(|| ir::TemplateRef {
            path: t.path.clone(),
            repository,
            parameters,
            span: t.span,
        })
    }

    /// The top-level `{ key = value … }` of a template use.
    fn template_parameters(
        &mut self,
        o: &ast::Object,
        scope: &Scope,
        slots: &mut Option<&mut Vec<Slot>>,
    ) -> IndexMap<String, Data> {
        for s in &o.settings {
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownSetting,
                    s.key.span,
                    format!("`{}` is written as a setting", s.key.text),
                )
                .label("not `key = value`")
                .help(format!(
                    "a template's parameters are data, written `key = value`: `{} = …`",
                    s.key.text
                )),
            );
        }
        self.no_when(&o.when, "a template's parameters block");
        let entries = o.entries.iter().map(|e| (&e.key, &e.value));
        self.data_entries(entries, scope, slots, Some(&mut Vec::new()), 0)
    }

    /// Entries of a block as a map. `keys` is the key path to the block, `None`
    /// inside a list (where the pipeline's stages cannot go).
    fn data_entries<'v>(
        &mut self,
        entries: impl Iterator<Item = (&'v ast::Name, &'v ast::Value)>,
        scope: &Scope,
        slots: &mut Option<&mut Vec<Slot>>,
        mut keys: Option<&mut Vec<String>>,
        depth: usize,
    ) -> IndexMap<String, Data> {
        let mut out = IndexMap::new();
        let mut seen: Vec<&ast::Name> = Vec::new();
        for (key, value) in entries {
            if let Some(first) = seen.iter().find(|k| k.text == key.text) {
                self.diags.push(
                    Diagnostic::error(
                        Code::RepeatedSetting,
                        key.span,
                        format!("`{}` is given twice", key.text),
                    )
                    .label("second value")
                    .related(first.span, "first given here")
                    .help("keep one of them"),
                );
                continue;
            }
            seen.push(key);
            let d = match keys.as_deref_mut() {
                Some(k) => {
                    k.push(key.text.clone());
                    let d = self.template_data(value, scope, slots, Some(&mut *k), depth + 1);
                    k.pop();
                    d
                }
                None => self.template_data(value, scope, slots, None, depth + 1),
            };
            if let Some(d) = d {
                out.insert(key.text.clone(), d);
            }
        }
        out
    }

    /// One parameter value as data; `keys` as for [`Checker::data_entries`].
    fn template_data(
        &mut self,
        v: &ast::Value,
        scope: &Scope,
        slots: &mut Option<&mut Vec<Slot>>,
        keys: Option<&mut Vec<String>>,
        depth: usize,
    ) -> Option<Data> {
        if self.too_deep(v, depth) {
            return None;
        }
        Some(match &v.kind {
            ValueKind::Path(p) if let Some(form) = slot_form(p) => {
                let Ok(form) = form else {
                    self.diags.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            v.span,
                            format!("`{}` is not something a pipeline passes", p.text()),
                        )
                        .label("unknown")
                        .help("write `pipeline.stages`, `pipeline.jobs` or `pipeline.steps`"),
                    );
                    return None;
                };
                let word = form_word(form);
                let problem = match (slots.as_deref_mut(), keys) {
                    (Some(slots), Some(keys)) => {
                        slots.push(Slot {
                            keys: keys.clone(),
                            form,
                            span: v.span,
                        });
                        None
                    }
                    (Some(_), None) => Some((
                        format!("the pipeline's {word} cannot go inside a list"),
                        "in a list",
                        format!(
                            "pass them as the value of a parameter: `{word} = pipeline.{word}`"
                        ),
                    )),
                    (None, _) => Some((
                        format!("only `extends` passes the pipeline's {word} to a template"),
                        "in a `use`",
                        format!(
                            "a `use \"…\"` stands where its {word} go; to hand the pipeline's {word} to a template, write `extends \"…\" from ALIAS {{ {word} = pipeline.{word} }}`"
                        ),
                    )),
                };
                if let Some((message, label, help)) = problem {
                    self.diags.push(
                        Diagnostic::error(Code::ExtendsStages, v.span, message)
                            .label(label)
                            .help(help),
                    );
                    return None;
                }
                // The backend writes the stages here.
                Data::List(Vec::new())
            }
            // A runtime parameter as a whole value: inserted by Azure, whatever its type.
            ValueKind::Path(p) if super::settings::is_runtime_parameter(p, scope) => {
                Data::Scalar(Scalar::Str(self.parameter_data_text(p)?))
            }
            ValueKind::Number(n) => Data::Scalar(super::parameters::number(*n)),
            ValueKind::Bool(b) => Data::Scalar(Scalar::Bool(*b)),
            ValueKind::List(items) => Data::List(
                items
                    .iter()
                    .filter_map(|i| self.template_data(i, scope, slots, None, depth + 1))
                    .collect(),
            ),
            ValueKind::Object(o) => {
                self.no_when(&o.when, "a block of data");
                // Nested blocks read as an object parameter's do: `key value` is data too.
                let entries = o
                    .settings
                    .iter()
                    .map(|s| (&s.key, &s.value))
                    .chain(o.entries.iter().map(|e| (&e.key, &e.value)));
                Data::Map(self.data_entries(entries, scope, slots, keys, depth))
            }
            _ => Data::Scalar(Scalar::Str(self.text(v, scope)?)),
        })
    }
}

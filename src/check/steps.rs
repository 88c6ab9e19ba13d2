//! Steps: scripts, tasks, artifact publication and download, checkout.

use super::{Checker, ParamValue, Scope, graph::ArtifactUse, is_predefined};
use crate::ast::{self, StepKind as A};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::ir::{self, Scalar, StepKind};
use crate::schema::Block;
use crate::source::Span;
use indexmap::IndexMap;

/// A task input that holds a script (`script` of Bash@3 and CmdLine@2,
/// `inlineScript` of AzureCLI@2, `Inline` of AzurePowerShell@5).
fn is_script_input(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    lower.ends_with("script") || lower == "inline"
}

impl Checker<'_> {
    pub(crate) fn step(&mut self, s: &ast::Step, scope: &Scope, job: &str) -> Option<ir::Step> {
        let block = match &s.kind {
            A::Download { .. } => Block::Download,
            A::Script { .. } => Block::Script,
            A::Task { .. } => Block::Task,
            A::Publish { .. } => Block::Publish,
            A::Checkout { .. } => Block::Checkout,
        };
        let what = block.what();
        let st = self.settings(&s.settings, block);
        if !matches!(s.kind, A::Task { .. } | A::Checkout { .. }) {
            for e in &s.inputs {
                self.diags.push(
                    Diagnostic::error(
                        Code::UnknownSetting,
                        e.key.span,
                        format!("{what} has no inputs (`{} = …`)", e.key.text),
                    )
                    .label("inputs belong to tasks")
                    .help_opt(
                        super::settings::azure_spelling(&e.key.text)
                            .map(|s| format!("{s} (settings are written without `=`)")),
                    )
                    .did_you_mean(e.key.span, &e.key.text, block.names())
                    .or_help("environment variables go in `env { NAME = \"value\" }`"),
                );
            }
        }
        let kind = match &s.kind {
            A::Script { shell, text } => {
                self.text_position = super::azure_syntax::Position::Script;
                let text_str = self.text(text, scope);
                self.text_position = super::azure_syntax::Position::Text;
                // The script's own text rules out a credential cheaply; only a likely one
                // is folded again to find where its text was written.
                if text_str
                    .as_deref()
                    .is_none_or(|t| super::secrets::shape(t).is_some())
                {
                    self.check_script_secret(text, scope);
                }
                let text_str = text_str?;
                StepKind::Script {
                    shell: *shell,
                    text: text_str,
                }
            }
            A::Task { name, name_span } => {
                self.check_task(name, *name_span, &s.inputs);
                let mut inputs = IndexMap::new();
                let mut seen: Vec<(String, Span)> = Vec::new();
                for e in &s.inputs {
                    if let Some((_, first)) = seen
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(&e.key.text))
                    {
                        let first = *first;
                        self.diags.push(
                            Diagnostic::error(
                                Code::Duplicate,
                                e.key.span,
                                format!("input `{}` is given twice", e.key.text),
                            )
                            .label("second value")
                            .related(first, "first given here")
                            .help("task input names are compared without regard to case"),
                        );
                        continue;
                    }
                    seen.push((e.key.text.clone(), e.key.span));
                    self.check_secret(&e.key.text, &e.value, "input", scope);
                    if is_script_input(&e.key.text) {
                        self.text_position = super::azure_syntax::Position::Script;
                    }
                    let value = self.scalar(&e.value, scope);
                    self.text_position = super::azure_syntax::Position::Text;
                    if let Some(v) = value {
                        inputs.insert(e.key.text.clone(), v);
                    }
                }
                self.task_publication(name, &inputs, job, s.span);
                StepKind::Task {
                    task: name.clone(),
                    inputs,
                }
            }
            A::Publish { artifact, from } => {
                let name = self.artifact_ref(artifact, scope)?;
                let path = self.text(from, scope)?;
                self.artifact_uses.publications.push(ArtifactUse {
                    artifact: name.clone(),
                    stage: self.artifact_uses.current_stage.clone(),
                    job: job.to_string(),
                    span: s.span,
                });
                StepKind::Publish {
                    artifact: name,
                    path,
                }
            }
            // `download none`: Azure's opt-out of a deployment job's implicit
            // download of every artifact (unless an artifact is named `none`).
            A::Download { artifact }
                if artifact.segments.len() == 1
                    && artifact.segments[0].text == "none"
                    && !self.decls.artifacts.contains_key("none") =>
            {
                if let Some(v) = st.get("patterns") {
                    self.diags.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            v.span,
                            "`download none` downloads nothing, so it takes no `patterns`",
                        )
                        .label("nothing to filter"),
                    );
                }
                StepKind::NoDownload
            }
            A::Download { artifact } if self.is_pipeline_download(artifact, scope) => {
                self.pipeline_download(artifact, st.get("patterns"), scope)?
            }
            A::Download { artifact } => {
                let name = self.artifact_ref(artifact, scope)?;
                self.artifact_uses.downloads.push(ArtifactUse {
                    artifact: name.clone(),
                    stage: self.artifact_uses.current_stage.clone(),
                    job: job.to_string(),
                    span: s.span,
                });
                StepKind::Download {
                    artifact: name,
                    patterns: self.opt_text(st.get("patterns"), scope),
                }
            }
            A::Checkout { repo } => {
                let mut options = IndexMap::new();
                for e in &s.inputs {
                    if let Some(v) = self.scalar(&e.value, scope) {
                        options.insert(e.key.text.clone(), v);
                    }
                }
                StepKind::Checkout {
                    repository: self.checkout_ref(repo),
                    options,
                }
            }
        };
        let name = match st.get("name") {
            Some(v) => {
                let n = self.text(v, scope)?;
                self.check_azure_name(
                    "step",
                    &ast::Name {
                        text: n.clone(),
                        span: v.span,
                    },
                );
                Some(n)
            }
            None => None,
        };
        let env = match st.get("env") {
            Some(v) => self.text_entries(
                v,
                scope,
                "environment variable",
                "set an environment variable",
            ),
            None => IndexMap::new(),
        };
        let display = self.opt_text(st.get("display"), scope);
        let conditions: Vec<ir::Expr> = s
            .when
            .iter()
            .map(|e| {
                let step_scope = Scope {
                    nodes: Default::default(),
                    ..scope.clone()
                };
                self.condition(e, &step_scope)
            })
            .collect();
        let options = ir::StepOptions {
            guard: None,
            name,
            condition: (!conditions.is_empty())
                .then(|| super::stages::full_condition(conditions, s.span)),
            working_directory: self.opt_text(st.get("workdir"), scope),
            env,
            continue_on_error: self
                .bool(st.get("continue_on_error"), scope)
                .unwrap_or(false),
            timeout_minutes: st
                .get("timeout")
                .and_then(|v| self.minutes(Some(v), 35_790, "a step's timeout")),
            retries: self
                .number(st.get("retries"), scope)
                .map(|n| n.max(0.0) as u64)
                .inspect(|&n| {
                    if n > 10 {
                        self.diags.push(
                            Diagnostic::error(
                                Code::OutOfRange,
                                st.get("retries").map_or(s.span, |v| v.span),
                                "Azure retries a task at most 10 times",
                            )
                            .label("more than 10"),
                        );
                    }
                }),
            enabled: self.bool(st.get("enabled"), scope),
            fail_on_stderr: self.bool(st.get("fail_on_stderr"), scope).unwrap_or(false),
        };
        let has_options = options != ir::StepOptions::default();
        Some(ir::Step {
            kind,
            display,
            options: has_options.then(|| Box::new(options)),
            span: s.span,
        })
    }

    /// A publish task (`PublishBuildArtifacts`, `PublishPipelineArtifact`) naming a
    /// declared artifact publishes it, as a `publish` step would.
    fn task_publication(
        &mut self,
        task: &str,
        inputs: &IndexMap<String, Scalar>,
        job: &str,
        span: Span,
    ) {
        let base = task.split('@').next().unwrap_or("").to_ascii_lowercase();
        if base != "publishbuildartifacts" && base != "publishpipelineartifact" {
            return;
        }
        let named = inputs.iter().find(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k == "artifactname" || k == "artifact"
        });
        if let Some((_, Scalar::Str(artifact))) = named
            && let Some(&i) = self.decls.artifacts.get(&artifact.to_ascii_lowercase())
        {
            self.artifact_uses.publications.push(ArtifactUse {
                artifact: self.ast.artifacts[i].text.clone(),
                stage: self.artifact_uses.current_stage.clone(),
                job: job.to_string(),
                span,
            });
        }
    }

    fn scalar(&mut self, v: &ast::Value, scope: &Scope) -> Option<Scalar> {
        match &v.kind {
            ast::ValueKind::Bool(b) => Some(Scalar::Bool(*b)),
            // A number the YAML writes as spelled stays a number; one that
            // would be written otherwise (`10.0` as `10`, `007` as `7`, a
            // digit string beyond f64's precision) is passed as its text.
            ast::ValueKind::Number(n) => {
                let spelled = self.number_text(*n, v.span);
                let number = if n.fract() == 0.0 && n.abs() < 1e15 {
                    Scalar::Int(*n as i64)
                } else {
                    Scalar::Float(*n)
                };
                let written = match &number {
                    Scalar::Int(i) => i.to_string(),
                    Scalar::Float(f) => f.to_string(),
                    _ => unreachable!("a number"),
                };
                Some(if written == spelled {
                    number
                } else {
                    Scalar::Str(spelled)
                })
            }
            ast::ValueKind::Path(p) if p.segments.len() == 1 => {
                match scope.params.get(&p.segments[0].text) {
                    Some(ParamValue::Bool(b)) => Some(Scalar::Bool(*b)),
                    Some(ParamValue::Number(n)) => Some(Scalar::Float(*n)),
                    _ => self.text(v, scope).map(Scalar::Str),
                }
            }
            _ => self.text(v, scope).map(Scalar::Str),
        }
    }

    /// The artifact a `publish`/`download` names: a declared artifact or an artifact parameter.
    pub(crate) fn artifact_ref(&mut self, path: &ast::Path, scope: &Scope) -> Option<String> {
        let first = &path.segments[0];
        if path.segments.len() == 1 {
            if let Some(ParamValue::Artifact(a)) = scope.params.get(&first.text) {
                return Some(a.clone());
            }
            if let Some(&i) = self.decls.artifacts.get(&first.text.to_ascii_lowercase()) {
                return Some(self.ast.artifacts[i].text.clone());
            }
        }
        let names: Vec<&str> = self.ast.artifacts.iter().map(|a| a.text.as_str()).collect();
        self.diags.push(
            Diagnostic::error(
                Code::UnknownArtifact,
                path.span,
                format!("unknown artifact `{}`", path.text()),
            )
            .label("not a declared artifact")
            .did_you_mean(first.span, &first.text, names.iter().copied())
            .or_help(format!(
                "declare it at the top level: `artifact {}`",
                first.text
            )),
        );
        None
    }

    /// Check `$(name)` macros in text against the variables visible here.
    pub(crate) fn check_macros(&mut self, text: &str, span: Span, scope: &Scope) {
        // Text whose macros are all predefined or pipeline-level is fine in every
        // scope: checked once, however often a template repeats it.
        let key = (span.file, span.start, span.end);
        if self.memo.clean_macro_texts.contains(&key) {
            return;
        }
        let mut independent = true;
        for (_, name) in macros(text) {
            if is_predefined(name) || self.root_var(name).is_some() {
                continue;
            }
            independent = false;
            if self.has_var(name, scope) {
                continue;
            }
            let source = &self.sources.get(span.file).text;
            let needle = format!("$({name})");
            let precise = source
                .get(span.range())
                .and_then(|s| s.find(&needle))
                .map_or(span, |off| span.sub(off, off + needle.len()));
            let head = name.split('.').next().unwrap_or(name);
            let compile_time = if scope.params.contains_key(head) {
                Some(if name.contains('.') {
                    "a property of a template parameter"
                } else {
                    "a template parameter"
                })
            } else if name.contains('.') && self.env_key(head).is_some() {
                Some("an environment property")
            } else {
                None
            };
            if let Some(what) = compile_time {
                self.diags.push(
                    Diagnostic::error(Code::UnknownVariable, precise, format!("`{name}` is {what}, not a variable"))
                        .label("Azure would leave this text as it is")
                        .help(format!("`$(…)` reads Azure variables at run time; join the value in instead: `\"…\" + {name} + \"…\"`")),
                );
                continue;
            }
            let lower = name.to_ascii_lowercase();
            if self.decls.runtime_vars.contains(&lower) || scope.has_group {
                continue;
            }
            let candidates = self.visible_vars(scope);
            if name.contains('.') {
                // `$(step.output)` reads an output variable: report it only as a typo
                // of a declared variable with dots in its name.
                let dotted = candidates
                    .iter()
                    .map(String::as_str)
                    .filter(|c| c.contains('.'));
                if let Some(c) = did_you_mean(name, dotted) {
                    self.diags.push(
                        Diagnostic::error(
                            Code::UnknownVariable,
                            precise,
                            format!("unknown variable `{name}`"),
                        )
                        .label("not declared")
                        .suggestion(
                            precise,
                            c,
                            format!("did you mean `{c}`?"),
                        ),
                    );
                }
                continue;
            }
            match did_you_mean(name, candidates.iter().map(String::as_str)) {
                Some(c) => self.diags.push(
                    Diagnostic::error(Code::UnknownVariable, precise, format!("unknown variable `{name}`"))
                        .label("not declared")
                        .suggestion(precise, c, format!("did you mean `{c}`?")),
                ),
                None => self.diags.push(
                    Diagnostic::warning(Code::UndeclaredVariable, precise, format!("variable `{name}` is not declared in this file"))
                        .label("Azure leaves `$(…)` of an unknown variable as it is")
                        .help(format!("declare it: `var {name} = \"…\"`; `secret {name}` if it is set in Azure; or `group Name` for the variable group that defines it")),
                ),
            }
        }
        if independent {
            self.memo.clean_macro_texts.insert(key);
        }
    }
}

/// Every `$(name)` macro in `text` whose name could be a variable's (letters, digits,
/// `_`, `.`, `-`): the offset of the name and the name. Scanning stops at a `$(`
/// that is never closed.
pub fn macros(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let start = from + text.get(from..)?.find("$(")? + 2;
            let len = text[start..].find(')')?;
            from = start + len;
            let name = &text[start..start + len];
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            {
                return Some((start, name));
            }
        }
    })
}

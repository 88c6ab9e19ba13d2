//! `resources { … }`: repositories, pipelines, containers, packages and
//! webhooks the pipeline uses from outside itself, and the references to them
//! (`checkout ALIAS`, `download PIPELINE.ARTIFACT`; a job's `container` and
//! `services` are in [`super::containers`]).
//!
//! Invariants: aliases are indexed before any stage is checked, so every
//! reference is resolved against all of them; an alias is unique within its
//! kind, compared without regard to case (as Azure compares names); every
//! resolved reference marks its resource used, and [`Checker::unused_resources`]
//! reports the others, except those that only trigger runs (a resource with a
//! trigger, packages and webhooks) and do not need a reference to matter.

use super::{Checker, HashMap, HashSet, Scope};
use crate::ast::{self, ResourceKind, ResourceTriggerKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::schema::{self, Block};
use crate::source::Span;

/// The declared resources: lower-cased alias → index in `ast.resources`, by kind.
#[derive(Default)]
pub(crate) struct ResourceIndex {
    by_kind: HashMap<(u8, String), usize>,
    used: HashSet<(u8, String)>,
}

fn kind_key(k: ResourceKind) -> u8 {
    k as u8
}

/// Aliases Azure gives a meaning of its own, by the kind that cannot take them.
fn reserved_alias(kind: ResourceKind, alias: &str) -> Option<&'static str> {
    let lower = alias.to_ascii_lowercase();
    match (kind, lower.as_str()) {
        (ResourceKind::Repository, "self") => {
            Some("`checkout self` is the pipeline's own repository")
        }
        (ResourceKind::Repository, "none") => Some("`checkout none` checks nothing out"),
        (ResourceKind::Pipeline, "current") => {
            Some("`download: current` is this run's own artifacts")
        }
        (ResourceKind::Pipeline, "none") => Some("`download none` downloads nothing"),
        _ => None,
    }
}

impl<'a> Checker<'a> {
    /// The declared resource of `kind` named `alias` (any case), marked used.
    pub(crate) fn use_resource(
        &mut self,
        kind: ResourceKind,
        alias: &str,
    ) -> Option<&'a ast::Resource> {
        let key = (kind_key(kind), alias.to_ascii_lowercase());
        let i = *self.resource_index.by_kind.get(&key)?;
        self.resource_index.used.insert(key);
        Some(&self.ast.resources[i])
    }

    /// The aliases of the declared resources of `kind`, for did-you-mean.
    pub(crate) fn resource_aliases(&self, kind: ResourceKind) -> Vec<&'a str> {
        self.ast
            .resources
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.name.text.as_str())
            .collect()
    }

    /// Index and check every resource; the `resources:` of the YAML.
    pub(crate) fn resources(&mut self) -> ir::Resources {
        let ast = self.ast;
        let mut out = ir::Resources::default();
        for (i, r) in ast.resources.iter().enumerate() {
            let key = (kind_key(r.kind), r.name.text.to_ascii_lowercase());
            if let Some(&first) = self.resource_index.by_kind.get(&key) {
                let what = format!("{} resource", r.kind.keyword());
                self.duplicate(&what, &r.name, ast.resources[first].name.span);
                continue;
            }
            self.resource_index.by_kind.insert(key, i);
            if let Some(why) = reserved_alias(r.kind, &r.name.text) {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidName,
                        r.name.span,
                        format!(
                            "Azure reserves `{}` as a {} alias",
                            r.name.text,
                            r.kind.keyword()
                        ),
                    )
                    .label("reserved alias")
                    .help(format!("{why}; give the resource another alias")),
                );
            }
            self.no_entries(&r.entries, &format!("a {} resource", r.kind.keyword()));
            let alias = r.name.text.clone();
            match r.kind {
                ResourceKind::Repository => {
                    if let Some(x) = self.repository(r) {
                        out.repositories.insert(alias, x);
                    }
                }
                ResourceKind::Pipeline => {
                    if let Some(x) = self.pipeline_resource(r) {
                        out.pipelines.insert(alias, x);
                    }
                }
                ResourceKind::Container => {
                    self.no_trigger(r, "container resources take no trigger here (Azure's triggers on container images need an ACR registry, which relc cannot declare yet)");
                    let s = self.settings(&r.settings, Block::Container);
                    if let Some(c) = self.container_settings(&s, r.name.span, true) {
                        out.containers.insert(alias, c);
                    }
                }
                ResourceKind::Package => {
                    if let Some(x) = self.package(r) {
                        out.packages.insert(alias, x);
                    }
                }
                ResourceKind::Webhook => {
                    self.no_trigger(
                        r,
                        "a webhook is itself a trigger: its `filters` say which calls start a run",
                    );
                    if let Some(x) = self.webhook(r) {
                        out.webhooks.insert(alias, x);
                    }
                }
            }
        }
        out
    }

    fn no_trigger(&mut self, r: &ast::Resource, help: &str) {
        if let Some(t) = &r.trigger {
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownSetting,
                    t.span,
                    format!("a {} resource has no `trigger`", r.kind.keyword()),
                )
                .label("not a setting here")
                .help(help),
            );
        }
    }

    /// A setting the resource cannot do without: its text, or an error.
    fn required(
        &mut self,
        s: &super::settings::Settings<'_>,
        key: &str,
        r: &ast::Resource,
        example: &str,
    ) -> Option<String> {
        match s.get(key) {
            Some(v) => self.text(v, &self.root_scope()),
            // A misspelling of it is reported already (E003, with the fix).
            None if r
                .settings
                .iter()
                .any(|s| crate::diagnostic::did_you_mean(&s.key.text, [key]).is_some()) =>
            {
                None
            }
            None => {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        r.name.span,
                        format!(
                            "{} resource `{}` has no `{key}`",
                            r.kind.keyword(),
                            r.name.text
                        ),
                    )
                    .label(format!("`{key}` is required"))
                    .help(format!("add e.g. `{key} {example}`")),
                );
                None
            }
        }
    }

    fn repository(&mut self, r: &ast::Resource) -> Option<ir::Repository> {
        let scope = self.root_scope();
        let s = self.settings(&r.settings, Block::Repository);
        let kind = match s.get("type") {
            Some(v) => self.word(Some(v), schema::REPOSITORY_TYPES),
            None => Some("git".to_string()),
        };
        let endpoint = self.opt_text(s.get("endpoint"), &scope);
        if let Some(k) = kind.as_deref()
            && k != "git"
            && s.get("endpoint").is_none()
        {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    s.get("type").map_or(r.name.span, |v| v.span),
                    format!("a `{k}` repository needs an `endpoint`"),
                )
                .label("no service connection to reach it")
                .related(r.name.span, format!("repository `{}`", r.name.text))
                .help("add `endpoint \"…\"`: the name of the service connection Azure reaches the repository with"),
            );
        }
        let name = self.required(&s, "name", r, "\"contoso/tools\"");
        let git_ref = self.opt_text(s.get("ref"), &scope);
        self.text_position = super::azure_syntax::Position::Trigger;
        let trigger = r.trigger.as_ref().map(|t| match &t.kind {
            ResourceTriggerKind::None | ResourceTriggerKind::Bool(false) => ir::Trigger::None,
            ResourceTriggerKind::Bool(true) => ir::Trigger::Default,
            ResourceTriggerKind::Filter(obj) => {
                if let Some(b) = obj.settings.iter().find(|s| s.key.text == "batch") {
                    self.diags.push(
                        Diagnostic::error(
                            Code::UnknownSetting,
                            b.key.span,
                            "a repository resource's trigger has no `batch`",
                        )
                        .label("not supported here")
                        .help("Azure batches only the pipeline's own CI trigger"),
                    );
                }
                let filter = ast::Trigger {
                    span: t.span,
                    filter: Some(ast::Object {
                        settings: obj
                            .settings
                            .iter()
                            .filter(|s| s.key.text != "batch")
                            .cloned()
                            .collect(),
                        ..obj.clone()
                    }),
                };
                self.trigger(&filter, false)
            }
        });
        self.text_position = super::azure_syntax::Position::Text;
        Some(ir::Repository {
            alias: r.name.text.clone(),
            kind: kind?,
            name: name?,
            git_ref,
            endpoint,
            trigger,
            span: r.span,
        })
    }

    fn pipeline_resource(&mut self, r: &ast::Resource) -> Option<ir::PipelineResource> {
        let scope = self.root_scope();
        let s = self.settings(&r.settings, Block::PipelineResource);
        let source = self.required(&s, "source", r, "\"Contoso-CI\"");
        let trigger = r.trigger.as_ref().map(|t| match &t.kind {
            ResourceTriggerKind::None | ResourceTriggerKind::Bool(false) => {
                ir::ResourceTrigger::None
            }
            ResourceTriggerKind::Bool(true) => ir::ResourceTrigger::All,
            ResourceTriggerKind::Filter(obj) => {
                self.no_when(&obj.when, Block::PipelineTrigger.what());
                self.no_entries(&obj.entries, Block::PipelineTrigger.what());
                let t = self.settings(&obj.settings, Block::PipelineTrigger);
                ir::ResourceTrigger::Filter {
                    enabled: self.bool(t.get("enabled"), &scope),
                    branches: t.get("branches").map(|v| self.filter(v)),
                    stages: self.text_list(t.get("stages"), &scope).unwrap_or_default(),
                    tags: self.text_list(t.get("tags"), &scope).unwrap_or_default(),
                }
            }
        });
        Some(ir::PipelineResource {
            alias: r.name.text.clone(),
            project: self.opt_text(s.get("project"), &scope),
            version: self.opt_text(s.get("version"), &scope),
            branch: self.opt_text(s.get("branch"), &scope),
            tags: self.text_list(s.get("tags"), &scope).unwrap_or_default(),
            trigger,
            span: r.span,
            source: source?,
        })
    }

    fn package(&mut self, r: &ast::Resource) -> Option<ir::Package> {
        let scope = self.root_scope();
        let s = self.settings(&r.settings, Block::Package);
        let kind = match s.get("type") {
            // A bare word is the type's name (`type npm`), as with a repository's.
            Some(ast::Value {
                kind: ast::ValueKind::Path(p),
                ..
            }) if p.segments.len() == 1 => Some(p.segments[0].text.clone()),
            _ => self.required(&s, "type", r, "npm"),
        };
        let connection = self.required(&s, "connection", r, "\"npm-connection\"");
        let name = self.required(&s, "name", r, "\"contoso/tool\"");
        let trigger = match r.trigger.as_ref().map(|t| (t, &t.kind)) {
            None => None,
            Some((_, ResourceTriggerKind::None | ResourceTriggerKind::Bool(false))) => Some(false),
            Some((_, ResourceTriggerKind::Bool(true))) => Some(true),
            Some((t, ResourceTriggerKind::Filter(_))) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        t.span,
                        "a package resource's trigger is `trigger true` or `trigger none`",
                    )
                    .label("no filters here")
                    .help("Azure starts a run on every new version of the package, or never"),
                );
                None
            }
        };
        Some(ir::Package {
            alias: r.name.text.clone(),
            version: self.opt_text(s.get("version"), &scope),
            tag: self.opt_text(s.get("tag"), &scope),
            trigger,
            span: r.span,
            kind: kind?,
            connection: connection?,
            name: name?,
        })
    }

    fn webhook(&mut self, r: &ast::Resource) -> Option<ir::Webhook> {
        let scope = self.root_scope();
        let s = self.settings(&r.settings, Block::Webhook);
        let connection = self.required(&s, "connection", r, "\"incoming-webhook\"");
        let filters = match s.get("filters") {
            Some(v) => self
                .text_entries(v, &scope, "filter", "add a filter")
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        Some(ir::Webhook {
            alias: r.name.text.clone(),
            kind: self.opt_text(s.get("type"), &scope),
            filters,
            span: r.span,
            connection: connection?,
        })
    }

    /// `checkout X`: `self`, `none` or a declared repository; the alias as declared.
    pub(crate) fn checkout_ref(&mut self, repo: &ast::Name) -> String {
        let lower = repo.text.to_ascii_lowercase();
        if lower == "self" || lower == "none" {
            return lower;
        }
        if let Some(r) = self.use_resource(ResourceKind::Repository, &repo.text) {
            return r.name.text.clone();
        }
        let mut names = self.resource_aliases(ResourceKind::Repository);
        names.extend(["self", "none"]);
        self.diags.push(
            Diagnostic::error(
                Code::UnknownResource,
                repo.span,
                format!("unknown repository `{}`", repo.text),
            )
            .label("not `self`, `none` or a declared repository")
            .did_you_mean(repo.span, &repo.text, names.iter().copied())
            .or_help(format!(
                "declare it: `resources {{ repository {} {{ type github  name \"org/repo\"  endpoint \"…\" }} }}`",
                repo.text
            )),
        );
        repo.text.clone()
    }

    /// `download PIPELINE.ARTIFACT` (or `download PIPELINE`, every artifact of a
    /// pipeline resource that is not also an artifact's name): whether `path`
    /// is one. A one-name path that is an artifact or a parameter stays a
    /// download of this run's artifact.
    pub(crate) fn is_pipeline_download(&self, path: &ast::Path, scope: &Scope) -> bool {
        match path.segments.as_slice() {
            [one] => {
                !scope.params.contains_key(&one.text)
                    && !self
                        .decls
                        .artifacts
                        .contains_key(&one.text.to_ascii_lowercase())
                    && self.resource_index.by_kind.contains_key(&(
                        kind_key(ResourceKind::Pipeline),
                        one.text.to_ascii_lowercase(),
                    ))
            }
            _ => true,
        }
    }

    pub(crate) fn pipeline_download(
        &mut self,
        path: &ast::Path,
        patterns: Option<&ast::Value>,
        scope: &Scope,
    ) -> Option<ir::StepKind> {
        let first = &path.segments[0];
        if path.segments.len() > 2 {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    path.span,
                    format!("`{}` has more than a pipeline and an artifact", path.text()),
                )
                .label("too many names")
                .help("write `download PIPELINE.ARTIFACT`, e.g. `download ci.drop`"),
            );
            return None;
        }
        let Some(r) = self.use_resource(ResourceKind::Pipeline, &first.text) else {
            let names = self.resource_aliases(ResourceKind::Pipeline);
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownResource,
                    first.span,
                    format!("unknown pipeline resource `{}`", first.text),
                )
                .label("not a declared pipeline resource")
                .did_you_mean(first.span, &first.text, names.iter().copied())
                .or_help(format!(
                    "declare it: `resources {{ pipeline {} {{ source \"…\" }} }}`; this run's own artifacts are downloaded with `download ARTIFACT`",
                    first.text
                )),
            );
            return None;
        };
        Some(ir::StepKind::DownloadPipeline {
            pipeline: r.name.text.clone(),
            artifact: path.segments.get(1).map(|a| a.text.clone()),
            patterns: self.opt_text(patterns, scope),
        })
    }

    /// Declared resources nothing refers to, as `(what, alias, span)` for W001.
    pub(crate) fn unused_resources(&self) -> Vec<(&'static str, String, Span)> {
        let mut out = Vec::new();
        for r in &self.ast.resources {
            let what = match r.kind {
                ResourceKind::Repository => "repository",
                ResourceKind::Pipeline => "pipeline resource",
                ResourceKind::Container => "container",
                // They start runs: declaring one is using it.
                ResourceKind::Package | ResourceKind::Webhook => continue,
            };
            let triggers = r.trigger.as_ref().is_some_and(|t| {
                !matches!(
                    t.kind,
                    ResourceTriggerKind::None | ResourceTriggerKind::Bool(false)
                )
            });
            let key = (kind_key(r.kind), r.name.text.to_ascii_lowercase());
            // A reserved alias is reported as such (E021), not also as unused.
            let reserved = reserved_alias(r.kind, &r.name.text).is_some();
            if !triggers && !reserved && !self.resource_index.used.contains(&key) {
                out.push((what, r.name.text.clone(), r.name.span));
            }
        }
        out
    }
}

//! A job's `container`, `services` and `workspace`, and the settings of a
//! container (a `container NAME { … }` resource or a job's inline one).
//!
//! Invariant: a reference written as a bare name is a declared container
//! resource (or a template parameter holding text), one written as text is an
//! image; an image spelled like a declared alias is rejected, because Azure
//! would read it as the alias.

use super::settings::Settings;
use super::{Checker, HashMap, ParamValue, Scope};
use crate::ast::{self, ResourceKind, ValueKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::schema::{self, Block};
use crate::source::Span;

impl Checker<'_> {
    /// The job's `container`, `services` and `workspace`; `None` when it has none.
    pub(super) fn job_resources(
        &mut self,
        st: &Settings<'_>,
        scope: &Scope,
        pool: Option<&ir::Pool>,
        job: Span,
    ) -> Option<Box<ir::JobResources>> {
        let (container, services, workspace) =
            (st.get("container"), st.get("services"), st.get("workspace"));
        if container.is_none() && services.is_none() && workspace.is_none() {
            return None;
        }
        if pool == Some(&ir::Pool::Server)
            && let Some(v) = container.or(services)
        {
            self.diags.push(
                Diagnostic::error(Code::InvalidValue, v.span, "an agentless job (`pool server`) runs in no container")
                    .label("needs an agent")
                    .related(job, "this job")
                    .help("containers and service containers run on an agent; give this job an agent pool"),
            );
        }
        let mut out = ir::JobResources {
            container: container.and_then(|v| self.container_ref(v, scope, "container")),
            ..Default::default()
        };
        if let Some(v) = services {
            out.services = self.services(v, scope);
        }
        if let Some(v) = workspace {
            out.workspace_clean = self.workspace(v);
        }
        Some(Box::new(out))
    }

    /// `services { db = mysql  cache = "redis:7" }`
    fn services(
        &mut self,
        v: &ast::Value,
        scope: &Scope,
    ) -> indexmap::IndexMap<String, ir::ContainerRef> {
        let mut out = indexmap::IndexMap::new();
        let ValueKind::Object(obj) = &v.kind else {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    v.span,
                    "expected a block of `name = container` entries",
                )
                .label("expected a block")
                .help("e.g. `services { db = mysql  cache = \"redis:7\" }`"),
            );
            return out;
        };
        self.no_when(&obj.when, "a block of services");
        for s in &obj.settings {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    s.key.span,
                    format!("write `{} = …` to add a service", s.key.text),
                )
                .label("missing `=`")
                .help("each service is written `name = container_resource` or `name = \"image\"`"),
            );
        }
        let mut seen: HashMap<String, Span> = HashMap::default();
        for e in &obj.entries {
            if let Some(first) = seen.insert(e.key.text.to_ascii_lowercase(), e.key.span) {
                self.duplicate("service", &e.key, first);
                continue;
            }
            if let Some(c) = self.container_ref(&e.value, scope, "service") {
                out.insert(e.key.text.clone(), c);
            }
        }
        out
    }

    /// `workspace { clean all }`
    fn workspace(&mut self, v: &ast::Value) -> Option<ir::WorkspaceClean> {
        let ValueKind::Object(obj) = &v.kind else {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    v.span,
                    "expected a block such as `{ clean all }`",
                )
                .label("expected a block")
                .help("`workspace { clean outputs }`, `{ clean resources }` or `{ clean all }`"),
            );
            return None;
        };
        self.no_when(&obj.when, Block::Workspace.what());
        self.no_entries(&obj.entries, Block::Workspace.what());
        let s = self.settings(&obj.settings, Block::Workspace);
        Some(
            match self.word(s.get("clean"), schema::WORKSPACE_CLEAN)?.as_str() {
                "outputs" => ir::WorkspaceClean::Outputs,
                "resources" => ir::WorkspaceClean::Resources,
                _ => ir::WorkspaceClean::All,
            },
        )
    }

    /// A container reference: a declared container resource, an image, or
    /// (for a job's `container` only) an inline `{ image "…" … }`.
    fn container_ref(
        &mut self,
        v: &ast::Value,
        scope: &Scope,
        what: &str,
    ) -> Option<ir::ContainerRef> {
        match &v.kind {
            ValueKind::Path(p) if p.segments.len() == 1 => {
                let name = &p.segments[0];
                if let Some(ParamValue::Text(t)) = scope.params.get(&name.text) {
                    let t = t.clone();
                    return self.image(t, v.span);
                }
                if let Some(r) = self.use_resource(ResourceKind::Container, &name.text) {
                    return Some(ir::ContainerRef::Resource(r.name.text.clone()));
                }
                let names = self.resource_aliases(ResourceKind::Container);
                self.diags.push(
                    Diagnostic::error(
                        Code::UnknownResource,
                        name.span,
                        format!("unknown container `{}`", name.text),
                    )
                    .label("not a declared container resource")
                    .did_you_mean(name.span, &name.text, names.iter().copied())
                    .or_help(format!(
                        "declare it: `resources {{ container {} {{ image \"…\" }} }}`, or write an image in quotes: `\"ubuntu:22.04\"`",
                        name.text
                    )),
                );
                None
            }
            ValueKind::Object(obj) if what == "container" => {
                self.no_when(&obj.when, Block::Container.what());
                self.no_entries(&obj.entries, Block::Container.what());
                let s = self.settings(&obj.settings, Block::Container);
                let c = self.container_settings(&s, v.span, false)?;
                Some(ir::ContainerRef::Inline(Box::new(c)))
            }
            ValueKind::Object(_) => {
                self.diags.push(
                    Diagnostic::error(Code::InvalidValue, v.span, format!("a {what} is a container resource or an image"))
                        .label("no inline container here")
                        .help("declare the container in `resources { container NAME { … } }` and write `NAME` here"),
                );
                None
            }
            _ => {
                let t = self.text(v, scope)?;
                self.image(t, v.span)
            }
        }
    }

    /// An image written as text; rejected when Azure would read it as an alias.
    fn image(&mut self, image: String, span: Span) -> Option<ir::ContainerRef> {
        let lower = image.to_ascii_lowercase();
        if let Some(r) = self.ast.resources.iter().find(|r| {
            r.kind == ResourceKind::Container && r.name.text.to_ascii_lowercase() == lower
        }) {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    span,
                    format!("image `{image}` has the name of container resource `{}`", r.name.text),
                )
                .label("Azure would read this as the resource")
                .related(r.name.span, "declared here")
                .help(format!(
                    "write `{}` without quotes for the resource, or the image with its tag (`{image}:latest`)",
                    r.name.text
                )),
            );
            return None;
        }
        if image.trim().is_empty() {
            self.diags.push(
                Diagnostic::error(Code::InvalidValue, span, "an empty image")
                    .label("which image?")
                    .help("e.g. `\"ubuntu:22.04\"`"),
            );
            return None;
        }
        Some(ir::ContainerRef::Image(image))
    }

    /// The settings of a container; `resource` for a `container NAME { … }`
    /// resource (only those take `local_image`).
    pub(super) fn container_settings(
        &mut self,
        s: &Settings<'_>,
        at: Span,
        resource: bool,
    ) -> Option<ir::Container> {
        let scope = self.root_scope();
        let image = match s.get("image") {
            Some(v) => self.text(v, &scope),
            None => {
                self.diags.push(
                    Diagnostic::error(Code::InvalidValue, at, "a container has no `image`")
                        .label("`image` is required")
                        .help("add e.g. `image \"ubuntu:22.04\"`"),
                );
                None
            }
        };
        if !resource && let Some(v) = s.get("local_image") {
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownSetting,
                    v.span,
                    "`local_image` is a setting of a container resource only",
                )
                .label("not in a job's container")
                .help("declare the container in `resources { container NAME { … } }`"),
            );
        }
        let env = match s.get("env") {
            Some(v) => self.text_entries(
                v,
                &scope,
                "environment variable",
                "set an environment variable",
            ),
            None => indexmap::IndexMap::new(),
        };
        let mut mount_read_only = indexmap::IndexMap::new();
        if let Some(v) = s.get("mount_read_only") {
            match &v.kind {
                ValueKind::Object(obj) => {
                    self.no_when(&obj.when, Block::MountReadOnly.what());
                    self.no_entries(&obj.entries, Block::MountReadOnly.what());
                    let m = self.settings(&obj.settings, Block::MountReadOnly);
                    for dir in schema::READ_ONLY_MOUNTS {
                        if let Some(b) = self.bool(m.get(dir), &scope) {
                            mount_read_only.insert(dir.to_string(), b);
                        }
                    }
                }
                _ => self.diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        v.span,
                        "expected a block such as `{ work true }`",
                    )
                    .label("expected a block"),
                ),
            }
        }
        Some(ir::Container {
            endpoint: self.opt_text(s.get("endpoint"), &scope),
            env,
            ports: self.text_list(s.get("ports"), &scope).unwrap_or_default(),
            volumes: self.text_list(s.get("volumes"), &scope).unwrap_or_default(),
            options: self.opt_text(s.get("options"), &scope),
            map_docker_socket: self.bool(s.get("map_docker_socket"), &scope),
            mount_read_only,
            local_image: if resource {
                self.bool(s.get("local_image"), &scope)
            } else {
                None
            },
            image: image?,
        })
    }
}

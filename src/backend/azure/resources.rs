//! `resources:` and a job's `container`, `services` and `workspace`, in the
//! key order of Azure's YAML reference (`resources: builds, containers,
//! pipelines, repositories, webhooks, packages`; each resource's alias key first).

use super::super::yaml::Map;
use crate::ir::{self, ContainerRef, ResourceTrigger};

/// `resources:`, when the pipeline declares any.
pub(super) fn resources(m: &mut Map, r: &ir::Resources) {
    if r.is_empty() {
        return;
    }
    m.map("resources", |m| {
        if !r.containers.is_empty() {
            m.seq("containers", |s| {
                for (alias, c) in &r.containers {
                    s.map(|m| {
                        m.str("container", alias);
                        container(m, c);
                    });
                }
            });
        }
        if !r.pipelines.is_empty() {
            m.seq("pipelines", |s| {
                for p in r.pipelines.values() {
                    s.map(|m| pipeline(m, p));
                }
            });
        }
        if !r.repositories.is_empty() {
            m.seq("repositories", |s| {
                for repo in r.repositories.values() {
                    s.map(|m| {
                        m.str("repository", &repo.alias)
                            .str("type", &repo.kind)
                            .str("name", &repo.name)
                            .opt_str("ref", repo.git_ref.as_deref())
                            .opt_str("endpoint", repo.endpoint.as_deref());
                        if let Some(t) = &repo.trigger {
                            super::trigger(m, "trigger", t);
                        }
                    });
                }
            });
        }
        if !r.webhooks.is_empty() {
            m.seq("webhooks", |s| {
                for w in r.webhooks.values() {
                    s.map(|m| {
                        m.str("webhook", &w.alias)
                            .str("connection", &w.connection)
                            .opt_str("type", w.kind.as_deref());
                        if !w.filters.is_empty() {
                            m.seq("filters", |s| {
                                for (path, value) in &w.filters {
                                    s.map(|m| {
                                        m.str("path", path).str("value", value);
                                    });
                                }
                            });
                        }
                    });
                }
            });
        }
        if !r.packages.is_empty() {
            m.seq("packages", |s| {
                for p in r.packages.values() {
                    s.map(|m| {
                        m.str("package", &p.alias)
                            .str("type", &p.kind)
                            .str("connection", &p.connection)
                            .str("name", &p.name)
                            .opt_str("version", p.version.as_deref())
                            .opt_str("tag", p.tag.as_deref());
                        match p.trigger {
                            Some(true) => m.token("trigger", "true"),
                            Some(false) => m.str("trigger", "none"),
                            None => m,
                        };
                    });
                }
            });
        }
    });
}

fn pipeline(m: &mut Map, p: &ir::PipelineResource) {
    m.str("pipeline", &p.alias)
        .opt_str("project", p.project.as_deref())
        .str("source", &p.source)
        .opt_str("version", p.version.as_deref())
        .opt_str("branch", p.branch.as_deref());
    if !p.tags.is_empty() {
        m.strs("tags", &p.tags);
    }
    match &p.trigger {
        None => {}
        Some(ResourceTrigger::None) => {
            m.str("trigger", "none");
        }
        Some(ResourceTrigger::All) => {
            m.token("trigger", "true");
        }
        Some(ResourceTrigger::Filter {
            enabled,
            branches,
            stages,
            tags,
        }) => {
            m.map("trigger", |m| {
                m.opt_bool("enabled", *enabled);
                // Only branches to include: the list form, as a CI trigger is written.
                match branches {
                    Some(b) if b.exclude.is_empty() && !b.include.is_empty() => {
                        m.strs("branches", &b.include);
                    }
                    Some(b) => {
                        super::filter(m, "branches", b);
                    }
                    None => {}
                }
                if !stages.is_empty() {
                    m.strs("stages", stages);
                }
                if !tags.is_empty() {
                    m.strs("tags", tags);
                }
            });
        }
    }
}

/// The keys of a container after its alias (a resource) or as a job's inline mapping.
fn container(m: &mut Map, c: &ir::Container) {
    m.str("image", &c.image)
        .opt_str("endpoint", c.endpoint.as_deref());
    if !c.env.is_empty() {
        m.map("env", |m| {
            for (k, v) in &c.env {
                m.str(k, v);
            }
        });
    }
    if !c.ports.is_empty() {
        m.strs("ports", &c.ports);
    }
    if !c.volumes.is_empty() {
        m.strs("volumes", &c.volumes);
    }
    m.opt_str("options", c.options.as_deref())
        .opt_bool("mapDockerSocket", c.map_docker_socket)
        .opt_bool("localImage", c.local_image);
    if !c.mount_read_only.is_empty() {
        m.map("mountReadOnly", |m| {
            for (k, v) in &c.mount_read_only {
                m.bool(k, *v);
            }
        });
    }
}

/// A job's `container:`, `services:` and `workspace:`.
pub(super) fn job(m: &mut Map, r: Option<&ir::JobResources>) {
    let Some(r) = r else { return };
    match &r.container {
        Some(ContainerRef::Resource(s) | ContainerRef::Image(s)) => {
            m.str("container", s);
        }
        Some(ContainerRef::Inline(c)) => {
            m.map("container", |m| container(m, c));
        }
        None => {}
    }
    if !r.services.is_empty() {
        m.map("services", |m| {
            for (name, c) in &r.services {
                match c {
                    ContainerRef::Resource(s) | ContainerRef::Image(s) => m.str(name, s),
                    // The checker admits no inline service container.
                    ContainerRef::Inline(c) => m.map(name, |m| container(m, c)),
                };
            }
        });
    }
    if let Some(w) = r.workspace_clean {
        m.map("workspace", |m| {
            m.str("clean", w.key());
        });
    }
}

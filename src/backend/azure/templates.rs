//! Templates of other files, by reference: `- template: path@alias` with its
//! `parameters:` among stages, jobs and steps, and the root `extends:`.
//!
//! The references are written as the checker left them ([`ir::TemplateRef`]):
//! relc never reads or expands these files, so `path@alias` stays as written
//! for Azure to resolve. Template items keep their place among the named
//! nodes ([`ir::Placed`]: after `at` of them; an `at` past the end is last).

use super::{Environments, data, job, stage, step};
use crate::backend::yaml::{Map, Seq};
use crate::ir::{self, Data};

/// A stage or a job, or a template placed among them.
pub(super) enum Node<'a, T> {
    Named(&'a T),
    Template(&'a ir::TemplateRef),
}

/// `named` with `placed` templates among them, in order.
pub(super) fn interleave<'a, T>(
    named: impl ExactSizeIterator<Item = &'a T>,
    placed: &'a [ir::Placed],
) -> Vec<Node<'a, T>> {
    let n = named.len();
    let mut out = Vec::with_capacity(n + placed.len());
    let mut rest = placed.iter().peekable();
    for (i, x) in named.enumerate() {
        while let Some(p) = rest.next_if(|p| p.at <= i) {
            out.push(Node::Template(&p.template));
        }
        out.push(Node::Named(x));
    }
    out.extend(rest.map(|p| Node::Template(&p.template)));
    out
}

/// `template: path@alias` and its `parameters:` (none when it has none).
pub(super) fn template_ref(t: &ir::TemplateRef, m: &mut Map) {
    m.str("template", &t.reference());
    if !t.parameters.is_empty() {
        m.map("parameters", |m| {
            for (k, v) in &t.parameters {
                data(m, k, v);
            }
        });
    }
}

/// A job's items of `jobs:`: its jobs and job templates.
pub(super) fn jobs(st: &ir::Stage, envs: &Environments, s: &mut Seq) {
    // Jobs under a compile-time `if` are grouped by their guard (none here is
    // a template of another file: those are written in place, unguarded).
    if st.job_templates.is_empty() {
        super::guarded_jobs(s, st, envs);
        return;
    }
    for n in interleave(st.jobs.values(), &st.job_templates) {
        match n {
            Node::Named(j) => s.map(|m| job(j, envs, m)),
            Node::Template(t) => s.map(|m| template_ref(t, m)),
        };
    }
}

/// The root `extends:`; the pipeline's own stages (or root jobs or steps) are
/// written as the parameter at the slot's key path.
pub(super) fn extends(p: &ir::Pipeline, e: &ir::Extends, doc: &mut Map) {
    doc.map("extends", |m| {
        m.str("template", &e.template.reference());
        if !e.template.parameters.is_empty() {
            m.map("parameters", |m| {
                parameters(p, &e.template.parameters, e.slot.as_deref(), m);
            });
        }
    });
}

fn parameters(
    p: &ir::Pipeline,
    params: &indexmap::IndexMap<String, Data>,
    slot: Option<&[String]>,
    m: &mut Map,
) {
    for (k, v) in params {
        match slot {
            Some([key]) if key == k => own_nodes(p, k, m),
            Some([key, rest @ ..])
                if key == k
                    && let Data::Map(inner) = v =>
            {
                m.map(k, |m| parameters(p, inner, Some(rest), m));
            }
            _ => data(m, k, v),
        }
    }
}

/// The pipeline's own stages, root jobs or root steps, as `key:`.
fn own_nodes(p: &ir::Pipeline, key: &str, m: &mut Map) {
    let envs = &p.environments;
    m.seq(key, |s| match p.root {
        ir::RootForm::Stages => {
            for n in interleave(p.stages.values(), &p.stage_templates) {
                match n {
                    Node::Named(st) => s.map(|m| stage(st, envs, m)),
                    Node::Template(t) => s.map(|m| template_ref(t, m)),
                };
            }
        }
        ir::RootForm::Jobs => {
            if let Some(st) = p.stages.values().next() {
                jobs(st, envs, s);
            }
        }
        ir::RootForm::Steps => {
            for st in p
                .stages
                .values()
                .flat_map(|st| st.jobs.values())
                .flat_map(|j| &j.steps)
            {
                s.map(|m| step(st, m));
            }
        }
    });
}

/// The file as a template other pipelines use (`relc build --as-template`):
/// a header, `parameters:` from its runtime parameters, then `stages:`,
/// `jobs:` or `steps:` alone. A template has no triggers (the pipeline that
/// uses it has its own), so `trigger` and `pr` are left out; what would
/// change meaning if dropped (pipeline variables, resources, pool, schedules,
/// run name, lock behaviour, `extends`) is refused, with the reason.
pub fn emit_template(
    p: &ir::Pipeline,
    source_name: &str,
    kind: ir::RootForm,
) -> Result<String, String> {
    let word = |f: ir::RootForm| match f {
        ir::RootForm::Stages => "stages",
        ir::RootForm::Jobs => "jobs",
        ir::RootForm::Steps => "steps",
    };
    if p.root != kind {
        return Err(format!(
            "a template of {} is a file written as {}, and this one is written as {} (language reference 8.6)",
            word(kind),
            if kind == ir::RootForm::Stages {
                "stages".to_string()
            } else {
                format!("root {}", word(kind))
            },
            if p.root == ir::RootForm::Stages {
                "stages".to_string()
            } else {
                format!("root {}", word(p.root))
            },
        ));
    }
    let mut refused = Vec::new();
    if p.extends.is_some() {
        refused.push("`extends`");
    }
    if p.variables
        .iter()
        .any(|v| !matches!(v, ir::Variable::Secret { .. }))
    {
        refused.push("pipeline variables");
    }
    if !p.resources.is_empty() {
        refused.push("resources");
    }
    if p.pool.is_some() {
        refused.push("a pipeline pool");
    }
    if !p.schedules.is_empty() {
        refused.push("schedules");
    }
    if p.run_name.is_some() {
        refused.push("a run name");
    }
    if p.lock_behavior.is_some() {
        refused.push("a lock behaviour");
    }
    if !refused.is_empty() {
        return Err(format!(
            "a template cannot carry {}: they belong to the pipeline that uses it (move variables and pools onto the stages or jobs)",
            refused.join(", ")
        ));
    }
    let mut out = String::with_capacity(4096);
    out.push_str("# Generated by relc from ");
    out.push_str(&crate::backend::yaml::comment_text(source_name));
    out.push_str(&format!(
        "; a template of {} for other pipelines. Edit the .release file, not this one.\n\n",
        word(kind)
    ));
    let mut doc = Map::document(&mut out);
    if !p.parameters.is_empty() {
        doc.seq("parameters", |s| {
            for param in &p.parameters {
                s.map(|m| super::parameter(param, m));
            }
        });
    }
    own_nodes(p, word(kind), &mut doc);
    out.push('\n');
    Ok(out)
}

//! Dependency graphs (stages of a pipeline, jobs of a stage) and artifact order.

use super::Checker;
use super::{HashMap, HashSet};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir;
use crate::source::Span;
use std::collections::VecDeque;

/// A node of a dependency graph as written: its name and the names it depends on.
pub(crate) struct Node {
    pub name: String,
    pub deps: Vec<(String, Span)>,
}

/// Report unknown dependencies (with did-you-mean) and every cycle, naming all its members.
/// Returns whether any problem was found.
pub(crate) fn check_nodes(
    diags: &mut Diagnostics,
    what: &str,
    nodes: &[Node],
    unknown: Code,
) -> bool {
    let before = diags.len();
    let mut index: HashMap<String, usize> =
        HashMap::with_capacity_and_hasher(nodes.len(), Default::default());
    for (i, n) in nodes.iter().enumerate() {
        index.entry(n.name.to_ascii_lowercase()).or_insert(i);
    }
    let mut edges: Vec<Vec<(usize, Span)>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        for (dep, span) in &n.deps {
            match index.get(&dep.to_ascii_lowercase()) {
                Some(&j) => edges[i].push((j, *span)),
                None => {
                    let names = nodes
                        .iter()
                        .map(|n| n.name.as_str())
                        .filter(|c| !c.eq_ignore_ascii_case(&n.name));
                    diags.push(
                        Diagnostic::error(
                            unknown,
                            *span,
                            format!("{what} `{}` depends on unknown {what} `{dep}`", n.name),
                        )
                        .label(format!("no {what} has this name"))
                        .did_you_mean(*span, dep, names),
                    );
                }
            }
        }
    }
    report_cycles(diags, what, nodes, &edges);
    diags.len() > before
}

/// Iterative depth-first search; a back edge closes a cycle, reported once.
fn report_cycles(
    diags: &mut Diagnostics,
    what: &str,
    nodes: &[Node],
    edges: &[Vec<(usize, Span)>],
) {
    #[derive(Clone, Copy, PartialEq)]
    enum Color {
        White,
        Grey,
        Black,
    }
    let mut color = vec![Color::White; nodes.len()];
    let mut reported: HashSet<Vec<usize>> = HashSet::default();
    for root in 0..nodes.len() {
        if color[root] != Color::White {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        color[root] = Color::Grey;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&(to, span)) = edges[node].get(*next) {
                *next += 1;
                match color[to] {
                    Color::White => {
                        color[to] = Color::Grey;
                        stack.push((to, 0));
                    }
                    Color::Grey => {
                        let start = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                        let members: Vec<usize> = stack[start..].iter().map(|(n, _)| *n).collect();
                        let mut key = members.clone();
                        key.sort_unstable();
                        if reported.insert(key) {
                            // Written in the direction of the dependencies: A depends on B depends on … A.
                            let mut names: Vec<&str> =
                                members.iter().map(|&m| nodes[m].name.as_str()).collect();
                            names.push(&nodes[to].name);
                            let mut d = Diagnostic::error(
                                Code::Cycle,
                                span,
                                format!(
                                    "{what}s depend on each other in a cycle: {}",
                                    names.join(" → ")
                                ),
                            )
                            .label(format!(
                                "`{}` depends on `{}` here, closing the cycle",
                                nodes[node].name, nodes[to].name
                            ))
                            .help(format!(
                                "remove one of these dependencies; a {what} cannot wait for itself"
                            ));
                            for w in members.windows(2) {
                                if let Some((_, s)) = edges[w[0]].iter().find(|(t, _)| *t == w[1]) {
                                    d = d.related(
                                        *s,
                                        format!(
                                            "`{}` depends on `{}`",
                                            nodes[w[0]].name, nodes[w[1]].name
                                        ),
                                    );
                                }
                            }
                            diags.push(d);
                        }
                    }
                    Color::Black => {}
                }
            } else {
                color[node] = Color::Black;
                stack.pop();
            }
        }
    }
}

/// A publication or download of an artifact by a job.
pub(crate) struct ArtifactUse {
    pub artifact: String,
    pub stage: String,
    pub job: String,
    pub span: Span,
}

/// Whether `ancestor` is reachable from `from` by following `deps`.
fn reaches<'a>(from: &str, ancestor: &str, deps: impl Fn(&str) -> Option<&'a [String]>) -> bool {
    let mut seen: HashSet<String> = HashSet::default();
    let mut queue: VecDeque<&'a str> = deps(from)
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    while let Some(n) = queue.pop_front() {
        if n.eq_ignore_ascii_case(ancestor) {
            return true;
        }
        if seen.insert(n.to_ascii_lowercase()) {
            queue.extend(deps(n).into_iter().flatten().map(String::as_str));
        }
    }
    false
}

impl Checker<'_> {
    /// Every download must come after the job that publishes the artifact.
    pub(crate) fn check_artifacts(&mut self, pipeline: &mut ir::Pipeline) {
        let mut publisher: HashMap<String, usize> = HashMap::default();
        let downloaded: HashSet<String> = self
            .downloads
            .iter()
            .map(|d| d.artifact.to_ascii_lowercase())
            .collect();
        let publications = std::mem::take(&mut self.publications);
        for (i, p) in publications.iter().enumerate() {
            let key = p.artifact.to_ascii_lowercase();
            if let Some(&first) = publisher.get(&key) {
                self.diags.push(
                    Diagnostic::error(
                        Code::Duplicate,
                        p.span,
                        format!("artifact `{}` is published twice", p.artifact),
                    )
                    .label("second publication")
                    .related(publications[first].span, "first published here")
                    .help(
                        "an artifact name can be published once per run; declare a second artifact",
                    ),
                );
                continue;
            }
            publisher.insert(key, i);
            if let Some(a) = pipeline.artifacts.get_mut(&p.artifact) {
                a.published_by = Some((p.stage.clone(), p.job.clone()));
            }
        }
        let stages = &pipeline.stages;
        let stage_deps = |s: &str| stages.get(s).map(|st| st.depends_on.as_slice());
        for d in std::mem::take(&mut self.downloads) {
            let Some(&pi) = publisher.get(&d.artifact.to_ascii_lowercase()) else {
                let decl = self
                    .ast
                    .artifacts
                    .iter()
                    .find(|a| a.text.eq_ignore_ascii_case(&d.artifact))
                    .map(|a| a.span);
                let mut diag = Diagnostic::error(Code::ArtifactNeverPublished, d.span, format!("artifact `{}` is downloaded but no job publishes it", d.artifact))
                    .label("nothing to download")
                    .help(format!("publish it in an earlier stage: `publish {} from \"$(Build.ArtifactStagingDirectory)\"`", d.artifact));
                if let Some(s) = decl {
                    diag = diag.related(s, "artifact declared here");
                }
                self.diags.push(diag);
                continue;
            };
            let p = &publications[pi];
            if self.graph_broken {
                // Order is meaningless in a graph with unknown dependencies or cycles, already reported.
                continue;
            }
            let ok = if p.stage.eq_ignore_ascii_case(&d.stage) {
                let jobs = stages.get(&d.stage).map(|s| &s.jobs);
                let job_deps = |j: &str| {
                    jobs.and_then(|js| js.get(j))
                        .map(|job| job.depends_on.as_slice())
                };
                reaches(&d.job, &p.job, job_deps)
            } else {
                reaches(&d.stage, &p.stage, stage_deps)
            };
            if !ok {
                let (what, fix) = if p.stage.eq_ignore_ascii_case(&d.stage) {
                    (
                        format!(
                            "job `{}` does not come after job `{}`, which publishes it",
                            d.job, p.job
                        ),
                        format!(
                            "make job `{}` depend on it: `job {} after {} {{ … }}`",
                            d.job, d.job, p.job
                        ),
                    )
                } else {
                    (
                        format!(
                            "stage `{}` does not come after stage `{}`, which publishes it",
                            d.stage, p.stage
                        ),
                        format!(
                            "make stage `{}` depend on `{}`, directly or through other stages",
                            d.stage, p.stage
                        ),
                    )
                };
                self.diags.push(
                    Diagnostic::error(
                        Code::ArtifactOrder,
                        d.span,
                        format!("artifact `{}` is downloaded too early: {what}", d.artifact),
                    )
                    .label("may run before the artifact exists")
                    .related(p.span, "published here")
                    .help(fix),
                );
            }
        }
        for a in &self.ast.artifacts {
            let key = a.text.to_ascii_lowercase();
            if !publisher.contains_key(&key)
                && !downloaded.contains(&key)
                && !a.text.starts_with('_')
                && a.span.file == crate::source::FileId(0)
            {
                self.diags.push(
                    Diagnostic::warning(
                        Code::Unused,
                        a.span,
                        format!("artifact `{}` is never published or downloaded", a.text),
                    )
                    .label("declared here, never used")
                    .help("remove it, or publish it from a job with `publish`"),
                );
            }
        }
    }
}

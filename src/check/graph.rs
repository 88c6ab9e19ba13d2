//! Dependency graphs (stages of a pipeline, jobs of a stage) and artifact order.

use super::Checker;
use super::{HashMap, HashSet};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir;
use crate::source::Span;

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
    let before = diags.mark();
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
    diags.pushed_since(before)
}

/// Members of a cycle named in its message, and dependencies shown as related
/// locations: enough to see the cycle, bounded however long it is.
const CYCLE_SHOWN: usize = 8;

/// One cycle per strongly connected component: the first one an iterative depth-first
/// search closes there. Each cycle is reported once, with at most [`CYCLE_SHOWN`] names
/// and related locations, so a graph of any shape costs (nodes + edges) and its report
/// stays small; after the user breaks it, the next check shows another if one is left.
fn report_cycles(
    diags: &mut Diagnostics,
    what: &str,
    nodes: &[Node],
    edges: &[Vec<(usize, Span)>],
) {
    const NOT_ON_STACK: usize = usize::MAX;
    let component = strongly_connected(edges);
    let mut reported = vec![false; nodes.len()];
    let mut visited = vec![false; nodes.len()];
    let mut position = vec![NOT_ON_STACK; nodes.len()];
    for root in 0..nodes.len() {
        if visited[root] {
            continue;
        }
        visited[root] = true;
        position[root] = 0;
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let Some(&(to, span)) = edges[node].get(*next) else {
                position[node] = NOT_ON_STACK;
                stack.pop();
                continue;
            };
            *next += 1;
            if !visited[to] {
                visited[to] = true;
                position[to] = stack.len();
                stack.push((to, 0));
            } else if position[to] != NOT_ON_STACK && !reported[component[to]] {
                reported[component[to]] = true;
                let members: Vec<usize> = stack[position[to]..].iter().map(|(n, _)| *n).collect();
                diags.push(cycle_diagnostic(what, nodes, edges, &members, span));
            }
        }
    }
}

/// The diagnostic for the cycle `members[0] → … → members[last] → members[0]`, closed at `span`.
fn cycle_diagnostic(
    what: &str,
    nodes: &[Node],
    edges: &[Vec<(usize, Span)>],
    members: &[usize],
    span: Span,
) -> Diagnostic {
    let name = |i: usize| nodes[i].name.as_str();
    let (first, last) = (members[0], members[members.len() - 1]);
    // Written in the direction of the dependencies: A depends on B depends on … A.
    let mut names: Vec<&str> = members.iter().take(CYCLE_SHOWN).map(|&m| name(m)).collect();
    if members.len() > CYCLE_SHOWN {
        let hidden = members.len() - CYCLE_SHOWN;
        names.truncate(CYCLE_SHOWN - 1);
        names.push(if hidden == 1 { "… 1 more …" } else { "…" });
        names.push(name(last));
    }
    names.push(name(first));
    let mut message = format!(
        "{what}s depend on each other in a cycle: {}",
        names.join(" → ")
    );
    if members.len() > CYCLE_SHOWN {
        message.push_str(&format!(" ({} {what}s in all)", members.len()));
    }
    let mut d = Diagnostic::error(Code::Cycle, span, message)
        .label(format!(
            "`{}` depends on `{}` here, closing the cycle",
            name(last),
            name(first)
        ))
        .help(format!(
            "remove one of these dependencies; a {what} cannot wait for itself"
        ));
    for w in members.windows(2).take(CYCLE_SHOWN) {
        if let Some((_, s)) = edges[w[0]].iter().find(|(t, _)| *t == w[1]) {
            d = d.related(*s, format!("`{}` depends on `{}`", name(w[0]), name(w[1])));
        }
    }
    d
}

/// The strongly connected component of each node (Tarjan's algorithm, iteratively).
fn strongly_connected(edges: &[Vec<(usize, Span)>]) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let (mut index, mut low, mut component) = (vec![UNSEEN; n], vec![0; n], vec![UNSEEN; n]);
    let mut on_stack = vec![false; n];
    let (mut next_index, mut components) = (0, 0);
    let mut scc_stack: Vec<usize> = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        scc_stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (node, ref mut next)) = call.last_mut() {
            if let Some(&(to, _)) = edges[node].get(*next) {
                *next += 1;
                if index[to] == UNSEEN {
                    index[to] = next_index;
                    low[to] = next_index;
                    next_index += 1;
                    scc_stack.push(to);
                    on_stack[to] = true;
                    call.push((to, 0));
                } else if on_stack[to] {
                    low[node] = low[node].min(index[to]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                while let Some(m) = scc_stack.pop() {
                    on_stack[m] = false;
                    component[m] = components;
                    if m == node {
                        break;
                    }
                }
                components += 1;
            }
        }
    }
    component
}

/// The artifacts jobs publish and download, recorded as steps are checked and
/// checked by [`Checker::check_artifacts`] once the stage graph is known.
#[derive(Default)]
pub(crate) struct ArtifactUses {
    /// The stage being checked, recorded with each use.
    pub current_stage: String,
    /// Publications and downloads in the order they are checked. What the
    /// check of a template nothing uses records belongs to no stage and is dropped.
    pub publications: Vec<ArtifactUse>,
    pub downloads: Vec<ArtifactUse>,
}

/// A publication or download of an artifact by a job.
pub(crate) struct ArtifactUse {
    pub artifact: String,
    pub stage: String,
    pub job: String,
    pub span: Span,
}

/// For each `(from, ancestor)` pair: whether `from` comes after `ancestor` by following the
/// dependencies of `nodes` (`(name, depends on)`, names compared without case; an unknown name
/// reaches nothing). Ancestors are taken 64 at a time, one pass over the nodes in dependency
/// order per batch, so the cost is (nodes + edges) × ⌈distinct ancestors / 64⌉ rather than a
/// search per pair. Meant for acyclic graphs; on a cycle it still terminates.
pub(crate) fn comes_after(nodes: &[(&str, &[String])], pairs: &[(&str, &str)]) -> Vec<bool> {
    let mut index: HashMap<String, usize> =
        HashMap::with_capacity_and_hasher(nodes.len(), Default::default());
    for (i, (name, _)) in nodes.iter().enumerate() {
        index.entry(name.to_ascii_lowercase()).or_insert(i);
    }
    let find = |name: &str| index.get(&name.to_ascii_lowercase()).copied();
    let edges: Vec<Vec<usize>> = nodes
        .iter()
        .map(|(_, deps)| deps.iter().filter_map(|d| find(d)).collect())
        .collect();
    let order = dependency_order(&edges);
    let pairs: Vec<Option<(usize, usize)>> = pairs
        .iter()
        .map(|(from, ancestor)| Some((find(from)?, find(ancestor)?)))
        .collect();
    // Each distinct ancestor gets a slot; slot `s` is bit `s % 64` of batch `s / 64`.
    let mut slot: HashMap<usize, usize> = HashMap::default();
    let mut ancestors: Vec<usize> = Vec::new();
    let mut by_batch: Vec<Vec<usize>> = Vec::new();
    for (i, (_, ancestor)) in pairs
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i, (*p)?)))
    {
        let s = *slot.entry(ancestor).or_insert_with(|| {
            ancestors.push(ancestor);
            ancestors.len() - 1
        });
        if by_batch.len() <= s / 64 {
            by_batch.resize_with(s / 64 + 1, Vec::new);
        }
        by_batch[s / 64].push(i);
    }
    let mut answers = vec![false; pairs.len()];
    let mut bit = vec![0u64; nodes.len()];
    let mut reached = vec![0u64; nodes.len()];
    for (batch, members) in ancestors.chunks(64).zip(&by_batch) {
        bit.fill(0);
        for (b, &node) in batch.iter().enumerate() {
            bit[node] = 1 << b;
        }
        for &node in &order {
            reached[node] = edges[node].iter().fold(0, |m, &d| m | reached[d] | bit[d]);
        }
        for &i in members {
            if let Some((from, ancestor)) = pairs[i] {
                answers[i] = reached[from] & bit[ancestor] != 0;
            }
        }
    }
    answers
}

/// The nodes with every dependency before its dependants (iterative post-order; a node met
/// again while on the stack, a cycle, is not followed).
fn dependency_order(edges: &[Vec<usize>]) -> Vec<usize> {
    let mut order = Vec::with_capacity(edges.len());
    let mut visited = vec![false; edges.len()];
    for root in 0..edges.len() {
        if visited[root] {
            continue;
        }
        visited[root] = true;
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&to) = edges[node].get(*next) {
                *next += 1;
                if !visited[to] {
                    visited[to] = true;
                    stack.push((to, 0));
                }
            } else {
                order.push(node);
                stack.pop();
            }
        }
    }
    order
}

impl Checker<'_> {
    /// Every download must come after the job that publishes the artifact.
    pub(crate) fn check_artifacts(&mut self, pipeline: &mut ir::Pipeline) {
        let mut publisher: HashMap<String, usize> = HashMap::default();
        let downloaded: HashSet<String> = self
            .artifact_uses
            .downloads
            .iter()
            .map(|d| d.artifact.to_ascii_lowercase())
            .collect();
        let publications = std::mem::take(&mut self.artifact_uses.publications);
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
        let mut checked: Vec<(ArtifactUse, usize)> = Vec::new();
        for d in std::mem::take(&mut self.artifact_uses.downloads) {
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
            checked.push((d, pi));
        }
        if self.graph_broken {
            // Order is meaningless in a graph with unknown dependencies or cycles, already reported.
            return self.report_unused_artifacts(&publisher, &downloaded);
        }
        let in_order = downloads_in_order(&pipeline.stages, &checked, &publications);
        for ((d, pi), ok) in checked.iter().zip(in_order) {
            if ok {
                continue;
            }
            let p = &publications[*pi];
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
        self.report_unused_artifacts(&publisher, &downloaded);
    }

    fn report_unused_artifacts(
        &mut self,
        publisher: &HashMap<String, usize>,
        downloaded: &HashSet<String>,
    ) {
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

/// For each download (with the index of its publication): whether its job comes after the
/// publishing job — through the job graph within one stage, through the stage graph across.
fn downloads_in_order(
    stages: &indexmap::IndexMap<String, ir::Stage>,
    downloads: &[(ArtifactUse, usize)],
    publications: &[ArtifactUse],
) -> Vec<bool> {
    let mut answers = vec![false; downloads.len()];
    let mut across: Vec<usize> = Vec::new();
    let mut within: HashMap<String, Vec<usize>> = HashMap::default();
    for (i, (d, pi)) in downloads.iter().enumerate() {
        if publications[*pi].stage.eq_ignore_ascii_case(&d.stage) {
            within.entry(d.stage.clone()).or_default().push(i);
        } else {
            across.push(i);
        }
    }
    let stage_nodes: Vec<(&str, &[String])> = stages
        .values()
        .map(|s| (s.name.as_str(), s.depends_on.as_slice()))
        .collect();
    let pairs: Vec<(&str, &str)> = across
        .iter()
        .map(|&i| {
            let (d, pi) = &downloads[i];
            (d.stage.as_str(), publications[*pi].stage.as_str())
        })
        .collect();
    for (&i, ok) in across.iter().zip(comes_after(&stage_nodes, &pairs)) {
        answers[i] = ok;
    }
    for (stage, indices) in within {
        let Some(st) = stages.get(&stage) else {
            continue;
        };
        let job_nodes: Vec<(&str, &[String])> = st
            .jobs
            .values()
            .map(|j| (j.name.as_str(), j.depends_on.as_slice()))
            .collect();
        let pairs: Vec<(&str, &str)> = indices
            .iter()
            .map(|&i| {
                let (d, pi) = &downloads[i];
                (d.job.as_str(), publications[*pi].job.as_str())
            })
            .collect();
        for (&i, ok) in indices.iter().zip(comes_after(&job_nodes, &pairs)) {
            answers[i] = ok;
        }
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::comes_after;

    fn graph(edges: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        edges
            .iter()
            .map(|(n, deps)| (n.to_string(), deps.iter().map(|d| d.to_string()).collect()))
            .collect()
    }

    fn ask(g: &[(String, Vec<String>)], pairs: &[(&str, &str)]) -> Vec<bool> {
        let nodes: Vec<(&str, &[String])> =
            g.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
        comes_after(&nodes, pairs)
    }

    #[test]
    fn order_follows_dependencies_transitively_and_only_forwards() {
        let g = graph(&[
            ("Build", &[]),
            ("Lint", &[]),
            ("Dev", &["build"]),
            ("Test", &["Dev"]),
            ("Prod", &["Test", "Lint"]),
        ]);
        let pairs = [
            ("Prod", "Build"),
            ("Prod", "lint"),
            ("Dev", "Build"),
            ("Build", "Dev"),
            ("Lint", "Build"),
            ("Build", "Build"),
            ("Nowhere", "Build"),
            ("Prod", "Nowhere"),
        ];
        assert_eq!(
            ask(&g, &pairs),
            [true, true, true, false, false, false, false, false]
        );
    }

    #[test]
    fn more_than_64_ancestors_are_answered_batch_by_batch() {
        // A chain S0 ← S1 ← … ← S199, asked about every ancestor of S150 and of S50.
        let names: Vec<String> = (0..200).map(|i| format!("S{i}")).collect();
        let g: Vec<(String, Vec<String>)> = (0..200)
            .map(|i| {
                let deps = if i == 0 {
                    vec![]
                } else {
                    vec![names[i - 1].clone()]
                };
                (names[i].clone(), deps)
            })
            .collect();
        let mut pairs = Vec::new();
        for name in &names {
            pairs.push(("S150", name.as_str()));
            pairs.push(("S50", name.as_str()));
        }
        let answers = ask(&g, &pairs);
        for a in 0..200 {
            assert_eq!(answers[2 * a], a < 150, "S150 after S{a}");
            assert_eq!(answers[2 * a + 1], a < 50, "S50 after S{a}");
        }
    }

    #[test]
    fn a_cycle_does_not_hang_the_order() {
        let g = graph(&[("A", &["B"]), ("B", &["A"]), ("C", &["A"])]);
        assert_eq!(ask(&g, &[("C", "B")]), [true]);
    }
}

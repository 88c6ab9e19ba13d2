//! The stage and job graph of a checked pipeline, as Mermaid or Graphviz dot.
//!
//! Both writers draw one [`Picture`], built once from the IR:
//! - each stage is a box (a Mermaid subgraph, a dot cluster) holding its jobs,
//!   titled with its display name and, when its condition is more than the
//!   implicit `succeeded()`, a short note of the rest;
//! - stage edges come from `Stage::depends_on`, job edges from
//!   `Job::depends_on` (always within the job's stage), both pointing from the
//!   dependency to the dependent;
//! - a deployment job names its environment (`Deploy → staging`); when the
//!   environment has checks, the job is drawn apart and lists them (`approval:
//!   Mara`); a gate job (manual validation, delay) has a shape of its own.
//!
//! Invariants of the text written:
//! - it depends only on the IR, in its (source) order: the same pipeline
//!   always gives the same bytes;
//! - node ids are ASCII identifiers (`[A-Za-z][A-Za-z0-9_]*`) with a prefix
//!   (`s_` stages, `j_` jobs), so no id is a keyword of either language, and
//!   they are unique in the graph;
//! - labels are user text escaped for the language written: a label never
//!   contains a line break, and in Mermaid never a `"`, a raw `<` or `>` or a
//!   `#` that does not start an entity; each Mermaid line is one statement.

use crate::backend::expr;
use crate::ir::{CheckKind, Expr, ExprKind, GateWait, JobKind, Pipeline};
use std::collections::HashSet;
use std::fmt::Write as _;

/// A condition note longer than this many characters is cut, with `…`.
const NOTE_WIDTH: usize = 80;

/// What a job is drawn as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Agent,
    Deployment,
    /// A deployment to an environment with checks.
    Checked,
    Gate,
}

struct JobNode {
    id: String,
    /// Raw text, one entry per line of the label; escaped by the writers.
    lines: Vec<String>,
    shape: Shape,
}

struct StageNode {
    id: String,
    lines: Vec<String>,
    jobs: Vec<JobNode>,
    /// `(from, to)` indices into `jobs`.
    edges: Vec<(usize, usize)>,
}

struct Picture {
    stages: Vec<StageNode>,
    /// `(from, to)` indices into `stages`.
    edges: Vec<(usize, usize)>,
}

/// The pipeline as Mermaid flowchart text.
pub fn mermaid(p: &Pipeline) -> String {
    let picture = picture(p);
    let mut out = String::from("flowchart LR\n");
    for stage in &picture.stages {
        let _ = writeln!(
            out,
            "    subgraph {}[\"{}\"]",
            stage.id,
            mermaid_label(&stage.lines)
        );
        for job in &stage.jobs {
            let label = mermaid_label(&job.lines);
            let _ = match job.shape {
                Shape::Agent => writeln!(out, "        {}[\"{label}\"]", job.id),
                Shape::Deployment => writeln!(out, "        {}([\"{label}\"])", job.id),
                Shape::Checked => writeln!(out, "        {}([\"{label}\"]):::checked", job.id),
                Shape::Gate => writeln!(out, "        {}{{{{\"{label}\"}}}}:::gate", job.id),
            };
        }
        for &(from, to) in &stage.edges {
            let _ = writeln!(
                out,
                "        {} --> {}",
                stage.jobs[from].id, stage.jobs[to].id
            );
        }
        out.push_str("    end\n");
    }
    for &(from, to) in &picture.edges {
        let _ = writeln!(
            out,
            "    {} --> {}",
            picture.stages[from].id, picture.stages[to].id
        );
    }
    out.push_str("    classDef checked stroke:#c05000,stroke-width:3px\n");
    out.push_str("    classDef gate fill:#fff4d6,stroke:#b58900,stroke-width:2px\n");
    out
}

/// The pipeline as a Graphviz `digraph`.
///
/// Each cluster holds an invisible anchor node with the stage's id, so that
/// stage edges (clipped to the cluster borders with `compound=true`) exist
/// whatever the stage's jobs are.
pub fn dot(p: &Pipeline) -> String {
    let picture = picture(p);
    let mut out = String::from("digraph pipeline {\n");
    out.push_str("    rankdir=LR;\n    compound=true;\n");
    out.push_str("    node [shape=box, fontname=\"Helvetica\"];\n");
    out.push_str("    graph [fontname=\"Helvetica\"];\n");
    for stage in &picture.stages {
        let _ = writeln!(out, "    subgraph cluster_{} {{", stage.id);
        let _ = writeln!(out, "        label=\"{}\";", dot_label(&stage.lines));
        let _ = writeln!(
            out,
            "        {} [shape=point, style=invis, width=0, label=\"\"];",
            stage.id
        );
        for job in &stage.jobs {
            let attributes = match job.shape {
                Shape::Agent => "",
                Shape::Deployment => ", style=rounded",
                Shape::Checked => ", style=\"rounded,bold\", color=\"#c05000\", peripheries=2",
                Shape::Gate => {
                    ", shape=hexagon, style=filled, fillcolor=\"#fff4d6\", color=\"#b58900\""
                }
            };
            let _ = writeln!(
                out,
                "        {} [label=\"{}\"{attributes}];",
                job.id,
                dot_label(&job.lines)
            );
        }
        for &(from, to) in &stage.edges {
            let _ = writeln!(
                out,
                "        {} -> {};",
                stage.jobs[from].id, stage.jobs[to].id
            );
        }
        out.push_str("    }\n");
    }
    for &(from, to) in &picture.edges {
        let (a, b) = (&picture.stages[from].id, &picture.stages[to].id);
        let _ = writeln!(
            out,
            "    {a} -> {b} [ltail=cluster_{a}, lhead=cluster_{b}];"
        );
    }
    out.push_str("}\n");
    out
}

fn picture(p: &Pipeline) -> Picture {
    let mut ids = Ids::default();
    let mut stages = Vec::with_capacity(p.stages.len());
    for stage in p.stages.values() {
        let mut lines = vec![stage.display.clone().unwrap_or_else(|| stage.name.clone())];
        if let Some(note) = condition_note(&stage.condition) {
            lines.push(note);
        }
        let jobs = stage
            .jobs
            .values()
            .map(|job| {
                let title = job.display.as_deref().unwrap_or(&job.name);
                let (shape, lines) = match &job.kind {
                    JobKind::Agent => (Shape::Agent, vec![title.to_string()]),
                    JobKind::Deployment { environment } => {
                        let checks = p
                            .environments
                            .get(environment)
                            .map_or(&[][..], |env| &env.checks[..]);
                        let shape = if checks.is_empty() {
                            Shape::Deployment
                        } else {
                            Shape::Checked
                        };
                        let mut lines = vec![format!("{title} → {environment}")];
                        lines.extend(checks.iter().map(|c| check_line(&c.kind)));
                        (shape, lines)
                    }
                    JobKind::Gate { wait, .. } => {
                        (Shape::Gate, vec![title.to_string(), wait_line(wait)])
                    }
                };
                JobNode {
                    id: ids.fresh(&format!("j_{}__{}", stage.name, job.name)),
                    lines,
                    shape,
                }
            })
            .collect();
        // Names resolve (an IR invariant); one that does not, in an IR read
        // from elsewhere, has no edge rather than a wrong one.
        let edges = stage
            .jobs
            .values()
            .enumerate()
            .flat_map(|(to, job)| {
                job.depends_on
                    .iter()
                    .filter_map(move |d| stage.jobs.get_index_of(d).map(|from| (from, to)))
            })
            .collect();
        stages.push(StageNode {
            id: ids.fresh(&format!("s_{}", stage.name)),
            lines,
            jobs,
            edges,
        });
    }
    let edges = p
        .stages
        .values()
        .enumerate()
        .flat_map(|(to, stage)| {
            stage
                .depends_on
                .iter()
                .filter_map(move |d| p.stages.get_index_of(d).map(|from| (from, to)))
        })
        .collect();
    Picture { stages, edges }
}

/// Unique identifiers: anything but ASCII letters, digits and `_` becomes
/// `_`, and a name already given gets `_2`, `_3`, … (in order of asking).
#[derive(Default)]
struct Ids(HashSet<String>);

impl Ids {
    fn fresh(&mut self, wanted: &str) -> String {
        let base: String = wanted
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let mut id = base.clone();
        let mut n = 2;
        while !self.0.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        id
    }
}

/// What a stage's condition adds to Azure's implicit `succeeded()`: nothing
/// for `succeeded()` itself, the rest for `and(succeeded(), …)`, else the
/// whole condition; in Azure's syntax, cut to [`NOTE_WIDTH`].
fn condition_note(condition: &Expr) -> Option<String> {
    let implicit =
        |e: &Expr| matches!(&e.kind, ExprKind::Call("succeeded", args) if args.is_empty());
    if implicit(condition) {
        return None;
    }
    let text = match &condition.kind {
        ExprKind::Call("and", args) if args.len() == 2 && implicit(&args[0]) => {
            expr::to_azure(&args[1])
        }
        ExprKind::Call("and", args) if args.len() > 2 && implicit(&args[0]) => {
            let rest: Vec<String> = args[1..].iter().map(expr::to_azure).collect();
            format!("and({})", rest.join(", "))
        }
        _ => expr::to_azure(condition),
    };
    Some(format!("condition: {}", shorten(&text, NOTE_WIDTH)))
}

fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

/// One line for a check Azure keeps on an environment.
fn check_line(check: &CheckKind) -> String {
    match check {
        CheckKind::Approval(a) => format!("approval: {}", a.approvers.join(", ")),
        CheckKind::BranchControl { allowed, .. } => {
            format!("branch control: {}", allowed.join(", "))
        }
        CheckKind::BusinessHours {
            days,
            start,
            end,
            time_zone,
            ..
        } => {
            let days: Vec<String> = days.iter().map(|d| d.chars().take(3).collect()).collect();
            format!(
                "business hours: {} {start}–{end} {time_zone}",
                days.join(" ")
            )
        }
        CheckKind::ExclusiveLock { .. } => "exclusive lock".to_string(),
        CheckKind::Http(h) => format!("http check: {} {}", h.method, h.connection),
    }
}

/// One line for what a gate job waits for.
fn wait_line(wait: &GateWait) -> String {
    match wait {
        GateWait::Validation {
            approvers, notify, ..
        } => {
            if !approvers.is_empty() {
                format!("manual validation: {}", approvers.join(", "))
            } else if !notify.is_empty() {
                format!("manual validation, notify: {}", notify.join(", "))
            } else {
                "manual validation".to_string()
            }
        }
        GateWait::Delay { minutes } => format!("delay: {}", duration(*minutes)),
    }
}

/// Minutes in the largest whole unit: `2d`, `3h`, `90m`.
fn duration(minutes: u64) -> String {
    match minutes {
        m if m > 0 && m % 1440 == 0 => format!("{}d", m / 1440),
        m if m > 0 && m % 60 == 0 => format!("{}h", m / 60),
        m => format!("{m}m"),
    }
}

/// Label lines for a quoted Mermaid label, joined by `<br/>`.
///
/// Mermaid decodes `#name;` and `#number;` entities in labels, so every
/// character that could end the string, start markup, an entity, a comment
/// or a statement is written as one; control characters (line breaks among
/// them) become spaces.
fn mermaid_label(lines: &[String]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("<br/>");
        }
        for c in line.chars() {
            match c {
                '"' => out.push_str("#quot;"),
                '&' => out.push_str("#amp;"),
                '<' => out.push_str("#lt;"),
                '>' => out.push_str("#gt;"),
                '#' | ';' | '`' | '%' | '|' | '[' | ']' | '(' | ')' | '{' | '}' | '\\' => {
                    let _ = write!(out, "#{};", c as u32);
                }
                c if c.is_control() => out.push(' '),
                c => out.push(c),
            }
        }
    }
    out
}

/// Label lines for a quoted dot string, joined by `\n` (a centred line break).
///
/// Inside a quoted string only `"` and `\` are special (`\` also starts
/// Graphviz's label escapes such as `\N`), so both are escaped; control
/// characters become spaces.
fn dot_label(lines: &[String]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("\\n");
        }
        for c in line.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push(' '),
                c => out.push(c),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_identifiers_and_unique() {
        let mut ids = Ids::default();
        assert_eq!(ids.fresh("j_A__B"), "j_A__B");
        assert_eq!(ids.fresh("j_A__B"), "j_A__B_2");
        assert_eq!(ids.fresh("j_A-é"), "j_A__");
    }

    #[test]
    fn mermaid_labels_keep_no_quote_markup_or_line_break() {
        let label = mermaid_label(&["a \"b\" <i>#x; [y]\nz".to_string(), "2".to_string()]);
        assert_eq!(
            label,
            "a #quot;b#quot; #lt;i#gt;#35;x#59; #91;y#93; z<br/>2"
        );
    }

    #[test]
    fn dot_labels_escape_quotes_and_backslashes() {
        let label = dot_label(&["a \"b\" \\N\nc".to_string(), "d".to_string()]);
        assert_eq!(label, "a \\\"b\\\" \\\\N c\\nd");
    }

    #[test]
    fn durations_use_the_largest_whole_unit() {
        assert_eq!(duration(30), "30m");
        assert_eq!(duration(120), "2h");
        assert_eq!(duration(2880), "2d");
        assert_eq!(duration(90), "90m");
        assert_eq!(duration(0), "0m");
    }
}

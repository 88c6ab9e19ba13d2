//! The diagnostics of a task step, from the task's signature: an unknown task
//! (W009) or version (E130), a deprecated version (W010), an unknown input
//! (E131), a value outside a closed set (E132) or not a boolean (E133), a
//! required input missing (E134), and an agent-only task in an agentless job
//! (E135, checked with the job's pool, see [`Checker::agentless_tasks`]).

use super::{Input, Kind, Lookup, Task, find, rule, split_reference};
use crate::ast;
use crate::check::Checker;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::ir;
use crate::source::Span;

/// How many values or inputs a help line lists before it says "and N more".
const LISTED: usize = 12;

/// The value of an input as written, if it is a literal: `None` for text made at
/// run time (`$(…)`, `${{ … }}`, `$[ … ]`), a template parameter, joined text.
type TaskValue<'v> = Option<&'v str>;

/// `a`, `b`, `c` and 3 more.
fn listing(items: &[&str]) -> String {
    let shown: Vec<String> = items
        .iter()
        .take(LISTED)
        .map(|i| format!("`{i}`"))
        .collect();
    let mut out = shown.join(", ");
    if items.len() > LISTED {
        out.push_str(&format!(" and {} more", items.len() - LISTED));
    }
    out
}

/// What a boolean input's value most likely meant.
fn boolean_meant(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "on" | "1" | "enabled" | "enable" => Some(true),
        "no" | "n" | "off" | "0" | "disabled" | "disable" => Some(false),
        _ => None,
    }
}

/// How `.release` writes a step's YAML key written as an input (`displayName = …`).
fn step_setting(key: &str) -> Option<&'static str> {
    Some(match key {
        "displayName" | "display_name" | "display" => "`display \"…\"`",
        "name" => "`name \"…\"` (without `=`)",
        "condition" => "`when <expression>`, e.g. `when succeeded() && branch == \"main\"`",
        "continueOnError" | "continue_on_error" => "`continue_on_error true`",
        "timeoutInMinutes" | "timeout" => "a duration: `timeout 10m`",
        "retryCountOnTaskFailure" | "retries" => "`retries 3`",
        "enabled" => "`enabled false`",
        "env" => "`env { NAME = \"value\" }`",
        _ => return None,
    })
}

/// The inputs written in a step and the values known of them.
struct Written<'v> {
    /// By the input's own name: its value if it is a literal.
    values: Vec<(&'static str, TaskValue<'v>)>,
}

impl<'v> Written<'v> {
    fn get(&self, input: &Input) -> Option<&TaskValue<'v>> {
        self.values
            .iter()
            .find(|(n, _)| *n == input.name)
            .map(|(_, v)| v)
    }
}

/// Rules are at most a few levels deep (an input shown when another is, shown
/// when a third has a value); deeper is a cycle.
const MAX_DEPTH: usize = 8;

/// The value an input has for the rules of others: as written, or its default.
/// `None` if it is not known, or if the input is not shown itself (then the
/// task may not read it).
fn value_for_rules<'v>(
    task: &Task,
    written: &Written<'v>,
    name: &str,
    depth: usize,
) -> Option<&'v str> {
    let input = task.input(name)?;
    if shown(task, written, input, depth + 1) != Some(true) {
        return None;
    }
    match written.get(input) {
        Some(v) => *v,
        None => Some(input.default),
    }
}

/// Whether an input is shown (its rule and its group's rule hold); `None` when
/// that cannot be decided.
fn shown(task: &Task, written: &Written, input: &Input, depth: usize) -> Option<bool> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut result = Some(true);
    for text in [input.visible_rule, input.group_rule] {
        if text.is_empty() {
            continue;
        }
        let r = rule::parse(text)?;
        match r.eval(|n| value_for_rules(task, written, n, depth)) {
            Some(false) => return Some(false),
            Some(true) => {}
            None => result = None,
        }
    }
    result
}

impl<'a> Checker<'a> {
    /// A literal value of a task input, as text; `None` if it is not a literal.
    fn task_literal<'v>(&self, v: &'v ast::Value) -> TaskValue<'v>
    where
        'a: 'v,
    {
        match &v.kind {
            ast::ValueKind::Str(s) => {
                let made_at_run_time = ["$(", "${{", "$["].iter().any(|m| s.contains(m));
                (!made_at_run_time).then_some(s.as_str())
            }
            ast::ValueKind::Bool(true) => Some("true"),
            ast::ValueKind::Bool(false) => Some("false"),
            ast::ValueKind::Number(_) => self.sources.get(v.span.file).text.get(v.span.range()),
            _ => None,
        }
    }

    /// Check a `task Name@N { … }` step against the task's signature. A step is
    /// checked once, however many times a template repeats it: nothing here
    /// depends on template arguments, only on whether the job deploys into an
    /// environment's resource.
    pub(crate) fn check_task(&mut self, reference: &str, name_span: Span, inputs: &[ast::Entry]) {
        let key = (
            name_span.file,
            name_span.start,
            self.into_environment_resource,
        );
        if !self.memo.checked_tasks.insert(key) {
            return;
        }
        let task = match find(reference) {
            Lookup::Found(t) => t,
            Lookup::NoSuchVersion(versions) => {
                self.no_such_version(reference, name_span, &versions);
                return;
            }
            Lookup::NotInBox => {
                self.not_in_box(reference, name_span);
                return;
            }
        };
        if task.deprecated {
            let d = Diagnostic::warning(
                Code::DeprecatedTask,
                name_span,
                format!("`{}` is deprecated", task.reference()),
            )
            .label("deprecated version");
            let d = match task.successor() {
                Some(s) => d.help(format!(
                    "`{}` is the newest version; its inputs may differ from those of `{}`",
                    s.reference(),
                    task.reference()
                )),
                None => d.help("no newer version of this task is built in; Azure may remove it"),
            };
            self.diags.push(d);
        }
        let mut written = Written { values: Vec::new() };
        let mut seen: Vec<&str> = Vec::new();
        for e in inputs {
            let key = e.key.text.as_str();
            // A second value of an input is E020 (steps.rs) and is not looked at.
            if seen.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                continue;
            }
            seen.push(key);
            let Some(input) = task.input(key) else {
                let names = task
                    .inputs
                    .iter()
                    .flat_map(|i| std::iter::once(i.name).chain(i.aliases.iter().copied()));
                let meant = did_you_mean(key, names.clone());
                // The input the typo was meant to name counts as written (value unknown).
                if let Some(m) = meant.and_then(|m| task.input(m)) {
                    written.values.push((m.name, None));
                }
                let all: Vec<&str> = task.inputs.iter().map(|i| i.name).collect();
                let mut d = Diagnostic::error(
                    Code::UnknownTaskInput,
                    e.key.span,
                    format!("`{}` has no input `{key}`", task.reference()),
                )
                .label("unknown input")
                .did_you_mean(e.key.span, key, names);
                if meant.is_none() {
                    d = d.help(match step_setting(key) {
                        Some(s) => format!(
                            "`{key}` is a setting of the step, not an input of the task: write {s}"
                        ),
                        None => format!("its inputs are {}", listing(&all)),
                    });
                }
                self.diags.push(d);
                continue;
            };
            let value = self.task_literal(&e.value);
            if let Some(text) = value {
                self.check_task_value(task, input, text, &e.value);
            }
            written.values.push((input.name, value));
        }
        self.missing_inputs(task, &written, name_span);
    }

    fn no_such_version(&mut self, reference: &str, name_span: Span, versions: &[&'static Task]) {
        let at = reference.rfind('@').map_or(0, |i| i + 1);
        let version_span = name_span.sub(at, reference.len());
        let (name, major) = split_reference(reference).unwrap_or((reference, 0));
        let list: Vec<String> = versions.iter().map(|t| t.major.to_string()).collect();
        let newest = versions
            .iter()
            .rev()
            .find(|t| !t.deprecated)
            .or(versions.last())
            .expect("a name with no versions is not in-box");
        let list: Vec<&str> = list.iter().map(String::as_str).collect();
        self.diags.push(
            Diagnostic::error(
                Code::UnknownTaskVersion,
                version_span,
                format!("`{}` has no version {major}", versions[0].name),
            )
            .label(format!("not a version of `{name}`"))
            .suggestion(
                version_span,
                newest.major.to_string(),
                format!(
                    "the in-box versions are {}; the newest is `{}`",
                    listing(&list),
                    newest.reference()
                ),
            ),
        );
    }

    fn not_in_box(&mut self, reference: &str, name_span: Span) {
        let references: Vec<String> = super::all().iter().map(Task::reference).collect();
        self.diags.push(
            Diagnostic::warning(
                Code::TaskNotInBox,
                name_span,
                format!("`{reference}` is not a task built into Azure Pipelines"),
            )
            .label("its inputs are not checked")
            .did_you_mean(name_span, reference, references.iter().map(String::as_str))
            .or_help(
                "a marketplace or in-house task is passed to Azure as written; \
                 `// relc-allow W009: <which extension provides it>` silences this",
            ),
        );
    }

    /// A literal value checked against the input's type: a boolean, or one of a closed set.
    fn check_task_value(&mut self, task: &Task, input: &Input, text: &str, value: &ast::Value) {
        let span = self.unquoted(value.span);
        if input.kind() == Kind::Boolean {
            if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") {
                return;
            }
            let d = Diagnostic::error(
                Code::TaskInputNotBoolean,
                value.span,
                format!(
                    "input `{}` of `{}` is `true` or `false`, not `{text}`",
                    input.name,
                    task.reference()
                ),
            )
            .label("Azure reads anything but `true` as false");
            let d = match boolean_meant(text) {
                Some(b) => d.suggestion(value.span, b.to_string(), format!("write `{b}`")),
                None => d.help("write `true` or `false`"),
            };
            self.diags.push(d);
            return;
        }
        let Some(options) = input.closed_options() else {
            return;
        };
        if text.trim().is_empty() {
            return;
        }
        let parts: Vec<&str> = if input.multi() {
            text.split(',').map(str::trim).collect()
        } else {
            vec![text]
        };
        let is_option = |p: &str| options.iter().any(|o| o.trim().eq_ignore_ascii_case(p));
        let Some(bad) = parts.iter().copied().find(|p| !is_option(p)) else {
            return;
        };
        let what = if input.kind() == Kind::Radio {
            "one of the choices"
        } else {
            "a value of the pick list"
        };
        let mut d = Diagnostic::error(
            Code::TaskInputValue,
            value.span,
            format!(
                "`{bad}` is not {what} of input `{}` of `{}`",
                input.name,
                task.reference()
            ),
        )
        .label(format!("not one of its {} values", options.len()));
        let choices = format!("`{}` takes {}", input.name, listing(options));
        if parts.len() == 1 {
            d = d.did_you_mean(span, bad, options.iter().copied());
        }
        let d = match d.help.take() {
            Some(h) => d.help(format!("{h} ({choices})")),
            None => d.help(choices),
        };
        self.diags.push(d);
    }

    /// Required inputs not written, that have no default and whose rules say they
    /// are needed: one diagnostic each, on the task's name.
    fn missing_inputs(&mut self, task: &Task, written: &Written, name_span: Span) {
        for input in task.inputs {
            if !input.required() || written.get(input).is_some() || !input.default.is_empty() {
                continue;
            }
            // Azure gives a deployment into a Kubernetes resource of an environment
            // that resource's service connection.
            if self.into_environment_resource && input.ty == "connectedService:kubernetes" {
                continue;
            }
            if shown(task, written, input, 0) != Some(true) {
                continue;
            }
            // The conditions that make it needed: all of an `&&` rule, the ones that
            // hold of an `||` rule.
            let rules: Vec<rule::Rule> = [input.visible_rule, input.group_rule]
                .into_iter()
                .filter_map(rule::parse)
                .collect();
            let mut reasons: Vec<&rule::Condition> = Vec::new();
            for r in &rules {
                for c in &r.conditions {
                    let holds = value_for_rules(task, written, c.input, 0).and_then(|v| c.holds(v))
                        == Some(true);
                    if (r.join == rule::Join::All || holds) && !reasons.contains(&c) {
                        reasons.push(c);
                    }
                }
            }
            let when: Vec<String> = reasons.iter().map(|c| c.describe()).collect();
            let message = if when.is_empty() {
                format!("`{}` needs input `{}`", task.reference(), input.name)
            } else {
                format!(
                    "`{}` needs input `{}` when {}",
                    task.reference(),
                    input.name,
                    when.join(" and ")
                )
            };
            // Inputs the rules read that were not written have their default values.
            let mut defaults: Vec<String> = Vec::new();
            for i in reasons.iter().filter_map(|c| task.input(c.input)) {
                if written.get(i).is_none() {
                    let note = if i.default.is_empty() {
                        format!("`{}` is empty by default", i.name)
                    } else {
                        format!("`{}` is `{}` by default", i.name, i.default)
                    };
                    if !defaults.contains(&note) {
                        defaults.push(note);
                    }
                }
            }
            let mut help = format!(
                "add `{} = \"…\"` ({}: {})",
                input.name, input.label, input.help
            );
            if input.label.eq_ignore_ascii_case(input.help) {
                help = format!("add `{} = \"…\"` ({})", input.name, input.label);
            }
            if !defaults.is_empty() {
                help.push_str("; ");
                help.push_str(&defaults.join(", "));
            }
            self.diags.push(
                Diagnostic::error(Code::MissingTaskInput, name_span, message)
                    .label(format!("`{}` is not given", input.name))
                    .help(help),
            );
        }
    }

    /// Tasks that need an agent among the steps of an agentless job (`pool server`,
    /// its own or inherited from `origin`).
    pub(crate) fn agentless_tasks(&mut self, steps: &[ir::Step], origin: Span) {
        for step in steps {
            let ir::StepKind::Task {
                task: reference, ..
            } = &step.kind
            else {
                continue;
            };
            let Lookup::Found(task) = find(reference) else {
                continue;
            };
            if task.runs_agentless() {
                continue;
            }
            // The step's span starts at `task`; the name follows it.
            let text = self
                .sources
                .get(step.span.file)
                .text
                .get(step.span.range())
                .unwrap_or("");
            let span = text
                .find(reference.as_str())
                .map_or(step.span, |at| step.span.sub(at, at + reference.len()));
            let server: Vec<String> = super::all()
                .iter()
                .filter(|t| {
                    t.runs_agentless()
                        && !t.deprecated
                        && t.versions().last().is_some_and(|n| n.major == t.major)
                })
                .map(Task::reference)
                .collect();
            let server: Vec<&str> = server.iter().map(String::as_str).collect();
            self.diags.push(
                Diagnostic::error(
                    Code::AgentTaskInAgentlessJob,
                    span,
                    format!("`{}` runs on an agent, and this job is agentless", task.reference()),
                )
                .label("needs an agent")
                .related(origin, "agentless pool set here")
                .help(format!(
                    "agentless jobs run only server tasks ({}); move this step to a job with an agent pool",
                    listing(&server)
                )),
            );
        }
    }
}

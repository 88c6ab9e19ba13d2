//! Completion by the block the cursor is in: at the start of a statement, the
//! block's settings (less those already written) and the keywords it takes; at
//! the value of a setting whose value is a word of a fixed set, those words.
//!
//! It reads the buffer as typed ([`crate::syntax::block_at`]), not the last parse,
//! so a block whose `}` is not written yet still counts.

use crate::schema::{Block, Setting, Shape};
use tower_lsp_server::ls_types as lsp;

/// What the block around the cursor has to say.
pub(super) enum Answer {
    /// These items and nothing else.
    Items(Vec<lsp::CompletionItem>),
    /// A value not of a fixed set (text, a list, …): the names in scope, no keywords.
    Names,
    /// Nothing particular: a block the schema does not know (`env { … }`), inside
    /// parentheses, the top level.
    Unknown,
}

fn in_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// The completion at byte `offset` of `text` by the block it is in. With
/// `snippets`, a setting inserts a snippet where its shape makes the value's form
/// obvious (`approvers [$1]`).
pub(super) fn in_block(text: &str, offset: usize, snippets: bool) -> Answer {
    let start = text[..offset].trim_end_matches(in_word).len();
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let before = text[line_start..start].trim_end();
    let open = crate::syntax::block_at(text, start);
    let Some(inner) = open.last() else {
        return Answer::Unknown;
    };
    let block_of = |o: &crate::syntax::Open| {
        (o.bracket == b'{')
            .then_some(o.opener)
            .flatten()
            .and_then(Block::opened_by)
    };
    match inner.bracket {
        // `days [Mon, |`: the words of the list's setting.
        b'[' => {
            let setting = open
                .len()
                .checked_sub(2)
                .and_then(|i| block_of(&open[i]))
                .zip(inner.opener)
                .and_then(|(b, key)| b.setting(key));
            return match setting {
                Some(
                    s @ Setting {
                        shape: Shape::Words(_),
                        ..
                    },
                ) => Answer::Items(values(s)),
                Some(_) => Answer::Names,
                None => Answer::Unknown,
            };
        }
        b'(' => return Answer::Unknown,
        _ => {}
    }
    let Some(block) = block_of(inner) else {
        return Answer::Unknown;
    };
    // `pipeline NAME {` in `resources { … }` is a pipeline resource, and its
    // `trigger {` that resource's trigger.
    let opener_at = |back: usize| open.len().checked_sub(back).and_then(|i| open[i].opener);
    let block = match (block, opener_at(2), opener_at(3)) {
        (Block::Pipeline, Some("resources"), _) => Block::PipelineResource,
        (Block::Trigger, Some("pipeline"), Some("resources")) => Block::PipelineTrigger,
        (b, _, _) => b,
    };
    // In `task Name@N { … }` of an in-box task: its inputs and their values too.
    let task = (block == Block::Task)
        .then(|| super::tasks::task_of_block(text, inner.at))
        .flatten();
    if let Some(t) = task
        && let Some(items) = input_value(t, before)
    {
        return items;
    }
    // At the start of a statement: on a line of its own, or right after a brace.
    if before.is_empty() || before.ends_with(['{', '}']) {
        let written =
            crate::syntax::keys_in(text, inner.at, offset, |w| block.setting(w).is_some());
        let mut items: Vec<lsp::CompletionItem> = block
            .settings()
            .filter(|s| !written.iter().any(|&(at, w)| w == s.name && at != start))
            .enumerate()
            .map(|(i, s)| setting_item(s, i, snippets))
            .collect();
        if let Some(t) = task {
            let inputs = crate::syntax::keys_in(text, inner.at, offset, |w| t.input(w).is_some());
            let written: Vec<&str> = inputs
                .iter()
                .filter(|&&(at, _)| at != start)
                .map(|&(_, w)| w)
                .collect();
            items.splice(0..0, super::tasks::input_items(t, &written));
        }
        items.extend(block.keywords().iter().map(|k| lsp::CompletionItem {
            label: k.to_string(),
            kind: Some(lsp::CompletionItemKind::KEYWORD),
            sort_text: Some(format!("1{k}")),
            ..Default::default()
        }));
        return Answer::Items(items);
    }
    // `key |`, the key starting a statement: the value of a setting.
    let key_at = before.trim_end_matches(in_word).len();
    let (lead, key) = (before[..key_at].trim_end(), &before[key_at..]);
    if lead.is_empty() || lead.ends_with(['{', '}']) {
        return match block.setting(key) {
            Some(s) if !s.shape.words().is_empty() && !matches!(s.shape, Shape::Words(_)) => {
                Answer::Items(values(s))
            }
            Some(_) => Answer::Names,
            None => Answer::Unknown,
        };
    }
    Answer::Unknown
}

/// After `input = ` (or `input = "`) at the start of a statement of a task block:
/// the values of the input, or the names in scope when it takes any text.
fn input_value(task: &crate::check::tasks::Task, before: &str) -> Option<Answer> {
    let in_quote = before.ends_with('"');
    let rest = before.strip_suffix('"').unwrap_or(before).trim_end();
    let rest = rest.strip_suffix('=')?.trim_end();
    let key_at = rest.trim_end_matches(in_word).len();
    let (lead, key) = (rest[..key_at].trim_end(), &rest[key_at..]);
    if key.is_empty() || !(lead.is_empty() || lead.ends_with(['{', '}'])) {
        return None;
    }
    Some(match super::tasks::value_items(task, key, in_quote) {
        Some(items) => Answer::Items(items),
        None if in_quote => Answer::Unknown,
        None => Answer::Names,
    })
}

/// What a value of a shape looks like, in a few words.
fn shape_words(shape: Shape) -> String {
    match shape {
        Shape::Text => "text".into(),
        Shape::List => "a list of text".into(),
        Shape::Bool => "true or false".into(),
        Shape::Duration => "a duration, e.g. 30m".into(),
        Shape::Number => "a number".into(),
        Shape::Word(w) => format!("one of {}", w.join(", ")),
        Shape::Words(w) => format!("a list of {}", w.join(", ")),
        Shape::Filter => "a list, or { include [..] exclude [..] }".into(),
        Shape::Pool => "\"Name\", server, or { vm_image \"…\" }".into(),
        Shape::Entries => "a block of NAME = \"value\"".into(),
        Shape::Container => "\"image:tag\", a container resource, or { image \"…\" }".into(),
        Shape::Settings => "a block { … } of settings".into(),
        Shape::Legs => "a block of legs: name { VAR = \"value\" }".into(),
        Shape::CountOrPercent => "a number, or a percentage such as \"25%\"".into(),
        Shape::Numbers => "a list of numbers".into(),
    }
}

/// A setting as a completion item; `order` keeps the schema's order.
fn setting_item(s: &Setting, order: usize, snippets: bool) -> lsp::CompletionItem {
    let name = s.name;
    let snippet = match s.shape {
        Shape::Text => Some(format!("{name} \"$1\"")),
        Shape::List | Shape::Words(_) => Some(format!("{name} [$1]")),
        Shape::Entries | Shape::Settings | Shape::Legs => Some(format!("{name} {{ $1 }}")),
        Shape::Numbers => Some(format!("{name} [$1]")),
        Shape::Bool => Some(format!("{name} ${{1|true,false|}}")),
        Shape::Word(w) => Some(format!("{name} ${{1|{}|}}", w.join(","))),
        Shape::Duration
        | Shape::Number
        | Shape::CountOrPercent
        | Shape::Filter
        | Shape::Pool
        | Shape::Container => None,
    };
    let (insert_text, format) = match snippet {
        Some(snippet) if snippets => (snippet, lsp::InsertTextFormat::SNIPPET),
        _ => (format!("{name} "), lsp::InsertTextFormat::PLAIN_TEXT),
    };
    lsp::CompletionItem {
        label: name.to_string(),
        kind: Some(lsp::CompletionItemKind::PROPERTY),
        detail: Some(shape_words(s.shape)),
        documentation: Some(lsp::Documentation::String(s.doc.to_string())),
        sort_text: Some(format!("0{order:02}")),
        filter_text: Some(name.to_string()),
        insert_text: Some(insert_text),
        insert_text_format: Some(format),
        ..Default::default()
    }
}

/// The words a setting's value is made of, as completion items.
fn values(s: &Setting) -> Vec<lsp::CompletionItem> {
    s.shape
        .words()
        .iter()
        .enumerate()
        .map(|(i, w)| lsp::CompletionItem {
            label: w.to_string(),
            kind: Some(lsp::CompletionItemKind::ENUM_MEMBER),
            detail: Some(format!("value of `{}`", s.name)),
            sort_text: Some(format!("{i:02}")),
            ..Default::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The labels offered at the `|` of `text`, or `None` when the block says nothing.
    fn labels(text: &str) -> Option<Vec<String>> {
        let at = text.find('|').unwrap();
        let text = text.replacen('|', "", 1);
        match in_block(&text, at, false) {
            Answer::Items(items) => Some(items.into_iter().map(|i| i.label).collect()),
            Answer::Names => Some(vec!["<names>".into()]),
            Answer::Unknown => None,
        }
    }

    #[test]
    fn a_block_offers_its_settings_less_those_written_then_its_keywords() {
        let got = labels("gate g = approval {\n  min 1\n  ti|\n  yaml true\n}").unwrap();
        assert_eq!(
            got,
            [
                "approvers",
                "instructions",
                "timeout",
                "requester_can_approve",
                "in_sequence"
            ]
        );
        let got = labels("stage S {\n  job J {\n    timeout 5m\n    |").unwrap();
        assert!(got.contains(&"cancel_timeout".into()) && got.contains(&"script".into()));
        assert!(!got.contains(&"timeout".into()) && !got.contains(&"skippable".into()));
    }

    #[test]
    fn each_kind_of_block_is_known_by_its_keyword() {
        let at = |text: &str| labels(text).unwrap().join(" ");
        assert_eq!(
            at("pipeline {\n  trigger {\n    branches {\n      |"),
            "include exclude"
        );
        assert_eq!(at("pipeline { pr { |"), "branches paths auto_cancel drafts");
        assert_eq!(
            at("pipeline \"T\" {\n  |"),
            "run_name pool lock_behavior trigger pr schedule var secret group"
        );
        assert_eq!(at("job J {\n  pool { |"), "vm_image name demands");
        assert_eq!(
            at("environment e protected {\n  |"),
            "description resource resource_type local_deploy gate"
        );
        assert!(at("job J { download drop { |").ends_with("enabled patterns when"));
        assert!(
            at("template t(x: string) {\n  |")
                .starts_with("display pool lock_behavior manual skippable timeout")
        );
        assert_eq!(
            at("pipeline {\n  schedule nightly {\n    |"),
            "cron display branches always batch"
        );
    }

    #[test]
    fn resources_and_job_containers_offer_their_settings() {
        let at = |text: &str| labels(text).unwrap().join(" ");
        assert_eq!(
            at("resources {\n  repository tools {\n    |"),
            "type name ref endpoint"
        );
        assert_eq!(
            at("resources {\n  pipeline ci {\n    |"),
            "source project version branch tags"
        );
        assert_eq!(
            at("resources {\n  pipeline ci { trigger { |"),
            "enabled branches stages tags"
        );
        assert!(at("resources { container mysql { |").starts_with("image endpoint env ports"));
        assert_eq!(
            at("resources { package p { |"),
            "type connection name version tag"
        );
        assert_eq!(at("resources { webhook w { |"), "connection type filters");
        assert!(at("job J {\n  |").contains("container services workspace"));
        assert!(at("job J { container { |").starts_with("image endpoint"));
        assert_eq!(at("job J { workspace { |"), "clean");
        assert_eq!(
            labels("job J { workspace { clean |").unwrap(),
            ["outputs", "resources", "all"]
        );
        assert_eq!(
            labels("resources { repository r { type |").unwrap(),
            ["git", "github", "githubenterprise", "bitbucket"]
        );
    }

    #[test]
    fn strategies_offer_their_settings_and_hooks_and_hooks_their_steps() {
        let at = |text: &str| labels(text).unwrap().join(" ");
        let job = at("stage S {\n  job J {\n    |");
        assert!(job.contains("matrix max_parallel parallel") && job.ends_with("strategy"));
        assert_eq!(
            at("deployment D to e {\n  strategy rolling {\n    |"),
            "max_parallel pre_deploy deploy route_traffic post_route_traffic on_failure on_success"
        );
        assert!(at("deployment D to e { strategy canary { |").starts_with("increments pre_deploy"));
        assert!(at("deployment D to e { strategy run_once { |").starts_with("pre_deploy deploy"));
        assert_eq!(
            at("deployment D to e { strategy canary { on_failure {\n  |"),
            "pool script bash pwsh powershell task publish download checkout use"
        );
        assert_eq!(
            at("deployment D to e { strategy canary { deploy { pool { |"),
            "vm_image name demands"
        );
    }

    #[test]
    fn a_value_of_a_fixed_set_offers_its_words() {
        let mv = "stage S {\n  gate manual_validation {\n    on_timeout |";
        assert_eq!(labels(mv).unwrap(), ["reject", "resume"]);
        let days = "environment e { gate business_hours { days [Mon, |";
        assert_eq!(labels(days).unwrap().len(), 7);
        assert_eq!(
            labels("job J { continue_on_error t|").unwrap(),
            ["true", "false"]
        );
        assert_eq!(labels("job J {\n  display |").unwrap(), ["<names>"]);
        assert!(labels("job J { script \"x\" { env { |").is_none());
        assert!(labels("|").is_none());
    }

    #[test]
    fn a_task_block_offers_its_inputs_less_those_written_and_their_values() {
        let got = labels("job J {\n  task Bash@3 {\n    targetType = \"inline\"\n    |").unwrap();
        assert!(got.contains(&"script".into()) && got.contains(&"failOnStderr".into()));
        assert!(!got.contains(&"targetType".into()), "{got:?}");
        // The step's settings are still offered, after the inputs.
        let display = got.iter().position(|l| l == "display").unwrap();
        assert!(display > got.iter().position(|l| l == "script").unwrap());
        assert_eq!(
            labels("job J { task Bash@3 { targetType = |").unwrap(),
            ["filePath", "inline"]
        );
        assert_eq!(
            labels("job J { task Bash@3 {\n    targetType = \"in|").unwrap(),
            ["filePath", "inline"]
        );
        assert_eq!(
            labels("job J { task Bash@3 { failOnStderr = |").unwrap(),
            ["true", "false"]
        );
        assert_eq!(
            labels("job J { task Bash@3 { script = |").unwrap(),
            ["<names>"]
        );
        // Not an in-box task: the step's settings only.
        let got = labels("job J { task Foo@1 { |").unwrap();
        assert!(got.contains(&"display".into()) && !got.contains(&"script".into()));
    }

    #[test]
    fn a_snippet_only_where_the_shape_is_plain() {
        let s = Block::ManualValidation.setting("on_timeout").unwrap();
        assert_eq!(
            setting_item(s, 0, true).insert_text.unwrap(),
            "on_timeout ${1|reject,resume|}"
        );
        assert_eq!(
            setting_item(s, 0, false).insert_text.unwrap(),
            "on_timeout "
        );
        let t = Block::Job.setting("timeout").unwrap();
        assert_eq!(setting_item(t, 0, true).insert_text.unwrap(), "timeout ");
    }
}

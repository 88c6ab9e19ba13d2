//! The language server's view of typed tasks: hover on a task's name, and the
//! completion of a task's inputs and of the values of its pick lists, from the
//! same signatures the checker uses ([`crate::check::tasks`]).

use crate::check::tasks::{self, Input, Kind, Lookup, Task};
use tower_lsp_server::ls_types as lsp;

fn in_reference(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@')
}

/// The task reference (`Name@N`) that byte `offset` of `text` is on, when it
/// follows the keyword `task`: its byte range and text.
pub(super) fn reference_at(text: &str, offset: usize) -> Option<(usize, usize, &str)> {
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return None;
    }
    let start = text[..offset].trim_end_matches(in_reference).len();
    let end = offset + text[offset..].len() - text[offset..].trim_start_matches(in_reference).len();
    let word = &text[start..end];
    let keyword = text[..start].trim_end_matches([' ', '\t']);
    let after_task = keyword.ends_with("task")
        && keyword.len() < start
        && !keyword[..keyword.len() - 4].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
    (after_task && word.contains('@')).then_some((start, end, word))
}

/// The task whose `{` is at byte `open`: the reference written before it.
pub(super) fn task_of_block(text: &str, open: usize) -> Option<&'static Task> {
    let before = text[..open].trim_end();
    let start = before.trim_end_matches(in_reference).len();
    match tasks::find(&before[start..]) {
        Lookup::Found(t) => Some(t),
        _ => None,
    }
}

/// What an input takes, in a few words: `pick list: build, push, …`.
fn input_detail(i: &Input) -> String {
    let required = if i.required() { "required " } else { "" };
    let what = match i.kind() {
        Kind::Boolean => "true or false".to_string(),
        Kind::PickList | Kind::Radio if !i.options.is_empty() => {
            let shown: Vec<&str> = i.options.iter().take(6).copied().collect();
            let more = if i.options.len() > 6 { ", …" } else { "" };
            let open = if i.closed_options().is_none() {
                " (or another value)"
            } else {
                ""
            };
            format!("one of {}{more}{open}", shown.join(", "))
        }
        _ => i.ty.to_string(),
    };
    let default = if i.default.is_empty() || i.default.contains('\n') {
        String::new()
    } else {
        format!(", default `{}`", i.default)
    };
    format!("{required}{what}{default}")
}

/// Markdown for a hover on a task reference.
pub(super) fn hover(reference: &str) -> String {
    match tasks::find(reference) {
        Lookup::Found(t) => {
            let mut out = format!(
                "**{}** (`{}`, version {})\n\n{}\n",
                t.friendly_name,
                t.reference(),
                t.version,
                t.description
            );
            if t.deprecated {
                match t.successor() {
                    Some(s) => out.push_str(&format!(
                        "\n*Deprecated*: the newest version is `{}`.\n",
                        s.reference()
                    )),
                    None => out.push_str("\n*Deprecated.*\n"),
                }
            }
            if t.runs_agentless() {
                out.push_str("\nRuns in agentless jobs (`pool server`).\n");
            }
            out.push_str("\nInputs (**required** in bold):\n\n");
            for i in t.inputs {
                let name = if i.required() {
                    format!("**`{}`**", i.name)
                } else {
                    format!("`{}`", i.name)
                };
                let aliases = if i.aliases.is_empty() {
                    String::new()
                } else {
                    format!(" (also `{}`)", i.aliases.join("`, `"))
                };
                out.push_str(&format!(
                    "- {name}{aliases}: {} — {}\n",
                    i.label,
                    input_detail(i)
                ));
            }
            out
        }
        Lookup::NoSuchVersion(versions) => {
            let list: Vec<String> = versions
                .iter()
                .map(|t| format!("`{}`", t.reference()))
                .collect();
            format!(
                "`{reference}`: no such version of an in-box task; the versions are {}",
                list.join(", ")
            )
        }
        Lookup::NotInBox => format!(
            "`{reference}` is not a task built into Azure Pipelines (a marketplace or in-house task?); its inputs are not checked"
        ),
    }
}

/// The inputs of `task` as completion items, less those `written` (their
/// names, as written); required ones first.
pub(super) fn input_items(task: &Task, written: &[&str]) -> Vec<lsp::CompletionItem> {
    task.inputs
        .iter()
        .enumerate()
        .filter(|(_, i)| !written.iter().any(|w| i.is_named(w)))
        .map(|(n, i)| lsp::CompletionItem {
            label: i.name.to_string(),
            kind: Some(lsp::CompletionItemKind::FIELD),
            detail: Some(input_detail(i)),
            documentation: Some(lsp::Documentation::String(format!(
                "{}: {}",
                i.label, i.help
            ))),
            // Before the step's settings (`0NN`): required inputs, then the others.
            sort_text: Some(format!("!{}{n:03}", u8::from(!i.required()))),
            filter_text: Some(i.name.to_string()),
            insert_text: Some(format!("{} = ", i.name)),
            insert_text_format: Some(lsp::InsertTextFormat::PLAIN_TEXT),
            ..Default::default()
        })
        .collect()
}

/// The values input `key` of `task` takes (pick list and radio options, `true`
/// and `false`), as completion items; `None` if it takes any text. Inside an
/// open quote the bare value is inserted, otherwise a quoted one.
pub(super) fn value_items(
    task: &Task,
    key: &str,
    in_quote: bool,
) -> Option<Vec<lsp::CompletionItem>> {
    let input = task.input(key)?;
    let values: Vec<&str> = match input.kind() {
        Kind::Boolean => vec!["true", "false"],
        Kind::PickList | Kind::Radio if !input.options.is_empty() => input.options.to_vec(),
        _ => return None,
    };
    Some(
        values
            .into_iter()
            .enumerate()
            .map(|(n, v)| {
                let insert = if in_quote || input.kind() == Kind::Boolean {
                    v.to_string()
                } else {
                    format!("\"{v}\"")
                };
                lsp::CompletionItem {
                    label: v.to_string(),
                    kind: Some(lsp::CompletionItemKind::ENUM_MEMBER),
                    detail: Some(format!("value of `{}`", input.name)),
                    sort_text: Some(format!("{n:03}")),
                    insert_text: Some(insert),
                    ..Default::default()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_is_found_only_after_task() {
        let text = "job J {\n  task AzureWebApp@1 { appName = \"x\" }\n}";
        let at = text.find("WebApp").unwrap();
        assert_eq!(reference_at(text, at).map(|r| r.2), Some("AzureWebApp@1"));
        assert_eq!(reference_at(text, text.find("appName").unwrap()), None);
        assert_eq!(reference_at("mytask Foo@1", 8), None);
        let open = text.find('{').unwrap();
        assert_eq!(
            task_of_block(text, text[open + 1..].find('{').unwrap() + open + 1).map(|t| t.name),
            Some("AzureWebApp")
        );
    }

    #[test]
    fn hover_lists_the_inputs_and_marks_the_required_ones() {
        let h = hover("Bash@3");
        assert!(h.starts_with("**Bash** (`Bash@3`"), "{h}");
        assert!(
            h.contains("- `targetType`: Type — one of filePath, inline, default `filePath`"),
            "{h}"
        );
        assert!(h.contains("**`filePath`**"), "{h}");
        assert!(hover("Bash@9").contains("`Bash@3`"));
        assert!(hover("Foo@1").contains("not a task built into"));
    }

    #[test]
    fn values_are_quoted_unless_a_quote_is_open() {
        let Lookup::Found(t) = tasks::find("DotNetCoreCLI@2") else {
            panic!()
        };
        let items = value_items(t, "command", false).unwrap();
        assert_eq!(items[0].label, "build");
        assert_eq!(items[0].insert_text.as_deref(), Some("\"build\""));
        let items = value_items(t, "command", true).unwrap();
        assert_eq!(items[0].insert_text.as_deref(), Some("build"));
        assert!(value_items(t, "projects", false).is_none());
        let inputs = input_items(t, &["COMMAND"]);
        assert!(inputs.iter().all(|i| i.label != "command"));
    }
}

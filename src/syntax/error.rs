//! Turning pest's errors into diagnostics that speak the user's language.

use super::parser::Rule;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::error::{ErrorVariant, InputLocation};

/// What a rule looks like to a user; `None` for rules that are never worth naming.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "the end of the file",
        Rule::pipeline | Rule::kw_pipeline => "`pipeline`",
        Rule::import | Rule::kw_import => "`import`",
        Rule::var_decl | Rule::kw_var => "`var`",
        Rule::secret_decl | Rule::kw_secret => "`secret`",
        Rule::group_decl | Rule::kw_group => "`group`",
        Rule::artifact_decl | Rule::kw_artifact => "`artifact`",
        Rule::environment | Rule::kw_environment => "`environment`",
        Rule::gate_decl | Rule::gate_use | Rule::kw_gate => "`gate`",
        Rule::template | Rule::kw_template => "`template`",
        Rule::stage | Rule::kw_stage => "`stage`",
        Rule::job | Rule::kw_job => "`job`",
        Rule::deployment | Rule::kw_deployment => "`deployment`",
        Rule::trigger | Rule::kw_trigger => "`trigger`",
        Rule::pr_trigger | Rule::kw_pr => "`pr`",
        Rule::schedule | Rule::kw_schedule => "`schedule`",
        Rule::use_decl | Rule::kw_use => "`use`",
        Rule::when | Rule::gate_when | Rule::kw_when => "`when`",
        Rule::after | Rule::kw_after => "`after`",
        Rule::kw_to => "`to`",
        Rule::kw_from => "`from`",
        Rule::kw_none => "`none`",
        Rule::kw_protected => "`protected`",
        Rule::script_step | Rule::script_kind => "a step (`script`, `bash`, `pwsh`, `task`, …)",
        Rule::task_step | Rule::kw_task => "`task`",
        Rule::publish_step | Rule::kw_publish => "`publish`",
        Rule::download_step | Rule::kw_download => "`download`",
        Rule::checkout_step | Rule::kw_checkout => "`checkout`",
        Rule::task_ref => "a task reference such as `Npm@1`",
        Rule::setting | Rule::setting_key => "a setting",
        Rule::input => "an entry `name = value`",
        Rule::value => "a value",
        Rule::string | Rule::sq_string | Rule::raw_block => "a string",
        Rule::number => "a number",
        Rule::duration => "a duration such as `30m`",
        Rule::boolean => "`true` or `false`",
        Rule::list | Rule::name_list | Rule::expr_list => "a list `[…]`",
        Rule::object | Rule::step_body => "a block `{ … }`",
        Rule::path => "a name",
        Rule::name | Rule::ident | Rule::gate_ref => "a name",
        Rule::gate_kind => "a gate kind such as `approval { … }`",
        Rule::gate_expr => "a gate",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::cmp_expr
        | Rule::unary
        | Rule::postfix => "an expression",
        Rule::call => "a function call",
        Rule::cmp_op => "a comparison (`==`, `!=`, `<`, …)",
        Rule::in_op | Rule::kw_in | Rule::kw_not_in => "`in`",
        Rule::accessor => "`[…]` or `.name`",
        Rule::param => "a parameter `name: type`",
        _ => return None,
    })
}

fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

pub(super) fn syntax_error(file: FileId, text: &str, err: pest::error::Error<Rule>) -> Diagnostic {
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let end = text[pos..]
        .chars()
        .next()
        .map_or(pos, |c| pos + c.len_utf8());
    let found = match text[pos..].chars().next() {
        None => "the end of the file".to_string(),
        Some(c) if c.is_whitespace() => "a line break or space".to_string(),
        Some(_) => {
            let word: String = text[pos..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if word.is_empty() {
                format!("`{}`", &text[pos..end])
            } else {
                format!("`{word}`")
            }
        }
    };
    let span_end = if found.starts_with('`') && found.len() > 2 {
        pos + found.len() - 2
    } else {
        end
    };
    let mut expected = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .filter_map(|r| describe(*r))
            .collect::<Vec<_>>(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    expected.sort();
    expected.dedup();
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_words(&expected))
    };
    let help = unclosed_hint(text, pos);
    Diagnostic::error(
        Code::Syntax,
        Span::new(file, pos, span_end.min(text.len())),
        message,
    )
    .label(if expected.is_empty() {
        "not expected here".to_string()
    } else {
        format!("expected {}", join_words(&expected))
    })
    .help_opt(help)
}

/// If braces before `pos` are unbalanced, say so: the most common cause of a confusing error.
fn unclosed_hint(text: &str, pos: usize) -> Option<String> {
    let mut depth = 0i64;
    let mut in_str = false;
    for c in text[..pos].chars() {
        match c {
            '"' => in_str = !in_str,
            '{' if !in_str => depth += 1,
            '}' if !in_str => depth -= 1,
            _ => {}
        }
    }
    if pos >= text.trim_end().len() && depth > 0 {
        Some(format!(
            "{depth} `{{` not closed before the end of the file"
        ))
    } else {
        None
    }
}

/// Brackets nest at most this deep. The parser is recursive, so this bounds its
/// stack; Azure itself allows expressions nested 50 deep.
pub(super) const MAX_NESTING: usize = 100;

/// A syntax error if brackets outside strings and comments nest deeper than [`MAX_NESTING`].
pub(super) fn too_deep(file: FileId, text: &str) -> Option<Diagnostic> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' | b'\'' => {
                let quote = bytes[i];
                i += 1;
                while i < bytes.len() && bytes[i] != quote && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' && quote == b'"' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::error(Code::Syntax, Span::new(file, i, i + 1), format!("brackets nest more than {MAX_NESTING} deep here"))
                            .label("too deeply nested")
                            .help("split the expression or block into smaller named pieces (gates, templates)"),
                    );
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

//! Turning pest's errors into diagnostics that speak the user's language.

use super::lex::{Mark, brackets, lex};
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
        Rule::extends | Rule::kw_extends => "`extends`",
        Rule::var_decl | Rule::kw_var => "`var`",
        Rule::secret_decl | Rule::kw_secret => "`secret`",
        Rule::group_decl | Rule::kw_group => "`group`",
        Rule::artifact_decl | Rule::kw_artifact => "`artifact`",
        Rule::runtime_param | Rule::kw_parameter => "`parameter`",
        Rule::if_item | Rule::kw_if => "`if`",
        Rule::else_if | Rule::else_block | Rule::kw_else => "`else`",
        Rule::if_block => "a block `{ … }`",
        Rule::environment | Rule::kw_environment => "`environment`",
        Rule::gate_decl | Rule::gate_use | Rule::kw_gate => "`gate`",
        Rule::template | Rule::kw_template => "`template`",
        Rule::stage | Rule::kw_stage => "`stage`",
        Rule::job | Rule::kw_job => "`job`",
        Rule::deployment | Rule::kw_deployment => "`deployment`",
        Rule::trigger | Rule::resource_trigger | Rule::kw_trigger => "`trigger`",
        Rule::resources | Rule::kw_resources => "`resources`",
        Rule::resource | Rule::resource_kind => {
            "a resource (`repository`, `pipeline`, `container`, `package`, `webhook`)"
        }
        Rule::strategy | Rule::kw_strategy => "`strategy`",
        Rule::hook => "a hook such as `deploy { … }`",
        Rule::pr_trigger | Rule::kw_pr => "`pr`",
        Rule::schedule | Rule::kw_schedule => "`schedule`",
        Rule::use_decl | Rule::external_use | Rule::kw_use => "`use`",
        Rule::template_from => "`from`",
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
        Rule::object | Rule::step_body | Rule::resource_body => "a block `{ … }`",
        Rule::path => "a name",
        Rule::name | Rule::ident | Rule::gate_ref | Rule::var_name => "a name",
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

/// The diagnostic for pest's error `err` in the piece `text[piece]` of a file (positions
/// are in the whole text). A piece ends where the next declaration starts, or at the end
/// of the file; a block still open there is blamed on its `{`.
pub(super) fn syntax_error(
    file: FileId,
    text: &str,
    piece: std::ops::Range<usize>,
    err: pest::error::Error<Rule>,
) -> Diagnostic {
    let end = piece.end;
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
    .clamp(piece.start, end);
    if text[pos..end].trim().is_empty()
        && let Some(open) = unclosed_brace(&text[piece.clone()])
    {
        return unclosed(file, text, piece.start + open, end);
    }
    if let Some(d) = unclosed_on_line(file, text, piece.clone(), pos) {
        return d;
    }
    // A declaration inside a block: the `}` before it is missing.
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    if text[line_start..pos].trim().is_empty()
        && keyword_at(&text[pos..], DECLARATION_ONLY).is_some()
        && let Some(open) = unclosed_brace(&text[piece.start..pos])
    {
        return unclosed(file, text, piece.start + open, pos);
    }
    if let Some(d) = word_operator(file, text, pos) {
        return d;
    }
    if let Some(d) = missing_equals(file, text, pos) {
        return d;
    }
    // Brackets balance before it: the `}` closes nothing.
    if text[pos..].starts_with('}') {
        let depth = brackets(&text[piece.start..pos]).fold(0i64, |d, (_, b)| {
            d + i64::from(matches!(b, b'(' | b'[' | b'{'))
                - i64::from(matches!(b, b')' | b']' | b'}'))
        });
        if depth == 0 {
            return Diagnostic::error(
                Code::Syntax,
                Span::new(file, pos, pos + 1),
                "this `}` closes no block",
            )
            .label("nothing to close")
            .help("remove it, or add the `{` it was meant to close");
        }
    }
    let rest = &text[pos..];
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let (found, len) = match rest.chars().next() {
        None => ("the end of the file".to_string(), 0),
        Some(c) if c.is_whitespace() => ("a line break or space".to_string(), c.len_utf8()),
        Some(c) if word.is_empty() => (format!("`{c}`"), c.len_utf8()),
        Some(_) => (format!("`{word}`"), word.len()),
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
    // At the end of the file, point at the last character rather than at nothing.
    let span = if len == 0 {
        let start = text.trim_end().char_indices().last().map_or(0, |(i, _)| i);
        Span::new(file, start, text.trim_end().len())
    } else {
        Span::new(file, pos, pos + len)
    };
    let mut d = Diagnostic::error(Code::Syntax, span, message).label(
        if expected.is_empty() || expected.len() > 3 {
            "not expected here".to_string()
        } else {
            format!("expected {}", join_words(&expected))
        },
    );
    let unquoted = text[pos..]
        .find(char::is_whitespace)
        .map_or(&text[pos..], |e| &text[pos..pos + e]);
    if text[line_start..pos].trim() == "import"
        && !unquoted.is_empty()
        && !unquoted.starts_with(['"', '\''])
    {
        let path = Span::new(file, pos, pos + unquoted.len());
        d = d.suggestion(
            path,
            format!("\"{unquoted}\""),
            format!("quote the path: `import \"{unquoted}\"`"),
        );
    } else if yaml_colon(text, pos) {
        d = d.suggestion(
            Span::new(file, pos, pos + 1),
            "",
            "remove the `:`: this is not YAML, a setting is written `key value`",
        );
    } else if let Some(h) = hint(text, pos, &word) {
        d = d.help(h);
    } else if let Some(k) = misspelt_keyword(text, pos, &word, &expected) {
        d = d.suggestion(span, &k, format!("did you mean `{k}`?"));
    }
    d
}

/// A string, list or parenthesis opened on the line of the error at `pos` and never
/// closed: pest reports such errors where the closing character was expected, in terms
/// of what else could have followed, so they are recognised from the text.
fn unclosed_on_line(
    file: FileId,
    text: &str,
    piece: std::ops::Range<usize>,
    pos: usize,
) -> Option<Diagnostic> {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
    let rest = &text[pos..line_end];
    let quote = rest.chars().next().filter(|&c| c == '"' || c == '\'');
    if let Some(q) = quote
        && !rest.starts_with("\"\"\"")
        && !closes(&rest[1..], q)
    {
        let shown = rest.trim_end();
        return Some(
            Diagnostic::error(
                Code::Syntax,
                Span::new(file, pos, pos + shown.len()),
                format!("this string is never closed: a `{q}` is missing"),
            )
            .label(format!("no closing `{q}` on this line"))
            .help(format!(
                "add a `{q}` where the string ends; a string ends on its line \
                 (for several lines, use \"\"\"…\"\"\")"
            )),
        );
    }
    // The error is on the line of the bracket left open, or, when the parser only
    // noticed at the first token of the next line, on the line after it.
    let mut from = line_start;
    if text[line_start..pos].trim().is_empty() {
        let before = text[piece.start..line_start].trim_end();
        from = piece.start + before.rfind('\n').map_or(0, |i| i + 1);
    }
    let open = unmatched_opens(&text[piece.clone()])
        .into_iter()
        .map(|(at, b)| (piece.start + at, b))
        .filter(|&(at, _)| at >= from && at < line_end)
        .max()?;
    let (at, b) = open;
    let (what, close) = if b == b'[' {
        ("this list", ']')
    } else {
        ("this `(`", ')')
    };
    Some(
        Diagnostic::error(
            Code::Syntax,
            Span::new(file, at, at + 1),
            format!("{what} is never closed: a `{close}` is missing"),
        )
        .label("opened here, never closed")
        .help(format!("add a `{close}` where it ends")),
    )
}

/// `and`, `or` or `not` (or a single `&` or `|`) written in a condition where the
/// language has `&&`, `||` and `!`; the parser fails a little after such a word, which is
/// read as the start of a setting, so the word is found on the line of the error.
fn word_operator(file: FileId, text: &str, pos: usize) -> Option<Diagnostic> {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
    let rest = &text[pos..];
    let (at, written, operator) = if rest.starts_with('&') && !rest.starts_with("&&") {
        (pos, "&", "&&")
    } else if rest.starts_with('|') && !rest.starts_with("||") {
        (pos, "|", "||")
    } else {
        // Words outside strings, up to the end of the word at the error.
        let mut words = Vec::new();
        let mut quote: Option<u8> = None;
        let mut start = None;
        let bytes = text.as_bytes();
        for i in line_start..=line_end {
            let b = bytes.get(i).copied().unwrap_or(b'\n');
            if let Some(q) = quote {
                if b == q {
                    quote = None;
                }
                continue;
            }
            if b.is_ascii_alphanumeric() || b == b'_' {
                start.get_or_insert(i);
                continue;
            }
            if let Some(s) = start.take() {
                words.push((s, &text[s..i]));
                if i > pos {
                    break;
                }
            }
            if b == b'"' || b == b'\'' {
                quote = Some(b);
            }
        }
        if !words.iter().any(|&(_, w)| w == "when") {
            return None;
        }
        words.iter().enumerate().find_map(|(n, &(at, w))| match w {
            "and" => Some((at, "and", "&&")),
            "or" => Some((at, "or", "||")),
            // `not in` is an operator of its own.
            "not" if words.get(n + 1).is_none_or(|&(_, next)| next != "in") => {
                Some((at, "not", "!"))
            }
            _ => None,
        })?
    };
    let span = Span::new(file, at, at + written.len());
    Some(
        Diagnostic::error(
            Code::Syntax,
            span,
            format!("conditions write `{operator}`, not `{written}`"),
        )
        .label(format!("write `{operator}` here"))
        .suggestion(span, operator, format!("write `{operator}`")),
    )
}

/// `var name value` or `gate name kind`, without the `=`. pest reports this at the
/// keyword, expecting nothing it can name, so the place of the `=` is found here.
fn missing_equals(file: FileId, text: &str, pos: usize) -> Option<Diagnostic> {
    let rest = &text[pos..];
    // `gate kind { … }` without a name is a gate used in a block; a declaration starts
    // its line.
    let first_column = pos == 0 || text[..pos].ends_with('\n');
    let keyword = ["var", "gate"].into_iter().find(|k| {
        (first_column || *k == "var")
            && rest
                .strip_prefix(k)
                .is_some_and(|r| r.starts_with([' ', '\t']))
    })?;
    let after = &rest[keyword.len()..];
    let name_text = after.trim_start_matches([' ', '\t']);
    let name_len = name_text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .unwrap_or(name_text.len());
    let after_name = &name_text[name_len..];
    let value = after_name.trim_start_matches([' ', '\t']);
    if name_len == 0 || after_name.len() == value.len() || value.starts_with(['=', '\r', '\n']) {
        return None;
    }
    let at = text.len() - value.len();
    let token = value
        .find(char::is_whitespace)
        .map_or(value, |e| &value[..e]);
    let span = Span::new(file, at, at + token.len());
    let name = &name_text[..name_len];
    Some(
        Diagnostic::error(
            Code::Syntax,
            span,
            format!("expected `=` after `{keyword} {name}`, found `{token}`"),
        )
        .label("expected `=` before this")
        .suggestion(span, format!("= {token}"), "add the `=`"),
    )
}

/// Whether `line`, the text after an opening quote `q`, holds the quote that closes it.
fn closes(line: &str, q: char) -> bool {
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if q == '"' => {
                chars.next();
            }
            '\'' if q == '\'' && chars.peek() == Some(&'\'') => {
                chars.next();
            }
            c if c == q => return true,
            _ => {}
        }
    }
    false
}

/// Offsets and bytes of the `[` and `(` in `text` that no bracket of their kind closes:
/// a closing bracket of another kind, or the end of the text, ends them.
fn unmatched_opens(text: &str) -> Vec<(usize, u8)> {
    let mut open: Vec<(usize, u8)> = Vec::new();
    let mut unmatched = Vec::new();
    for (at, b) in brackets(text) {
        let opener = match b {
            b'(' | b'[' | b'{' => {
                open.push((at, b));
                continue;
            }
            b')' => b'(',
            b']' => b'[',
            _ => b'{',
        };
        // A `}` or `]` also ends the lists and parentheses left open inside it.
        if open.iter().any(|&(_, o)| o == opener) {
            while let Some((o_at, o)) = open.pop() {
                if o == opener {
                    break;
                }
                unmatched.push((o_at, o));
            }
        }
    }
    unmatched.extend(open);
    unmatched.retain(|&(_, b)| b != b'{');
    unmatched
}

/// A block opened at `open` and still open where its piece ends (`end`): the next
/// declaration, or the end of the file.
fn unclosed(file: FileId, text: &str, open: usize, end: usize) -> Diagnostic {
    let owner = declaration_words(&text[..open]);
    let what = match owner {
        Some((kw, Some(name))) => format!("the block of {kw} `{name}`"),
        Some((kw, None)) => format!("this `{kw}` block"),
        None => "this block".to_string(),
    };
    let next = text[end..].trim_start();
    let mut d = Diagnostic::error(
        Code::Syntax,
        Span::new(file, open, open + 1),
        format!("{what} is never closed: a `}}` is missing"),
    )
    .label("opened here, never closed");
    if next.is_empty() {
        d = d.help("add a `}` where the block ends; it runs on to the end of the file");
    } else {
        let at = end + (text[end..].len() - next.len());
        let word: String = next
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        d = d
            .related(
                Span::new(file, at, at + word.len().max(1)),
                "the next declaration starts here",
            )
            .help(format!("add a `}}` where the block ends, before `{word}`"));
    }
    d
}

/// The keyword and name of the innermost declaration or item header before a `{`
/// (`stage Dev … {` → ("stage", "Dev")), read from the words on its line.
///
/// Only the header itself counts: what follows the last brace on the line, without
/// strings and parenthesised parameters (`template t(env: environment) {` is a template).
fn declaration_words(before: &str) -> Option<(String, Option<String>)> {
    let line = before.rsplit('\n').next().unwrap_or(before);
    let line = line.rsplit(['{', '}']).next().unwrap_or(line);
    let mut header = String::new();
    let mut skip: Option<char> = None;
    let mut parens = 0usize;
    for c in line.chars() {
        match (skip, c) {
            (Some(q), _) if c == q => skip = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => skip = Some(c),
            (None, '(') => parens += 1,
            (None, ')') => parens = parens.saturating_sub(1),
            (None, _) if parens == 0 => header.push(c),
            (None, _) => {}
        }
        if skip.is_some() || parens > 0 {
            header.push(' ');
        }
    }
    let words: Vec<&str> = header
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .filter(|w| !w.is_empty())
        .collect();
    const HEADERS: &[&str] = &[
        "pipeline",
        "environment",
        "template",
        "stage",
        "job",
        "deployment",
        "trigger",
        "pr",
        "schedule",
        "pool",
        "env",
        "script",
        "bash",
        "pwsh",
        "powershell",
        "task",
    ];
    let at = words.iter().rposition(|w| HEADERS.contains(w))?;
    let name = match words[at] {
        "pipeline" | "trigger" | "pr" | "pool" | "env" | "script" | "bash" | "pwsh"
        | "powershell" => None,
        _ => words.get(at + 1).map(|n| n.to_string()),
    };
    Some((words[at].to_string(), name))
}

/// The declarations a file is made of.
pub(crate) const TOP_LEVEL: &[&str] = &[
    "import",
    "extends",
    "pipeline",
    "resources",
    "var",
    "secret",
    "group",
    "artifact",
    "parameter",
    "environment",
    "gate",
    "template",
    "stage",
];

/// Whether the error at `pos` is the `:` of `key: value`, written as in azure-pipelines.yml.
fn yaml_colon(text: &str, pos: usize) -> bool {
    text[pos..].starts_with(':')
        && text[..pos].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
}

/// Help for the mistakes people make most, recognised from the text around the error.
fn hint(text: &str, pos: usize, word: &str) -> Option<String> {
    let rest = &text[pos..];
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line_before = &text[line_start..pos];
    let in_condition = line_before.split_whitespace().any(|w| w == "when");
    if in_condition && rest.starts_with('=') && !rest.starts_with("==") {
        return Some("to compare, write `==`".into());
    }
    let words: Vec<&str> = line_before
        .split_whitespace()
        .chain(std::iter::once(word))
        .collect();
    // A header without its name: the next word was read as the name.
    if let [
        kw @ ("stage" | "job" | "deployment" | "template" | "environment"),
        "after",
    ] = words[..words.len() - 1]
    {
        return Some(format!(
            "`after` was read as the {kw}'s name: write the name first, as in `{kw} Test after Build`"
        ));
    }
    if let [kw @ ("stage" | "job" | "deployment")] = words[..words.len() - 1]
        && rest.starts_with('"')
    {
        return Some(format!(
            "a {kw} needs a name before its display name, as in `{kw} Test \"Run the tests\"`"
        ));
    }
    if line_before.is_empty() && yaml_key(rest) {
        return Some(
            "this looks like azure-pipelines.yml; here stages are declared \
             `stage Name { job Name { script \"…\" } }`"
                .into(),
        );
    }
    // A list item of azure-pipelines.yml (`- script: make`).
    if rest.starts_with("- ") && line_before.trim().is_empty() {
        return Some(
            "this looks like YAML: write steps and settings without `- ` and `:`, \
             as in `script \"make\"`"
                .into(),
        );
    }
    let after_word = rest[word.len()..].trim_start();
    if line_before.split_whitespace().any(|w| w == "after")
        && (rest.starts_with(',') || after_word.starts_with(','))
    {
        return Some("several dependencies are a list: `after [Build, Lint]`".into());
    }
    if let Some(c) = rest.chars().next()
        && !c.is_ascii()
        && c.is_alphabetic()
    {
        return Some(
            "names use ASCII letters, digits, `_` and `-` only; put other text in a display name"
                .into(),
        );
    }
    let quotes = line_before.chars().filter(|c| *c == '"').count();
    // A closing quote with text glued to it (`"echo "Building …`) ended a string early.
    let glued = line_before
        .match_indices('"')
        .enumerate()
        .any(|(n, (i, _))| {
            n % 2 == 1
                && line_before[i + 1..].starts_with(|c: char| c.is_alphanumeric() || c == '$')
        });
    if (quotes % 2 == 1 || glued) && !line_before.contains("\"\"\"") {
        return Some(
            "a string on this line is not closed where expected; write `\\\"` for a quote inside a string, \
             or use '…' or \"\"\"…\"\"\" strings"
                .into(),
        );
    }
    None
}

/// The keyword `word` misspells, among those expected at `pos`.
fn misspelt_keyword(text: &str, pos: usize, word: &str, expected: &[&str]) -> Option<String> {
    if word.is_empty() || word.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let mut keywords: Vec<&str> = expected
        .iter()
        .filter_map(|e| e.strip_prefix('`')?.strip_suffix('`'))
        .collect();
    if keywords.is_empty() && text[line_start..pos].trim().is_empty() {
        keywords = TOP_LEVEL.to_vec();
    }
    crate::diagnostic::did_you_mean(word, keywords.iter().copied()).map(str::to_string)
}

/// The offset of the `{` that lacks its `}` at the end of `text`, if one does.
///
/// Braces match innermost first, but people indent: a `}` that starts a line less
/// indented than the line of the `{` it would close most likely closes an outer block,
/// and the inner one is the block left open. Without such a sign, the last `{` still
/// open is blamed.
fn unclosed_brace(text: &str) -> Option<usize> {
    let line_indent = |at: usize| {
        let line = text[..at].rfind('\n').map_or(0, |i| i + 1);
        text[line..].len() - text[line..].trim_start_matches([' ', '\t']).len()
    };
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut suspect = None;
    for (i, b) in brackets(text) {
        match b {
            b'{' => open.push((i, line_indent(i))),
            b'}' => {
                let lead = text[..i].rsplit('\n').next().unwrap_or("");
                let (starts_line, indent) = (lead.trim().is_empty(), lead.len());
                if let Some(&(top, top_indent)) = open.last()
                    && starts_line
                    && suspect.is_none()
                    && indent < top_indent
                    && open.iter().rev().skip(1).any(|&(_, o)| o == indent)
                {
                    suspect = Some(top);
                }
                open.pop();
            }
            _ => {}
        }
    }
    if open.is_empty() {
        return None;
    }
    suspect.or(open.last().map(|&(at, _)| at))
}

/// Brackets nest at most this deep. The parser is recursive, so this bounds its
/// stack; Azure itself allows expressions nested 50 deep.
pub(super) const MAX_NESTING: usize = 100;

/// Where a file can be cut into pieces that are parsed one at a time.
pub(super) struct Cuts {
    /// The start of every line that begins, outside brackets, strings and comments,
    /// with a top-level keyword. No declaration continues onto a line that starts with
    /// a keyword, so these pieces parse exactly as the whole file does; parsing them one
    /// at a time keeps the parser's memory to the largest declaration.
    pub declarations: Vec<usize>,
    /// Lines inside brackets that start in the first column with a keyword that only
    /// begins a declaration (`stage`, `template`, …): where the next declaration most
    /// likely starts when a `}` is missing before it; and lines outside brackets that
    /// start in the first column with a misspelt top-level keyword and a name
    /// (`stgae Build`). Used only to recover from an error.
    pub resync: Vec<usize>,
}

/// Keywords that begin a declaration and nothing else.
const DECLARATION_ONLY: &[&str] = &[
    "import",
    "pipeline",
    "resources",
    "artifact",
    "environment",
    "template",
    "stage",
];

/// The keyword of [`TOP_LEVEL`] (or of `among`) that `line` starts with, if any.
fn keyword_at(line: &str, among: &[&'static str]) -> Option<&'static str> {
    among.iter().copied().find(|k| {
        line.strip_prefix(k).is_some_and(|rest| {
            rest.starts_with(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        })
    })
}

/// The [`Cuts`] of `text`, in one lexer pass that also bounds the parser's recursion:
/// a syntax error if brackets outside strings and comments nest deeper than
/// [`MAX_NESTING`].
pub(super) fn cuts(file: FileId, text: &str) -> Result<Cuts, Box<Diagnostic>> {
    let mut cuts = Cuts {
        declarations: Vec::new(),
        resync: Vec::new(),
    };
    let mut depth = 0usize;
    for mark in lex(text, false) {
        match mark {
            Mark::Bracket(at, b'(' | b'[' | b'{') => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(Box::new(
                        Diagnostic::error(
                            Code::Syntax,
                            Span::new(file, at, at + 1),
                            format!("brackets nest more than {MAX_NESTING} deep here"),
                        )
                        .label("too deeply nested")
                        .help("split the expression or block into smaller named pieces (gates, templates)"),
                    ));
                }
            }
            Mark::Bracket(..) => depth = depth.saturating_sub(1),
            Mark::LineStart(at) if depth == 0 => {
                let line = text[at..].trim_start_matches([' ', '\t']);
                if keyword_at(line, TOP_LEVEL).is_some() {
                    cuts.declarations.push(at);
                } else if misspelt_declaration(&text[at..]) || yaml_key(&text[at..]) {
                    cuts.resync.push(at);
                }
            }
            Mark::LineStart(at) => {
                if keyword_at(&text[at..], DECLARATION_ONLY).is_some() {
                    cuts.resync.push(at);
                }
            }
            // Asked for no tokens.
            Mark::Word(..) | Mark::Str(_) | Mark::Punct(..) => {}
        }
    }
    Ok(cuts)
}

/// Whether `line` starts in the first column with `key:`, as azure-pipelines.yml does.
fn yaml_key(line: &str) -> bool {
    let key = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    key > 0 && line[key..].starts_with(':')
}

/// Whether `line` starts in the first column with a misspelt top-level keyword and a
/// name (`stgae Build {`): where the next declaration most likely starts.
fn misspelt_declaration(line: &str) -> bool {
    let word = line
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    let after = &line[word.len()..];
    let named = after.starts_with([' ', '\t'])
        && after
            .trim_start_matches([' ', '\t'])
            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
    named
        && keyword_at(line, TOP_LEVEL).is_none()
        && crate::diagnostic::did_you_mean(word, TOP_LEVEL.iter().copied()).is_some()
}

/// The declaration a piece of text begins, as far as its words tell: its keyword and,
/// when one follows, its name (`stage Dev {` → ("stage", "Dev")).
pub(super) fn declared(
    piece: &str,
    offset: usize,
) -> Option<(&'static str, Option<(usize, usize)>)> {
    let mut rest = piece;
    loop {
        let trimmed = rest.trim_start();
        if let Some(after) = trimmed.strip_prefix("//") {
            rest = after.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(after) = trimmed.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r);
        } else {
            rest = trimmed;
            break;
        }
    }
    // A misspelt keyword (`enviroment`) still says what was meant.
    let first: &str = rest
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    let keyword = match keyword_at(rest, TOP_LEVEL) {
        Some(k) => k,
        // Only with a name after it: `stages:` is YAML, not a stage.
        None if misspelt_declaration(rest) => {
            crate::diagnostic::did_you_mean(first, TOP_LEVEL.iter().copied())?
        }
        None => return None,
    };
    let after = &rest[first.len()..];
    let name_text = after.trim_start();
    let len = name_text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .unwrap_or(name_text.len());
    let start = offset + (piece.len() - name_text.len());
    Some((keyword, (len > 0).then_some((start, start + len))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_is_named_by_its_keyword_not_by_words_in_parameters_or_strings() {
        let named = |s: &str| declaration_words(s).map(|(k, n)| format!("{k} {n:?}"));
        assert_eq!(
            named("template deploy(env: environment) ").as_deref(),
            Some("template Some(\"deploy\")")
        );
        assert_eq!(
            named("stage Dev \"Deploy to the job environment\" after Build ").as_deref(),
            Some("stage Some(\"Dev\")")
        );
        assert_eq!(
            named("  job Build { script \"x\" ").as_deref(),
            Some("script None")
        );
    }

    #[test]
    fn lists_and_parentheses_left_open_are_found_even_when_another_bracket_ends_them() {
        assert_eq!(unmatched_opens("after [Build { a }"), vec![(6, b'[')]);
        assert_eq!(
            unmatched_opens("x { b [\"a\" } (c"),
            vec![(6, b'['), (13, b'(')]
        );
        assert_eq!(unmatched_opens("x [a, (b)] { c }"), vec![]);
        // Brackets in strings are text.
        assert_eq!(unmatched_opens("x \"[\" { }"), vec![]);
    }

    #[test]
    fn a_string_closes_on_its_line_past_escapes() {
        assert!(closes("make \\\" test\"", '"'));
        assert!(!closes("make \\\"", '"'));
        assert!(!closes("it''s", '\''));
        assert!(closes("it''s'", '\''));
    }

    #[test]
    fn only_a_first_column_misspelt_keyword_with_a_name_resyncs() {
        assert!(misspelt_declaration("stgae Build {"));
        assert!(misspelt_declaration("templat deploy(env: environment) {"));
        assert!(!misspelt_declaration("stage Build {"));
        assert!(!misspelt_declaration("stages:"));
        assert!(!misspelt_declaration("+ release_branch"));
    }

    #[test]
    fn a_missing_equals_is_found_after_the_name() {
        let d = |t: &str| missing_equals(FileId(0), t, 0).map(|d| (d.message, d.span));
        let (message, span) = d("var region \"west\"\n").unwrap();
        assert_eq!(message, "expected `=` after `var region`, found `\"west\"`");
        assert_eq!((span.start, span.end), (11, 17));
        assert!(d("gate soak delay { for 30m }").is_some());
        assert!(d("var region = \"west\"").is_none());
        assert!(d("var region\n").is_none());
        assert!(missing_equals(FileId(0), "  gate approval { }", 2).is_none());
    }

    #[test]
    fn a_yaml_key_in_the_first_column_is_a_resync_point_not_a_declaration() {
        assert!(yaml_key("stages:\n  - stage: A"));
        assert!(!yaml_key("stage A {"));
        assert!(!yaml_key(": x"));
        assert_eq!(declared("stages:\n  - stage: A", 0), None);
        assert_eq!(declared("stgae Build {", 0), Some(("stage", Some((6, 11)))));
    }

    #[test]
    fn a_closing_brace_at_the_top_of_a_piece_closes_no_block() {
        let text = "stage A { job B { script \"x\" } }\n}\n";
        let pos = text.rfind('}').unwrap();
        let err = pest::error::Error::new_from_pos(
            ErrorVariant::ParsingError {
                positives: vec![Rule::EOI],
                negatives: vec![],
            },
            pest::Position::new(text, pos).unwrap(),
        );
        let d = syntax_error(FileId(0), text, 0..text.len(), err);
        assert_eq!(d.message, "this `}` closes no block");
        assert_eq!((d.span.start as usize, d.span.end as usize), (pos, pos + 1));
    }

    fn error_at(text: &str, pos: usize) -> Diagnostic {
        let err = pest::error::Error::new_from_pos(
            ErrorVariant::ParsingError {
                positives: vec![Rule::file],
                negatives: vec![],
            },
            pest::Position::new(text, pos).unwrap(),
        );
        syntax_error(FileId(0), text, 0..text.len(), err)
    }

    #[test]
    fn a_bracket_left_open_is_found_on_the_line_before_or_after_the_error() {
        let text = "stage A {\n  job B {\n    when succeeded(Lint\n  }\n}\n";
        let d = error_at(text, text.find("  }").unwrap() + 2);
        assert_eq!(d.message, "this `(` is never closed: a `)` is missing");
        assert_eq!(d.span.start as usize, text.find('(').unwrap());
        let text = "template t(env: environment {\n}\n";
        assert_eq!(error_at(text, 0).span.start, 10);
    }

    #[test]
    fn an_indented_declaration_inside_a_block_is_blamed_on_the_brace_left_open() {
        let text = "stage A {\n  job B { script \"x\" }\n\n  stage C {\n  }\n";
        let d = error_at(text, text.find("stage C").unwrap());
        assert_eq!(
            d.message,
            "the block of stage `A` is never closed: a `}` is missing"
        );
        assert_eq!(d.span.start, 8);
    }

    fn operator(line: &str, at: &str) -> Option<String> {
        let pos = line.find(at).unwrap();
        word_operator(FileId(0), line, pos).map(|d| format!("{} {:?}", d.message, d.span))
    }

    #[test]
    fn word_operators_are_found_in_conditions_only_outside_strings() {
        let d = operator("when a == \"x and y\" and b != 1", "!=").unwrap();
        assert!(d.starts_with("conditions write `&&`, not `and`"), "{d}");
        assert!(d.contains("20"), "{d}");
        assert!(
            operator("when not a =", "=")
                .unwrap()
                .contains("`!`, not `not`")
        );
        assert!(operator("when a not in [\"b\"] =", "=").is_none());
        assert!(operator("display \"build and test\" =", "=").is_none());
        assert!(
            operator("when a & b", "&")
                .unwrap()
                .contains("`&&`, not `&`")
        );
    }
}

//! `relc fmt`: one canonical layout for `.release` text.
//!
//! The formatter works on tokens, never on the parse tree, so it can only
//! change the whitespace between tokens:
//!
//! - line breaks are the user's; a run of blank lines becomes one, and there
//!   are none at the start or end of the file, which ends with one newline;
//! - every line is indented two spaces per line that opened a bracket still
//!   open at its start (a line opening two brackets indents once), and a line
//!   that starts by closing brackets is indented as the line that opened them;
//! - between tokens on a line: one space, none inside `(…)` and `[…]`, none
//!   before `,` or `:`, none after `!`, one around binary operators; where a
//!   word meets `[`, a `)`/`]` meets a word, or a string meets a word or a
//!   string, the user's choice (space or none) is kept;
//! - strings and `"""` raw blocks are copied byte for byte (a raw block's lines
//!   keep their indentation: its dedent is relative to them); comments are
//!   copied with trailing whitespace removed, and re-indented when they start a
//!   line.
//!
//! Invariant: words are maximal runs of the characters of every atomic rule of
//! `grammar/release.pest` (names, numbers, durations, versions, `Npm@1`,
//! `env.app`), so a word is never split, two words are always kept apart, and
//! the sequence of tokens of the output is the sequence of the input
//! ([`format`] checks this). Whether the result means the same is checked by
//! compiling both ([`meaning`]).

use crate::Compilation;

/// What a token is, as far as spacing is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Str,
    LineComment,
    BlockComment,
    Open(u8),
    Close(u8),
    Comma,
    Colon,
    Bang,
    /// `= + == != <= >= < > && ||`
    Op,
    /// Any other character: never valid outside strings; spacing kept as written.
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    text: &'a str,
    /// Whitespace separates it from the token before.
    space_before: bool,
    /// Line breaks between it and the token before.
    newlines_before: usize,
}

/// Why a text cannot be formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '@') || !c.is_ascii()
}

/// The tokens of `text`. Comments and strings are lexed as `grammar/release.pest`
/// lexes them (the same rules as the nesting guard's lexer in `syntax/error.rs`).
fn lex(text: &str) -> Result<Vec<Token<'_>>, FormatError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut space = false;
    let mut newlines = 0;
    let unterminated = |what: &str, at: usize| {
        let line = text[..at].matches('\n').count() + 1;
        FormatError(format!("unterminated {what} on line {line}"))
    };
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            space = true;
            newlines += usize::from(b == b'\n');
            i += 1;
            continue;
        }
        let start = i;
        let rest = &text[i..];
        let kind = if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
            Kind::LineComment
        } else if let Some(body) = rest.strip_prefix("/*") {
            i += body
                .find("*/")
                .ok_or_else(|| unterminated("comment", start))?
                + 4;
            Kind::BlockComment
        } else if let Some(body) = rest.strip_prefix("\"\"\"") {
            i += body
                .find("\"\"\"")
                .ok_or_else(|| unterminated("raw block", start))?
                + 6;
            Kind::Str
        } else if b == b'"' || b == b'\'' {
            i += 1;
            loop {
                match bytes.get(i) {
                    None | Some(b'\n') => return Err(unterminated("string", start)),
                    Some(b'\\') if b == b'"' => i += 2,
                    Some(&q) if q == b => {
                        if b == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    }
                    Some(_) => i += 1,
                }
            }
            Kind::Str
        } else if let Some(op) = ["==", "!=", "<=", ">=", "&&", "||"]
            .iter()
            .find(|op| rest.starts_with(**op))
        {
            i += op.len();
            Kind::Op
        } else {
            let c = rest.chars().next().expect("not at the end");
            if is_word_char(c) {
                i += rest.find(|c| !is_word_char(c)).unwrap_or(rest.len());
                Kind::Word
            } else {
                i += c.len_utf8();
                match c {
                    '(' | '[' | '{' => Kind::Open(b),
                    ')' | ']' | '}' => Kind::Close(b),
                    ',' => Kind::Comma,
                    ':' => Kind::Colon,
                    '!' => Kind::Bang,
                    '=' | '+' | '<' | '>' => Kind::Op,
                    _ => Kind::Other,
                }
            }
        };
        tokens.push(Token {
            kind,
            text: &text[start..i.min(text.len())],
            space_before: space,
            newlines_before: newlines,
        });
        space = false;
        newlines = 0;
    }
    Ok(tokens)
}

/// Keywords that read as words before a `(`: `when (a || b)`, `x in (…)`.
const KEEP_SPACE_BEFORE_PAREN: &[&str] = &["when", "in", "not", "after", "gate", "to", "from"];

/// Whether to put a space between `prev` and `next` on one line.
fn space_between(prev: &Token<'_>, next: &Token<'_>) -> bool {
    use Kind::*;
    let as_written = next.space_before;
    match (prev.kind, next.kind) {
        (LineComment | BlockComment, _) | (_, LineComment | BlockComment) => true,
        (_, Comma | Colon) => false,
        (Comma | Colon, _) => true,
        (Open(b'(' | b'['), _) | (_, Close(b')' | b']')) => false,
        (Open(b'{'), Close(b'}')) => false,
        (Open(_), _) | (_, Close(_)) => true,
        (Bang, _) => false,
        (Op, _) | (_, Op) => true,
        (_, Open(b'{')) => true,
        (Word, Open(b'(')) => KEEP_SPACE_BEFORE_PAREN.contains(&prev.text),
        (_, Open(b'(')) => as_written,
        (_, Open(_)) => as_written,
        (Close(b'}'), _) => true,
        (Close(_), Word) => as_written,
        (_, Word) if next.text.starts_with('.') => as_written,
        // `"a"b"` is a quote inside a string; the diagnostic says so only while they touch.
        (Str, Word | Str) | (Word, Str) => as_written,
        (Other, _) | (_, Other) => as_written,
        _ => true,
    }
}

/// The text of a token as printed: comments lose trailing whitespace on each line.
fn printed<'a>(t: &Token<'a>) -> std::borrow::Cow<'a, str> {
    match t.kind {
        Kind::LineComment => t.text.trim_end().into(),
        Kind::BlockComment if t.text.lines().any(|l| l != l.trim_end()) => {
            let lines: Vec<&str> = t.text.split('\n').map(str::trim_end).collect();
            lines.join("\n").into()
        }
        _ => t.text.into(),
    }
}

/// `text` in the canonical layout. Fails only on text the lexer cannot read
/// (an unterminated string or comment), which never parses anyway.
pub fn format(text: &str) -> Result<String, FormatError> {
    let tokens = lex(text)?;
    let out = print(&tokens);
    // The output must hold the same tokens, in order: only whitespace changed.
    let again = lex(&out)?;
    let same = again.len() == tokens.len()
        && again
            .iter()
            .zip(&tokens)
            .all(|(a, b)| a.kind == b.kind && printed(a) == printed(b));
    if !same {
        return Err(FormatError(
            "internal error: formatting changed the tokens".into(),
        ));
    }
    Ok(out)
}

fn print(tokens: &[Token<'_>]) -> String {
    let mut out = String::new();
    // The line of every bracket still open; non-decreasing.
    let mut open: Vec<usize> = Vec::new();
    let mut line = 0;
    for (k, t) in tokens.iter().enumerate() {
        if k == 0 || t.newlines_before > 0 {
            if k > 0 {
                line += 1;
                out.push('\n');
                if t.newlines_before > 1 {
                    out.push('\n');
                }
            }
            let closing = tokens[k..]
                .iter()
                .take_while(|c| matches!(c.kind, Kind::Close(_)))
                .enumerate()
                .take_while(|(j, c)| *j == 0 || c.newlines_before == 0)
                .count();
            let still = &open[..open.len().saturating_sub(closing)];
            let depth = still
                .iter()
                .enumerate()
                .filter(|&(j, l)| j == 0 || still[j - 1] != *l)
                .count();
            for _ in 0..depth {
                out.push_str("  ");
            }
        } else if space_between(&tokens[k - 1], t) {
            out.push(' ');
        }
        out.push_str(&printed(t));
        match t.kind {
            Kind::Open(_) => open.push(line),
            Kind::Close(_) => {
                open.pop();
            }
            _ => {}
        }
    }
    if !tokens.is_empty() {
        out.push('\n');
    }
    out
}

/// What a compilation means, for comparing a file with its formatted text: the
/// YAML when it compiles, and every word of the diagnostics (not their positions).
#[derive(Debug, PartialEq, Eq)]
pub struct Meaning {
    pub yaml: Option<String>,
    pub diagnostics: Vec<String>,
}

/// The [`Meaning`] of `c`, compiled from the file `name`.
pub fn meaning(c: &Compilation, name: &str) -> Meaning {
    Meaning {
        yaml: c
            .pipeline
            .as_ref()
            .and_then(|p| crate::backend::azure::emit(p, name).ok()),
        diagnostics: c
            .diagnostics
            .iter()
            .map(|d| {
                let related = d.related.iter().map(|r| r.message.as_str());
                let fixes = d.fixes.iter().flat_map(|f| {
                    std::iter::once(f.message.as_str())
                        .chain(f.edits.iter().map(|e| e.replacement.as_str()))
                });
                let words: Vec<&str> = [d.code.as_str(), &d.message, &d.label]
                    .into_iter()
                    .chain(d.help.as_deref())
                    .chain(related)
                    .chain(fixes)
                    .collect();
                words.join("\u{1f}")
            })
            .collect(),
    }
}

/// Whether `c` has a syntax error: such a file is not formatted.
pub fn has_syntax_error(c: &Compilation) -> bool {
    c.diagnostics
        .iter()
        .any(|d| d.code == crate::diagnostic::Code::Syntax && d.span.file == c.file)
}

/// The first lines where `old` and `new` differ, unified-diff style (at most
/// `max` lines each side, two lines of context).
pub fn short_diff(old: &str, new: &str, max: usize) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_end, b_end) = (a.len() - suffix, b.len() - suffix);
    let from = prefix.saturating_sub(2);
    let mut s = format!("@@ line {} @@\n", prefix + 1);
    for l in &a[from..prefix] {
        s += &format!(" {l}\n");
    }
    for l in a[prefix..a_end].iter().take(max) {
        s += &format!("-{l}\n");
    }
    if a_end - prefix > max {
        s += "-…\n";
    }
    for l in b[prefix..b_end].iter().take(max) {
        s += &format!("+{l}\n");
    }
    if b_end - prefix > max {
        s += "+…\n";
    }
    if a_end == prefix && b_end == prefix {
        s += " (whitespace at the end of the file)\n";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::format;

    fn f(s: &str) -> String {
        format(s).unwrap()
    }

    #[test]
    fn spacing_indentation_and_blank_lines() {
        assert_eq!(
            f("stage  Build   after[A ,B]{\n\n\n   job J {\nscript \"make\"   \n}\n  }\n\n"),
            "stage Build after[A, B] {\n\n  job J {\n    script \"make\"\n  }\n}\n"
        );
        assert_eq!(
            f("stage S {\n when eq( variables [ 'a' ] , 'b' )&&!( x==1 )\n}"),
            "stage S {\n  when eq(variables ['a'], 'b') && !(x == 1)\n}\n"
        );
        assert_eq!(
            f("template t( a : string = \"x\" ) { }"),
            "template t(a: string = \"x\") {}\n"
        );
    }

    #[test]
    fn strings_raw_blocks_and_comments_are_verbatim() {
        let src = "stage S { // c  \n  job J {\n script \"\"\"\n      a  \n    b\n  \"\"\"   /* x */\n  }\n}\n";
        assert_eq!(
            f(src),
            "stage S { // c\n  job J {\n    script \"\"\"\n      a  \n    b\n  \"\"\" /* x */\n  }\n}\n"
        );
        assert_eq!(
            f("var x = 'it''s'  +\"a\\\"  b\""),
            "var x = 'it''s' + \"a\\\"  b\"\n"
        );
        // A quote inside a string: the three tokens stay glued, as the diagnostic needs.
        assert_eq!(
            f("script \"echo \"hello\"\""),
            "script \"echo \"hello\"\"\n"
        );
    }

    #[test]
    fn two_openers_on_a_line_indent_once() {
        assert_eq!(
            f("stage S {\nuse t({\na = 1\n})\n}"),
            "stage S {\n  use t({\n    a = 1\n  })\n}\n"
        );
    }

    #[test]
    fn idempotent_and_unterminated_refused() {
        let once = f("pipeline \"x\"{trigger{branches[main]}}\n\n\n\nstage A{script \"a\"}");
        assert_eq!(f(&once), once);
        assert!(format("var x = \"open").is_err());
        assert!(format("/* open").is_err());
        assert_eq!(f(""), "");
    }
}

//! Which blocks a position is in, for completion: read from the text up to the
//! position alone, so it works on a buffer that is being typed (a `{` not closed
//! yet, a string not finished), where the parser gives up.

use super::lex::{Mark, lex};

/// A bracket open at the position: where it is, which one, and the keyword that
/// opened it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Open<'a> {
    /// The byte offset of the bracket.
    pub at: usize,
    /// `{`, `[` or `(`.
    pub bracket: u8,
    /// For `{`, the keyword of the header it ends (`job` in `job Build after A {`)
    /// or, when it ends no header, the word right before it (`pool`, `approval`,
    /// `env`). For `[` and `(`, the word right before it (`days [`). `None` when
    /// no word is there.
    pub opener: Option<&'a str>,
}

/// What the walk remembers of the text at one level of brackets since the last
/// block closed at that level: the last few tokens, enough for any header.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Token<'a> {
    Word(&'a str),
    Str,
    Punct(u8),
    /// A `( … )` or `[ … ]` that closed: `after [A, B]`, `deploy(env: environment)`.
    Group,
}

/// A header is at most this many tokens (`deployment Web "Deploy" to prod after [A]`).
const KEPT: usize = 12;

/// The brackets open at byte `offset` of `text`, outermost first, strings and
/// comments skipped as the parser skips them.
///
/// Invariant: only `text[..offset]` is read, so a block still being written is
/// open, whatever follows the position.
pub fn block_at(text: &str, offset: usize) -> Vec<Open<'_>> {
    let text = text.get(..offset).unwrap_or(text);
    // One level per open bracket, and the top level: the bracket, and the tokens
    // written directly in it since it opened or since a block in it closed.
    let mut top: Vec<Token> = Vec::new();
    let mut open: Vec<(Open, Vec<Token>)> = Vec::new();
    for mark in lex(text, true) {
        let tokens = open.last_mut().map_or(&mut top, |(_, t)| t);
        let token = match mark {
            Mark::LineStart(_) => continue,
            Mark::Word(s, e) => Token::Word(&text[s..e]),
            Mark::Str(_) => Token::Str,
            Mark::Punct(_, b) => Token::Punct(b),
            Mark::Bracket(at, bracket @ (b'{' | b'[' | b'(')) => {
                let opener = if bracket == b'{' {
                    block_opener(tokens)
                } else {
                    last_word(tokens)
                };
                let o = Open {
                    at,
                    bracket,
                    opener,
                };
                open.push((o, Vec::new()));
                continue;
            }
            // A closing bracket closes the innermost open one, of whatever kind (the
            // parser would have stopped there; the lines after it matter more).
            Mark::Bracket(..) => {
                let Some((closed, _)) = open.pop() else {
                    continue;
                };
                let parent = open.last_mut().map_or(&mut top, |(_, t)| t);
                if closed.bracket == b'{' {
                    // What came before a block is done with when it closes.
                    parent.clear();
                } else {
                    push(parent, Token::Group);
                }
                continue;
            }
        };
        push(tokens, token);
    }
    open.into_iter().map(|(o, _)| o).collect()
}

/// The keys written directly in the block whose `{` is at byte `open` (not in the
/// blocks and brackets inside it), with their offsets: the words for which `is_key`
/// holds, less a word right after a key, which is its value (`display name`).
///
/// The block ends at its `}`. One not closed yet (the user is typing) ends before
/// the first line after `offset` that is indented no deeper than the line of its
/// `{` and is not its `}`: most likely the next declaration or block.
pub fn keys_in(
    text: &str,
    open: usize,
    offset: usize,
    is_key: impl Fn(&str) -> bool,
) -> Vec<(usize, &str)> {
    let indent = |at: usize| {
        let line = &text[at..];
        line.len() - line.trim_start_matches([' ', '\t']).len()
    };
    let open_line = text[..open].rfind('\n').map_or(0, |i| i + 1);
    let limit = indent(open_line);
    let body = text.get(open + 1..).unwrap_or("");
    let (mut depth, mut after_key) = (0usize, false);
    let mut keys = Vec::new();
    for mark in lex(body, true) {
        match mark {
            Mark::Bracket(_, b'{' | b'[' | b'(') => {
                depth += 1;
                after_key = false;
            }
            Mark::Bracket(..) if depth == 0 => break,
            Mark::Bracket(..) => depth -= 1,
            Mark::LineStart(at) if depth == 0 && open + 1 + at > offset => {
                let line = body[at..].trim_start_matches([' ', '\t']);
                let blank = line.is_empty() || line.starts_with(['\n', '\r']);
                if !blank && !line.starts_with('}') && indent(open + 1 + at) <= limit {
                    break;
                }
            }
            Mark::Word(s, e) if depth == 0 => {
                let word = &body[s..e];
                let key = !after_key && is_key(word);
                if key {
                    keys.push((open + 1 + s, word));
                }
                after_key = key;
            }
            Mark::Str(_) | Mark::Punct(..) if depth == 0 => after_key = false,
            _ => {}
        }
    }
    keys
}

fn push<'a>(tokens: &mut Vec<Token<'a>>, token: Token<'a>) {
    if tokens.len() == KEPT {
        tokens.remove(0);
    }
    tokens.push(token);
}

fn last_word<'a>(tokens: &[Token<'a>]) -> Option<&'a str> {
    match tokens.last() {
        Some(Token::Word(w)) => Some(w),
        _ => None,
    }
}

/// The keyword that opens a `{` written after `tokens`: the nearest header keyword
/// whose header the tokens after it fit, else the word right before the `{`.
fn block_opener<'a>(tokens: &[Token<'a>]) -> Option<&'a str> {
    for (i, t) in tokens.iter().enumerate().rev() {
        if let Token::Word(w) = t
            && fits_header(w, &tokens[i + 1..])
        {
            return Some(w);
        }
    }
    last_word(tokens)
}

/// Whether `rest` is what comes between header keyword `keyword` and its `{`, as
/// the grammar writes those headers. Not a header keyword: false.
fn fits_header(keyword: &str, rest: &[Token]) -> bool {
    use Token::{Group, Str, Word};
    let word = |t: Option<&Token>| matches!(t, Some(Word(_)));
    // `[after (NAME | [..])]` and nothing else.
    let after = |r: &[Token]| matches!(r, [] | [Word("after"), Word(_) | Group]);
    // `VALUE (+ VALUE)*`, the value of a step.
    let value = |r: &[Token]| {
        !r.is_empty()
            && r.iter().enumerate().all(|(i, t)| match i % 2 {
                0 => matches!(t, Word(_) | Str),
                _ => *t == Token::Punct(b'+'),
            })
            && r.len() % 2 == 1
    };
    match keyword {
        // `pipeline NAME {` is a pipeline resource, in `resources { … }`.
        "pipeline" => matches!(rest, [] | [Str] | [Word(_)]),
        "schedule" | "download" | "checkout" | "task" | "repository" | "package" | "webhook" => {
            matches!(rest, [Word(_)])
        }
        "container" => matches!(rest, [] | [Word(_)]),
        "environment" => matches!(rest, [Word(_)] | [Word(_), Word("protected")]),
        "template" => matches!(rest, [Word(_), Group]),
        "stage" | "job" => {
            word(rest.first()) && {
                let r = &rest[1..];
                let r = if r.first() == Some(&Str) { &r[1..] } else { r };
                after(r)
            }
        }
        "deployment" => {
            word(rest.first()) && {
                let r = &rest[1..];
                let r = if r.first() == Some(&Str) { &r[1..] } else { r };
                matches!(r, [Word("to"), Word(_), ..]) && after(&r[2..])
            }
        }
        "script" | "bash" | "pwsh" | "powershell" => value(rest),
        "publish" => matches!(rest, [Word(_), Word("from"), ..]) && value(&rest[2..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The openers of the brackets open at the `|` of `text`.
    fn path(text: &str) -> Vec<String> {
        let at = text.find('|').unwrap();
        let text = text.replacen('|', "", 1);
        block_at(&text, at)
            .iter()
            .map(|o| o.opener.unwrap_or("?").to_string())
            .collect()
    }

    #[test]
    fn headers_are_named_by_their_keyword() {
        assert_eq!(
            path("stage Dev \"Deploy\" after [A, B] {\n  job Web after A {\n    |"),
            ["stage", "job"]
        );
        assert_eq!(
            path("stage S { deployment Web \"w\" to env.prod after X { script \"a\" + b { |"),
            ["stage", "deployment", "script"]
        );
        assert_eq!(
            path("template t(env: environment) { task Bash@3 { | } }"),
            ["template", "task"]
        );
        assert_eq!(
            path("environment prod protected {\n  gate x + approval { |"),
            ["environment", "approval"]
        );
        assert_eq!(
            path("pipeline \"T\" { schedule nightly { |"),
            ["pipeline", "schedule"]
        );
        assert_eq!(
            path("job J { publish drop from \"a\" + b { |"),
            ["job", "publish"]
        );
    }

    #[test]
    fn a_setting_block_after_a_bodyless_step_is_named_by_its_setting() {
        assert_eq!(
            path("job J {\n  script \"make\"\n  download drop\n  timeout 5m\n  pool { |"),
            ["job", "pool"]
        );
        assert_eq!(
            path("job J { script \"x\" { env { |"),
            ["job", "script", "env"]
        );
        assert_eq!(path("gate g = lock { } + delay { |"), ["delay"]);
    }

    #[test]
    fn strings_comments_and_closed_blocks_do_not_count() {
        assert_eq!(
            path("stage A { job B { script \"}\" } // }\n /* } */ job C { script '}' } |"),
            ["stage"]
        );
        // An unfinished string ends with its line.
        assert_eq!(path("job J {\n  script \"echo {\n  |"), ["job"]);
        assert_eq!(path("job J {\n  script \"\"\"\n  { |"), ["job"]);
    }

    #[test]
    fn lists_and_parentheses_are_named_by_the_word_before_them() {
        let text = "business_hours { days [Mon, |";
        let at = text.find('|').unwrap();
        let open = block_at(text, at);
        assert_eq!(open.len(), 2);
        assert_eq!((open[1].bracket, open[1].opener), (b'[', Some("days")));
        assert_eq!(path("when succeeded(|"), ["succeeded"]);
    }

    #[test]
    fn keys_are_the_words_that_start_settings_of_the_block_itself() {
        let is_key = |w: &str| ["display", "name", "timeout", "pool"].contains(&w);
        let text = "job J {\n  display name\n  pool { name \"x\" }\n  |\n  timeout 5m\n}\njob K { name \"y\" }";
        let at = text.find('|').unwrap();
        let open = text.find('{').unwrap();
        let keys: Vec<&str> = keys_in(text, open, at, is_key)
            .into_iter()
            .map(|k| k.1)
            .collect();
        assert_eq!(keys, ["display", "pool", "timeout"]);
        // Not closed: the block ends where a line is indented as its `{` line is.
        let text = "stage S {\n  job J {\n    |\n  timeout 9m\n  job K { timeout 1m }\n";
        let at = text.find('|').unwrap();
        let open = text.rfind("J {").unwrap() + 2;
        assert!(keys_in(text, open, at, is_key).is_empty());
        let text = "job J {\n  timeout 9m\n  |\n  display \"d\"\n";
        let at = text.find('|').unwrap();
        let keys: Vec<&str> = keys_in(text, 6, at, is_key)
            .into_iter()
            .map(|k| k.1)
            .collect();
        assert_eq!(keys, ["timeout", "display"]);
    }
}

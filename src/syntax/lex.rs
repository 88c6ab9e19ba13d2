//! The bracket lexer: brackets, line starts and (when asked) words, outside strings
//! and comments. Cutting a file into declarations, blaming a `{` left open, and
//! finding the block a cursor is in ([`super::blocks`]) all read text through it,
//! so they agree with each other and with the parser on what is a string.

/// What [`lex`] reports: a bracket the parser sees as a bracket, the start of a
/// line that begins outside any string or comment, and, only when tokens are
/// asked for, the words, strings and other punctuation between them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Mark {
    Bracket(usize, u8),
    LineStart(usize),
    /// A run of letters, digits, `_`, `-`, `.` and `@` (`job`, `Build`, `5m`,
    /// `Bash@3`, `env.app`): from its start to its end.
    Word(usize, usize),
    /// A string or `"""` block, at its first quote.
    Str(usize),
    /// Any other character that is not a space: `=`, `+`, `,`, `!`, ….
    Punct(usize, u8),
}

/// How many brackets are open at `offset`, as the parser counts them (strings and
/// comments skipped).
pub(crate) fn nesting_at(text: &str, offset: usize) -> usize {
    brackets(&text[..offset]).fold(0usize, |depth, (_, b)| match b {
        b'(' | b'[' | b'{' => depth + 1,
        _ => depth.saturating_sub(1),
    })
}

/// Offsets and bytes of the brackets that the parser sees as brackets.
pub(super) fn brackets(text: &str) -> impl Iterator<Item = (usize, u8)> + '_ {
    lex(text, false).filter_map(|m| match m {
        Mark::Bracket(at, b) => Some((at, b)),
        _ => None,
    })
}

fn in_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'@')
}

/// Brackets, and starts of lines outside strings and comments; with `tokens`, also
/// the words, strings and punctuation.
///
/// Invariant: this lexes comments and strings exactly as `grammar/release.pest`
/// does, so the bracket depth it reports is the nesting the recursive parser
/// would descend into. `//` and `/* */` comments, `"""` raw blocks (the grammar
/// never reads `"""` as an empty string followed by a quote), `"…"` with
/// backslash escapes and `'…'` (where `''` is a quote) are skipped. Where the
/// text is broken (an unterminated string or comment) the parser stops there;
/// this scanner then errs on the side of counting more brackets, never fewer:
/// an unterminated `"…"` or `'…'` ends with its line.
pub(super) fn lex(text: &str, tokens: bool) -> impl Iterator<Item = Mark> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    let find = move |from: usize, needle: &[u8]| {
        bytes[from.min(bytes.len())..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| from + p)
    };
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let at = i;
            i += 1;
            match bytes[at] {
                b'\n' => return Some(Mark::LineStart(at + 1)),
                b'/' if bytes.get(at + 1) == Some(&b'/') => {
                    i = find(at, b"\n").unwrap_or(bytes.len());
                }
                b'/' if bytes.get(at + 1) == Some(&b'*') => {
                    // An unclosed comment is a syntax error at its start: nothing after it is parsed.
                    i = find(at + 2, b"*/").map_or(bytes.len(), |e| e + 2);
                }
                b'"' if bytes[at..].starts_with(b"\"\"\"") => {
                    i = find(at + 3, b"\"\"\"").map_or(bytes.len(), |e| e + 3);
                    if tokens {
                        return Some(Mark::Str(at));
                    }
                }
                quote @ (b'"' | b'\'') => {
                    while i < bytes.len() && bytes[i] != quote && bytes[i] != b'\n' {
                        i += if bytes[i] == b'\\' && quote == b'"' {
                            2
                        } else {
                            1
                        };
                    }
                    i += 1;
                    if tokens {
                        return Some(Mark::Str(at));
                    }
                }
                b @ (b'(' | b'[' | b'{' | b')' | b']' | b'}') => return Some(Mark::Bracket(at, b)),
                b if tokens && in_word(b) => {
                    while i < bytes.len() && in_word(bytes[i]) {
                        i += 1;
                    }
                    return Some(Mark::Word(at, i));
                }
                b if tokens && !b.is_ascii_whitespace() => return Some(Mark::Punct(at, b)),
                _ => {}
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_skip_comments_and_keep_strings_whole() {
        let text = "job J \"a { b\" // c {\n/* d { */ x=1";
        let marks: Vec<Mark> = lex(text, true).collect();
        assert_eq!(
            marks,
            [
                Mark::Word(0, 3),
                Mark::Word(4, 5),
                Mark::Str(6),
                Mark::LineStart(21),
                Mark::Word(31, 32),
                Mark::Punct(32, b'='),
                Mark::Word(33, 34),
            ]
        );
        // Without tokens, only brackets and line starts, as before.
        assert_eq!(lex(text, false).collect::<Vec<_>>(), [Mark::LineStart(21)]);
    }
}

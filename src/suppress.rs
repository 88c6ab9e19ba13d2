//! Suppression comments: `// relc-allow E090: the public demo key`.
//!
//! A line comment that starts with `relc-allow` silences the diagnostics of the
//! codes it names whose primary span starts on its line (a comment after code)
//! or on the next line of code (a comment on a line of its own; blank lines and
//! other comment lines in between are skipped). It must give a reason after a
//! colon. Syntax errors cannot be silenced, nor can the diagnostics about
//! suppression comments themselves.
//!
//! Comments are found by a scan of each file's text that skips strings and
//! block comments, so `"// relc-allow"` inside a script is not a suppression.
//! Filtering happens once, on the sorted list every output format renders.

use crate::diagnostic::{Code, Diagnostic, suggest};
use crate::source::{FileId, SourceFile, SourceMap, Span};

const KEYWORD: &str = "relc-allow";

/// Codes a comment may not silence.
const UNSUPPRESSIBLE: [Code; 4] = [
    Code::Syntax,
    Code::InvalidEscape,
    Code::InvalidSuppression,
    Code::UnusedSuppression,
];

struct Allow {
    file: FileId,
    /// 0-based line whose diagnostics it silences (once resolved: a comment
    /// on a line of its own starts with its own line).
    line: usize,
    own_line: bool,
    codes: Vec<Code>,
    span: Span,
    used: bool,
}

/// Remove the diagnostics that comments silence, and report malformed and
/// unused suppressions. Unused ones are reported only for the compiled file
/// (`FileId(0)`), and only when it parsed, since otherwise nothing was checked.
pub fn apply(sources: &SourceMap, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut allows = Vec::new();
    let mut problems = Vec::new();
    for (id, file) in sources.files() {
        // Only a comment holding the keyword is a directive: most files have none.
        if memchr::memmem::find(file.text.as_bytes(), KEYWORD.as_bytes()).is_none() {
            continue;
        }
        let first = allows.len();
        for (start, end) in line_comments(&file.text) {
            if let Some(a) = directive(id, file, start, end, &mut problems) {
                allows.push(a);
            }
        }
        if allows[first..].iter().any(|a| a.own_line) {
            let next = next_code_lines(file);
            for a in allows[first..].iter_mut().filter(|a| a.own_line) {
                a.line = next.get(a.line + 1).copied().unwrap_or(a.line + 1);
            }
        }
    }
    if allows.is_empty() && problems.is_empty() {
        return diagnostics;
    }
    let parsed = !diagnostics.iter().any(|d| d.code == Code::Syntax);
    let mut by_line: std::collections::HashMap<(FileId, usize), Vec<usize>> =
        std::collections::HashMap::new();
    for (i, a) in allows.iter().enumerate() {
        by_line.entry((a.file, a.line)).or_default().push(i);
    }
    let mut out: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| {
            if UNSUPPRESSIBLE.contains(&d.code) {
                return true;
            }
            let line = sources.get(d.span.file).line_index(d.span.start as usize);
            let mut silenced = false;
            for &i in by_line.get(&(d.span.file, line)).into_iter().flatten() {
                if allows[i].codes.contains(&d.code) {
                    allows[i].used = true;
                    silenced = true;
                }
            }
            !silenced
        })
        .collect();
    if parsed {
        for a in allows.iter().filter(|a| !a.used && a.file == FileId(0)) {
            let codes: Vec<&str> = a.codes.iter().map(|c| c.as_str()).collect();
            problems.push(
                Diagnostic::warning(
                    Code::UnusedSuppression,
                    a.span,
                    format!(
                        "nothing reports {} on line {}, so this suppression silences nothing",
                        codes.join(" or "),
                        a.line + 1
                    ),
                )
                .label("nothing to silence")
                .help("remove the comment; a suppression applies to its own line, or to the next line of code when it stands alone"),
            );
        }
    }
    out.extend(problems);
    out.sort_by_key(|d| (d.span.file, d.span.start, d.span.end, d.code.as_str()));
    out
}

/// Parse one line comment (`start..end` spans `//` to the end of the line).
fn directive(
    file_id: FileId,
    file: &SourceFile,
    start: usize,
    end: usize,
    problems: &mut Vec<Diagnostic>,
) -> Option<Allow> {
    let body = &file.text[start + 2..end];
    let trimmed = body.trim_start();
    let rest = trimmed.strip_prefix(KEYWORD)?;
    if rest.starts_with(|c: char| c.is_alphanumeric() || c == '-' || c == '_') {
        return None;
    }
    let span = Span::new(file_id, start, end);
    let (codes_text, reason) = match rest.split_once(':') {
        Some((c, r)) => (c, Some(r.trim())),
        None => (rest, None),
    };
    let mut ok = true;
    let mut codes = Vec::new();
    let codes_offset = end - rest.len();
    let mut offset = codes_offset;
    for word in codes_text.split(|c: char| c == ',' || c.is_ascii_whitespace()) {
        let word_span = Span::new(file_id, offset, offset + word.len());
        offset += word.len() + 1;
        if word.is_empty() {
            continue;
        }
        let known = Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(word));
        match known {
            Some(c) if UNSUPPRESSIBLE.contains(&c) => {
                ok = false;
                problems.push(
                    Diagnostic::error(
                        Code::InvalidSuppression,
                        word_span,
                        format!("{} cannot be silenced", c.as_str()),
                    )
                    .label("not silenceable")
                    .help(if matches!(c, Code::Syntax | Code::InvalidEscape) {
                        "a file that does not parse has no meaning to check; fix the syntax"
                    } else {
                        "fix or remove the suppression comment it reports"
                    }),
                );
            }
            Some(c) => codes.push(c),
            None => {
                ok = false;
                let all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
                problems.push(
                    Diagnostic::error(
                        Code::InvalidSuppression,
                        word_span,
                        format!("`{word}` is not a diagnostic code"),
                    )
                    .label("unknown code")
                    .help_opt(suggest(word, all.iter().copied()).or_else(|| {
                        Some("codes look like `E090` or `W002`; `relc explain` lists them".into())
                    })),
                );
            }
        }
    }
    if codes.is_empty() && ok {
        problems.push(
            Diagnostic::error(
                Code::InvalidSuppression,
                span,
                "this suppression does not say which diagnostic it silences",
            )
            .label("no code")
            .help("name the code and say why: `// relc-allow E090: the public demo key`"),
        );
        return None;
    }
    if reason.is_none_or(str::is_empty) {
        let first = codes.first().map_or("E090", |c| c.as_str());
        problems.push(
            Diagnostic::error(
                Code::InvalidSuppression,
                span,
                "a suppression must say why the diagnostic does not apply",
            )
            .label("no reason given")
            .help(format!(
                "add the reason after a colon: `// {KEYWORD} {first}: <why this is fine>`"
            )),
        );
        return None;
    }
    if !ok {
        return None;
    }
    let line = file.line_index(start);
    let own_line = file.text[file.line_start(line)..start].trim().is_empty();
    Some(Allow {
        file: file_id,
        line,
        own_line,
        codes,
        span,
        used: false,
    })
}

/// For each 0-based line, the first line from it on that holds something
/// other than blanks and a line comment (one past the last line if none).
fn next_code_lines(file: &SourceFile) -> Vec<usize> {
    let count = file.line_index(file.text.len()) + 1;
    let mut next = vec![count; count + 1];
    for l in (0..count).rev() {
        let text = file.text[file.line_start(l)..file.line_start(l + 1)].trim();
        next[l] = if !text.is_empty() && !text.starts_with("//") {
            l
        } else {
            next[l + 1]
        };
    }
    next
}

/// Byte ranges of `//` comments (from `//` to the end of the line, newline
/// excluded), skipping strings (`"…"`, `'…'`, `"""…"""`) and `/* … */`.
fn line_comments(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let until = |from: usize, needle: &str| text[from..].find(needle).map_or(b.len(), |j| from + j);
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = until(i, "\n");
                out.push((i, end));
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => i = until(i + 2, "*/") + 2,
            b'"' if text[i..].starts_with("\"\"\"") => i = until(i + 3, "\"\"\"") + 3,
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            // `''` inside is an escaped quote: it closes and reopens, which scans the same.
            b'\'' => {
                i = text[i + 1..]
                    .find(['\'', '\n'])
                    .map_or(b.len(), |j| i + 1 + j)
                    + 1
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_inside_strings_and_block_comments_are_skipped() {
        let text = "script \"a // b\" // one\n'x // y' /* // z */ x // two\n\"\"\"\n// no\n\"\"\"";
        let found: Vec<&str> = line_comments(text)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect();
        assert_eq!(found, ["// one", "// two"]);
    }

    #[test]
    fn an_escaped_quote_does_not_end_a_string() {
        let text = r#"script "say \"// hi\"" // real"#;
        let found: Vec<&str> = line_comments(text)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect();
        assert_eq!(found, ["// real"]);
    }

    #[test]
    fn a_silenced_error_no_longer_stops_the_build() {
        let text = "// relc-allow E090: the public demo key\nvar demoToken = \"tok_8f7e6d5c4b3a\"\nstage A { job B { script \"x $(demoToken)\" } }\n";
        let c = crate::compile("t.release", text);
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        assert!(c.pipeline.is_some());
        let unsilenced = crate::compile("t.release", &text.replace("relc-allow", "note"));
        assert!(unsilenced.has_errors());
    }

    #[test]
    fn a_comment_alone_applies_to_the_next_line_of_code() {
        let text = "// relc-allow E090: demo\n\n// another comment\nvar demoToken = \"tok_8f7e6d5c4b3a\"\nstage A { job B { script \"x $(demoToken)\" } }\n";
        let c = crate::compile("t.release", text);
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    }

    #[test]
    fn unterminated_constructs_end_the_scan() {
        for text in ["\"abc", "'abc", "/* abc", "\"\"\" abc", "\"\\"] {
            assert!(line_comments(text).is_empty(), "{text}");
        }
    }
}

//! What a snippet shows of a source file: the lines around some spans, made
//! safe and small enough to print.
//!
//! - Characters that would act on a terminal or reorder text instead of being
//!   seen (C0 and C1 controls except tab, DEL, bidirectional overrides and
//!   isolates, zero-width marks) are shown as `\u{1b}`-style escapes.
//! - A line longer than [`LONG_LINE`] characters is shown as windows of
//!   [`WINDOW`] characters around each span end on it, the rest elided as `…`
//!   (miette cannot draw past column 65,535, and nobody can read it there).
//! - A byte order mark at the start of the file and the `\r` of a `\r\n` line
//!   end are not shown.
//!
//! The excerpt is a small text of its own; spans are mapped into it, and the
//! location in the header (`file:line:column`) is computed from the original
//! offsets, so it stays exact.

use crate::source::{SourceFile, Span};
use miette::{MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use std::borrow::Cow;
use std::fmt::Write as _;

/// Lines longer than this many characters are shown in windows.
pub(crate) const LONG_LINE: usize = 240;
/// Characters shown on each side of a span end in a long line.
pub(crate) const WINDOW: usize = 40;
/// Lines shown before and after the spans (miette shows one; one more for a span ending at a line end).
const CONTEXT_LINES: usize = 2;

/// Whether `c` is shown as an escape rather than printed.
fn hidden(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

fn push_visible(out: &mut String, c: char) {
    if hidden(c) {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    } else {
        out.push(c);
    }
}

/// `text` with every hidden character escaped (line breaks kept).
pub(crate) fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// The lines of one file around some spans, as displayed.
#[derive(Debug)]
pub(crate) struct Excerpt<'a> {
    file: &'a SourceFile,
    name: String,
    /// 0-based line of the file the excerpt's first line is.
    first_line: usize,
    text: String,
    /// (offset in the file, offset in `text`) of every span end, sorted.
    points: Vec<(usize, usize)>,
}

/// The offset `n` characters before `p`, not before `floor`.
fn back(text: &str, p: usize, n: usize, floor: usize) -> usize {
    text[floor..p]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(floor, |(i, _)| floor + i)
}

/// The offset `n` characters after `p`, not after `ceil`.
fn forward(text: &str, p: usize, n: usize, ceil: usize) -> usize {
    text[p..ceil]
        .char_indices()
        .nth(n)
        .map_or(ceil, |(i, _)| p + i)
}

impl<'a> Excerpt<'a> {
    /// The excerpt showing `spans` (all in `file`).
    pub(crate) fn new(file: &'a SourceFile, spans: &[Span]) -> Excerpt<'a> {
        let len = file.text.len();
        let mut wanted: Vec<usize> = spans
            .iter()
            .flat_map(|s| [s.start as usize, s.end as usize])
            .map(|p| p.min(len))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let lines = file.line_count();
        let first_line = wanted
            .first()
            .map_or(0, |&p| file.line_index(p))
            .saturating_sub(CONTEXT_LINES);
        let last_line = (wanted.last().map_or(0, |&p| file.line_index(p)) + CONTEXT_LINES)
            .min(lines.saturating_sub(1));
        let mut e = Excerpt {
            file,
            name: visible(&file.name).into_owned(),
            first_line,
            text: String::new(),
            points: Vec::with_capacity(wanted.len()),
        };
        let mut next = wanted.partition_point(|&p| p < file.line_start(first_line));
        for line in first_line..=last_line {
            let start = file.line_start(line);
            let end = file.line_start(line + 1);
            let has_newline = end > start && file.text.as_bytes()[end - 1] == b'\n';
            let line_end = end - usize::from(has_newline);
            let on_line = wanted[next..].partition_point(|&p| p <= line_end);
            e.push_line(start, line_end, line == 0, &wanted[next..next + on_line]);
            next += on_line;
            if has_newline {
                e.text.push('\n');
            }
        }
        e
    }

    /// Show the line `start..end` (without its `\n`); `points` are the span ends on it.
    fn push_line(&mut self, start: usize, end: usize, first: bool, points: &[usize]) {
        let text = self.file.text.as_str();
        let mut body_start = start;
        if first && text[start..end].starts_with('\u{FEFF}') {
            body_start += '\u{FEFF}'.len_utf8();
        }
        let mut body_end = end;
        if text[body_start..end].ends_with('\r') {
            body_end -= 1;
        }
        let body = &text[body_start..body_end];
        let long = body.len() > LONG_LINE && body.chars().take(LONG_LINE + 1).count() > LONG_LINE;
        let mut windows: Vec<(usize, usize)> = if !long {
            vec![(body_start, body_end)]
        } else {
            let inside: Vec<usize> = points
                .iter()
                .map(|&p| p.clamp(body_start, body_end))
                .collect();
            let centres = if inside.is_empty() {
                vec![body_start]
            } else {
                inside
            };
            centres
                .iter()
                .map(|&p| {
                    let mut p = p;
                    while !text.is_char_boundary(p) {
                        p -= 1;
                    }
                    (
                        back(text, p, WINDOW, body_start),
                        forward(text, p, WINDOW, body_end),
                    )
                })
                .collect()
        };
        windows.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(windows.len());
        for (a, b) in windows {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        let mut k = 0;
        let mut record = |upto: usize, at: usize, points_out: &mut Vec<(usize, usize)>| {
            while k < points.len() && points[k] <= upto {
                points_out.push((points[k], at));
                k += 1;
            }
        };
        let mut pos = body_start;
        for (a, b) in merged {
            if a > pos {
                record(a - 1, self.text.len(), &mut self.points);
                self.text.push('…');
            }
            for (i, c) in text[a..b].char_indices() {
                record(a + i, self.text.len(), &mut self.points);
                push_visible(&mut self.text, c);
            }
            pos = b;
        }
        record(body_end, self.text.len(), &mut self.points);
        if pos < body_end {
            self.text.push('…');
        }
        record(usize::MAX, self.text.len(), &mut self.points);
    }

    fn shown(&self, offset: u32) -> usize {
        let offset = (offset as usize).min(self.file.text.len());
        let i = self.points.partition_point(|&(o, _)| o < offset);
        self.points.get(i).map_or(self.text.len(), |&(_, d)| d)
    }

    /// A span of the file as a span of the excerpt (`s` must be one it was made for).
    pub(crate) fn span(&self, s: Span) -> SourceSpan {
        let start = self.shown(s.start);
        let end = self.shown(s.end).max(start);
        (start, end - start).into()
    }

    /// The file offset shown at `shown`, for the header's line and column.
    fn original(&self, shown: usize) -> Option<usize> {
        self.points
            .iter()
            .find(|&&(_, d)| d == shown)
            .map(|&(o, _)| o)
    }

    #[cfg(test)]
    fn text(&self) -> &str {
        &self.text
    }
}

impl SourceCode for Excerpt<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, miette::MietteError> {
        let c = self.text.read_span(span, before, after)?;
        // miette counts bytes of the excerpt; columns count characters of the file.
        let column = match self.original(span.offset()) {
            Some(o) if before == 0 => self.file.line_col(o as u32).1 - 1,
            _ => c.column(),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            *c.span(),
            c.line() + self.first_line,
            column,
            // As miette's own sources count it: lines from the start of the file.
            c.line_count() + self.first_line,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn excerpt_of(text: &str, spans: &[(usize, usize)]) -> (String, Vec<String>) {
        let f = SourceFile::new("t", text);
        let spans: Vec<Span> = spans
            .iter()
            .map(|&(a, b)| Span::new(FileId(0), a, b))
            .collect();
        let e = Excerpt::new(&f, &spans);
        let shown = spans
            .iter()
            .map(|&s| {
                let m = e.span(s);
                e.text()[m.offset()..m.offset() + m.len()].to_string()
            })
            .collect();
        (e.text().to_string(), shown)
    }

    #[test]
    fn control_characters_are_escaped_and_spans_follow() {
        let text = "a \u{1b}[2J \u{202e}x y\nnext\n";
        let y = text.find('y').unwrap();
        let (shown, spans) = excerpt_of(text, &[(y, y + 1), (2, 3)]);
        assert!(shown.starts_with("a \\u{1b}[2J \\u{202e}x y\n"), "{shown}");
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{202e}'));
        assert_eq!(spans, ["y", "\\u{1b}"]);
    }

    #[test]
    fn long_lines_show_windows_around_the_spans() {
        let text = format!("{}HERE{}\n", "a".repeat(70_000), "b".repeat(70_000));
        let (shown, spans) = excerpt_of(&text, &[(70_000, 70_004)]);
        assert_eq!(spans, ["HERE"]);
        assert!(shown.len() < 2 * WINDOW + 20, "{} bytes shown", shown.len());
        assert!(shown.starts_with('…') && shown.trim_end().ends_with('…'));
    }

    #[test]
    fn a_long_line_without_spans_shows_its_start() {
        let text = format!("x\n{}\ny\n", "c".repeat(1000));
        let (shown, spans) = excerpt_of(&text, &[(0, 1)]);
        assert_eq!(spans, ["x"]);
        assert_eq!(
            shown.lines().nth(1).unwrap(),
            format!("{}…", "c".repeat(WINDOW))
        );
    }

    #[test]
    fn short_lines_are_shown_unchanged() {
        let text = "stage A {\n  job B { script \"ç\" }\n}\n";
        let at = text.find("script").unwrap();
        let (shown, spans) = excerpt_of(text, &[(at, at + 6)]);
        assert_eq!(shown, text);
        assert_eq!(spans, ["script"]);
    }

    #[test]
    fn bom_and_carriage_returns_are_not_shown() {
        let text = "\u{FEFF}stage A {}\r\nnext\r\n";
        let (shown, spans) = excerpt_of(text, &[(3, 8)]);
        assert_eq!(shown, "stage A {}\nnext\n");
        assert_eq!(spans, ["stage"]);
    }
}

//! Showing diagnostics: miette's graphical report for people, JSON for tools.

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};
use serde_json::{Value, json};
use std::fmt;

/// Adapter giving miette what it needs from a [`Diagnostic`] and its file.
struct Report<'a> {
    d: &'a Diagnostic,
    source: Windowed<'a>,
    labels: Vec<LabeledSpan>,
    /// Related spans far from the primary one, shown as their own snippets.
    far: Vec<Far<'a>>,
}

/// A related location shown in its own snippet: "note: first declared here".
#[derive(Debug)]
struct Far<'a> {
    message: String,
    source: Windowed<'a>,
    label: LabeledSpan,
}

impl fmt::Display for Far<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Far<'_> {}

impl miette::Diagnostic for Far<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(self.label.clone())))
    }
}

/// A file as miette's `SourceCode`, reading only the lines around a span.
/// (miette's own implementation scans from the start of the file for every
/// label, which is quadratic when a large file has many diagnostics.)
#[derive(Debug)]
struct Windowed<'a> {
    file: &'a crate::source::SourceFile,
}

impl miette::SourceCode for Windowed<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'b> + 'b>, miette::MietteError> {
        let f = self.file;
        let end = span.offset() + span.len();
        if end > f.text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        let first = f.line_index(span.offset()).saturating_sub(before);
        let last = f.line_index(end) + after + 1;
        let (ws, we) = (f.line_start(first), f.line_start(last + 1));
        let local = SourceSpan::new((span.offset() - ws).into(), span.len());
        let c = f.text[ws..we].read_span(&local, before, after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            f.name.clone(),
            c.data(),
            SourceSpan::new((c.span().offset() + ws).into(), c.span().len()),
            c.line() + first,
            // miette counts bytes; columns count characters, as in the JSON output.
            if before == 0 {
                f.line_col(span.offset() as u32).1 - 1
            } else {
                c.column()
            },
            c.line_count() + first,
        )))
    }
}

/// Related spans more than this many lines from the primary one get their own snippet.
const NEAR_LINES: usize = 6;

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.d.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.d
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.far.is_empty() {
            return None;
        }
        Some(Box::new(
            self.far.iter().map(|f| f as &dyn miette::Diagnostic),
        ))
    }
}

fn span(s: crate::source::Span) -> SourceSpan {
    (s.start as usize, (s.end - s.start) as usize).into()
}

/// The graphical report of one diagnostic, without colours when `color` is false.
pub fn human(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let file = sources.get(d.span.file);
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        (!d.label.is_empty()).then(|| d.label.clone()),
        span(d.span),
    )];
    let mut far = Vec::new();
    let primary_line = file.line_col(d.span.start).0;
    for r in &d.related {
        let rf = sources.get(r.span.file);
        let line = rf.line_col(r.span.start).0;
        if r.span.file == d.span.file && line.abs_diff(primary_line) <= NEAR_LINES {
            labels.push(LabeledSpan::new_with_span(
                Some(r.message.clone()),
                span(r.span),
            ));
        } else {
            far.push(Far {
                message: r.message.clone(),
                source: Windowed { file: rf },
                label: LabeledSpan::new_primary_with_span(None, span(r.span)),
            });
        }
    }
    let report = Report {
        d,
        source: Windowed { file },
        labels,
        far,
    };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .with_show_related_as_nested(true);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}: {} [{}]\n", file.name, d.message, d.code.as_str());
    }
    out
}

fn location(sources: &SourceMap, s: crate::source::Span) -> Value {
    let f = sources.get(s.file);
    let (line, column) = f.line_col(s.start);
    let (end_line, end_column) = f.line_col(s.end);
    json!({
        "file": f.name,
        "start": { "line": line, "column": column, "offset": s.start },
        "end": { "line": end_line, "column": end_column, "offset": s.end },
    })
}

/// One diagnostic as JSON for editors and CI. Lines and columns are 1-based;
/// columns count characters; offsets are bytes, end exclusive.
pub fn json(d: &Diagnostic, sources: &SourceMap) -> Value {
    let loc = location(sources, d.span);
    json!({
        "file": loc["file"],
        "start": loc["start"],
        "end": loc["end"],
        "severity": d.severity,
        "code": d.code.as_str(),
        "message": d.message,
        "label": d.label,
        "help": d.help,
        "related": d.related.iter().map(|r| {
            let mut l = location(sources, r.span);
            l["message"] = json!(r.message);
            l
        }).collect::<Vec<_>>(),
        "fixes": d.fixes.iter().map(|f| json!({
            "message": f.message,
            "edits": f.edits.iter().map(|e| {
                let mut l = location(sources, e.span);
                l["replacement"] = json!(e.replacement);
                l
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

//! Showing diagnostics: miette's graphical report for people, JSON for tools.

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde_json::{Value, json};
use std::fmt;

/// Adapter giving miette what it needs from a [`Diagnostic`] and its file.
struct Report<'a> {
    d: &'a Diagnostic,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    notes: Option<String>,
}

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
        match (&self.d.help, &self.notes) {
            (None, None) => None,
            (Some(h), None) => Some(Box::new(h)),
            (None, Some(n)) => Some(Box::new(n)),
            (Some(h), Some(n)) => Some(Box::new(format!("{h}\n{n}"))),
        }
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
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
    let mut elsewhere = Vec::new();
    for r in &d.related {
        if r.span.file == d.span.file {
            labels.push(LabeledSpan::new_with_span(
                Some(r.message.clone()),
                span(r.span),
            ));
        } else {
            let f = sources.get(r.span.file);
            let (line, col) = f.line_col(r.span.start);
            elsewhere.push(format!("{}:{line}:{col}: {}", f.name, r.message));
        }
    }
    let report = Report {
        d,
        source: NamedSource::new(file.name.clone(), file.text.clone()),
        labels,
        notes: (!elsewhere.is_empty()).then(|| elsewhere.join("\n")),
    };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
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
    })
}

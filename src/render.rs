//! Showing diagnostics: miette's graphical report for people, JSON and
//! SARIF ([`sarif`]) for tools.

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use serde_json::{Value, json};
use snippet::{Excerpt, visible};
use std::fmt;

pub mod sarif;
mod snippet;

/// Adapter giving miette what it needs from a [`Diagnostic`] and its file.
struct Report<'a> {
    d: &'a Diagnostic,
    /// The message and help with hidden characters made visible.
    message: String,
    help: Option<String>,
    source: Excerpt<'a>,
    labels: Vec<LabeledSpan>,
    /// Related spans far from the primary one, shown as their own snippets.
    far: Vec<Far<'a>>,
}

/// A related location shown in its own snippet: "note: first declared here".
#[derive(Debug)]
struct Far<'a> {
    message: String,
    source: Excerpt<'a>,
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

/// Related spans more than this many lines from the primary one get their own snippet.
const NEAR_LINES: usize = 6;

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
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
        self.help
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

/// The graphical report of one diagnostic, without colours when `color` is false.
///
/// Snippets show hidden characters (terminal escapes, bidirectional
/// overrides) as escapes and long lines in windows around the spans; the
/// message, labels and help show hidden characters as escapes too.
pub fn human(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let file = sources.get(d.span.file);
    let primary_line = file.line_col(d.span.start).0;
    let (near, far_related): (Vec<_>, Vec<_>) = d.related.iter().partition(|r| {
        r.span.file == d.span.file
            && sources
                .get(r.span.file)
                .line_col(r.span.start)
                .0
                .abs_diff(primary_line)
                <= NEAR_LINES
    });
    let shown_spans: Vec<crate::source::Span> = std::iter::once(d.span)
        .chain(near.iter().map(|r| r.span))
        .collect();
    let source = Excerpt::new(file, &shown_spans);
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        (!d.label.is_empty()).then(|| visible(&d.label).into_owned()),
        source.span(d.span),
    )];
    for r in near {
        labels.push(LabeledSpan::new_with_span(
            Some(visible(&r.message).into_owned()),
            source.span(r.span),
        ));
    }
    let far = far_related
        .into_iter()
        .map(|r| {
            let source = Excerpt::new(sources.get(r.span.file), &[r.span]);
            let label = LabeledSpan::new_primary_with_span(None, source.span(r.span));
            Far {
                message: visible(&r.message).into_owned(),
                source,
                label,
            }
        })
        .collect();
    let report = Report {
        d,
        message: visible(&d.message).into_owned(),
        help: d.help.as_deref().map(|h| visible(h).into_owned()),
        source,
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
        out = format!(
            "{}: {} [{}]\n",
            visible(&file.name),
            visible(&d.message),
            d.code.as_str()
        );
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

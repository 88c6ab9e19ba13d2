//! SARIF 2.1.0 for code-scanning dashboards (`relc check --format sarif`).
//!
//! One log with one run. The rules are every [`Code`], in [`Code::ALL`]
//! order, so a result's `ruleIndex` is its code's index there. Regions are
//! 1-based and count UTF-16 code units (`columnKind: "utf16CodeUnits"`, the
//! SARIF default); an end column is that of the first character after the
//! span. Artifact URIs are relative to `%SRCROOT%`, the current directory,
//! when the file lies inside it.

use super::visible;
use crate::diagnostic::{Code, Diagnostic, REFERENCE, Severity};
use crate::source::{SourceMap, Span};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Where the project lives; rules link to its `docs/diagnostics.md`.
pub const PROJECT_URL: &str = "https://github.com/relc-lang/relc";
/// The schema a log names in `$schema`.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The base id of artifact URIs relative to the current directory.
const SRCROOT: &str = "%SRCROOT%";
/// The base id of standard-library modules, which live inside relc.
const STDLIB: &str = "RELC_STDLIB";

/// A log being filled, file by file.
pub struct Log {
    cwd: Option<PathBuf>,
    results: Vec<Value>,
    notifications: Vec<Value>,
}

impl Default for Log {
    fn default() -> Log {
        Log::new()
    }
}

impl Log {
    pub fn new() -> Log {
        Log {
            cwd: std::env::current_dir().ok(),
            results: Vec::new(),
            notifications: Vec::new(),
        }
    }

    /// Add one diagnostic as a result.
    pub fn add(&mut self, d: &Diagnostic, sources: &SourceMap) {
        let rule_index = Code::ALL
            .iter()
            .position(|&c| c == d.code)
            .expect("every code is in Code::ALL");
        let mut text = visible(&d.message).into_owned();
        if let Some(help) = &d.help {
            text.push_str("\nhelp: ");
            text.push_str(&visible(help));
        }
        let mut primary = self.location(sources, d.span);
        if !d.label.is_empty() {
            primary["message"] = json!({ "text": visible(&d.label) });
        }
        let mut result = json!({
            "ruleId": d.code.as_str(),
            "ruleIndex": rule_index,
            "level": level(d.severity),
            "message": { "text": text },
            "locations": [primary],
        });
        if !d.related.is_empty() {
            result["relatedLocations"] = d
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut l = self.location(sources, r.span);
                    l["id"] = json!(i);
                    l["message"] = json!({ "text": visible(&r.message) });
                    l
                })
                .collect();
        }
        if !d.fixes.is_empty() {
            result["fixes"] = d
                .fixes
                .iter()
                .map(|f| {
                    // One artifact change per file, in the order the edits first name it.
                    let mut changes: Vec<(Value, Vec<Value>)> = Vec::new();
                    for e in &f.edits {
                        let artifact = self.artifact(&sources.get(e.span.file).name);
                        let replacement = json!({
                            "deletedRegion": region(sources, e.span),
                            "insertedContent": { "text": e.replacement },
                        });
                        match changes.iter_mut().find(|(a, _)| *a == artifact) {
                            Some((_, rs)) => rs.push(replacement),
                            None => changes.push((artifact, vec![replacement])),
                        }
                    }
                    json!({
                        "description": { "text": visible(&f.message) },
                        "artifactChanges": changes
                            .into_iter()
                            .map(|(a, rs)| json!({ "artifactLocation": a, "replacements": rs }))
                            .collect::<Vec<_>>(),
                    })
                })
                .collect();
        }
        self.results.push(result);
    }

    /// Record a file that could not be compiled at all.
    pub fn unreadable(&mut self, file: &str, message: &str) {
        self.notifications.push(json!({
            "level": "error",
            "message": { "text": visible(message) },
            "locations": [{ "physicalLocation": { "artifactLocation": self.artifact(file) } }],
        }));
    }

    /// The finished log; `exit_code` is the one relc exits with.
    pub fn finish(self, exit_code: u8) -> Value {
        let mut run = json!({
            "tool": { "driver": driver() },
            "invocations": [{
                "executionSuccessful": self.notifications.is_empty(),
                "exitCode": exit_code,
                "toolExecutionNotifications": self.notifications,
            }],
            "columnKind": "utf16CodeUnits",
            "results": self.results,
        });
        if let Some(uri) = self.cwd.as_deref().and_then(directory_uri) {
            run["originalUriBaseIds"] = json!({ SRCROOT: { "uri": uri } });
        }
        json!({ "version": "2.1.0", "$schema": SCHEMA, "runs": [run] })
    }

    fn location(&self, sources: &SourceMap, span: Span) -> Value {
        json!({
            "physicalLocation": {
                "artifactLocation": self.artifact(&sources.get(span.file).name),
                "region": region(sources, span),
            }
        })
    }

    /// The artifact location of a file named as relc names it: a path as
    /// given or relative to the current directory, or `<std/…>`.
    fn artifact(&self, name: &str) -> Value {
        if let Some(module) = name.strip_prefix("<").and_then(|n| n.strip_suffix(">")) {
            return json!({ "uri": encode(&format!("{module}.release")), "uriBaseId": STDLIB });
        }
        let path = Path::new(name);
        let relative = if path.is_absolute() {
            self.cwd
                .as_deref()
                .and_then(|cwd| path.strip_prefix(cwd).ok())
        } else {
            Some(path)
        };
        match relative {
            Some(rel) => json!({ "uri": encode(&slashed(rel)), "uriBaseId": SRCROOT }),
            None => match file_uri(path) {
                Some(uri) => json!({ "uri": uri }),
                None => json!({ "uri": encode(&slashed(path)), "uriBaseId": SRCROOT }),
            },
        }
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn region(sources: &SourceMap, span: Span) -> Value {
    let f = sources.get(span.file);
    let (start_line, start_column) = f.line_col_utf16(span.start);
    let (end_line, end_column) = f.line_col_utf16(span.end);
    json!({
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
    })
}

/// The address of a code's section in docs/diagnostics.md.
pub fn help_uri(code: Code) -> String {
    let heading = format!("{} — {}", code.as_str(), code.title());
    let anchor = anchors(REFERENCE)
        .into_iter()
        .find(|(text, _)| *text == heading)
        .map_or_else(|| slug(&heading), |(_, a)| a);
    format!("{PROJECT_URL}/blob/main/docs/diagnostics.md#{anchor}")
}

/// `tool.driver`: relc and one rule per code.
fn driver() -> Value {
    let anchors = anchors(REFERENCE);
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|&c| {
            let heading = format!("{} — {}", c.as_str(), c.title());
            let anchor = anchors
                .iter()
                .find(|(text, _)| *text == heading)
                .map_or_else(|| slug(&heading), |(_, a)| a.clone());
            let default = if c.as_str().starts_with('W') {
                "warning"
            } else {
                "error"
            };
            json!({
                "id": c.as_str(),
                "name": format!("{c:?}"),
                "shortDescription": { "text": c.title() },
                "helpUri": format!("{PROJECT_URL}/blob/main/docs/diagnostics.md#{anchor}"),
                "defaultConfiguration": { "level": default },
            })
        })
        .collect();
    json!({
        "name": "relc",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "informationUri": PROJECT_URL,
        "rules": rules,
    })
}

/// Every ATX heading of a Markdown document outside fenced code, with the
/// anchor GitHub gives it: its slug, `-1`, `-2`… appended to repeats.
fn anchors(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut fence: Option<&str> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if let Some(f) = fence {
            if trimmed.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") {
            fence = Some("```");
            continue;
        }
        if trimmed.starts_with("~~~") {
            fence = Some("~~~");
            continue;
        }
        let hashes = trimmed.len() - trimmed.trim_start_matches('#').len();
        if !(1..=6).contains(&hashes) || !trimmed[hashes..].starts_with(' ') {
            continue;
        }
        let text = trimmed[hashes..]
            .trim()
            .trim_end_matches('#')
            .trim()
            .to_string();
        let base = slug(&text);
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let n = *n - 1;
        let anchor = if n == 0 { base } else { format!("{base}-{n}") };
        out.push((text, anchor));
    }
    out
}

/// GitHub's heading slug: lower case; letters, digits, `-` and `_` kept;
/// each space a `-`; everything else (punctuation, symbols, backticks) dropped.
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// A relative path with `/` between its parts and no leading `./`.
fn slashed(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// `file:///…` for an absolute path.
fn file_uri(path: &Path) -> Option<String> {
    if !path.is_absolute() {
        return None;
    }
    let text = path.to_string_lossy().replace('\\', "/");
    let text = if text.starts_with('/') {
        text
    } else {
        format!("/{text}") // C:/… on Windows
    };
    Some(format!("file://{}", encode(&text)))
}

/// The current directory as a `file:` URI ending in `/`, as SARIF requires of a base.
fn directory_uri(dir: &Path) -> Option<String> {
    let uri = file_uri(dir)?;
    Some(if uri.ends_with('/') { uri } else { uri + "/" })
}

/// Percent-encode what may not stand in a URI path (RFC 3986 `pchar` and `/`).
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_github_slugs() {
        assert_eq!(slug("E010 — unknown stage"), "e010--unknown-stage");
        assert_eq!(
            slug("E042 — value outside a known set (build reason, result)"),
            "e042--value-outside-a-known-set-build-reason-result"
        );
        assert_eq!(
            slug("E120 — pipeline that expands past relc's limits"),
            "e120--pipeline-that-expands-past-relcs-limits"
        );
        assert_eq!(
            slug("`relc check` output_formats"),
            "relc-check-output_formats"
        );
    }

    #[test]
    fn repeated_headings_are_numbered_and_code_is_skipped() {
        let doc = "# A\n```\n# B\n```\n## A\n### a ##\n~~~\n## C\n~~~\n";
        let got: Vec<String> = anchors(doc).into_iter().map(|(_, a)| a).collect();
        assert_eq!(got, ["a", "a-1", "a-2"]);
    }

    #[test]
    fn every_rule_links_to_its_heading() {
        let headings = anchors(REFERENCE);
        for &c in Code::ALL {
            let heading = format!("{} — {}", c.as_str(), c.title());
            assert!(
                headings.iter().any(|(h, _)| *h == heading),
                "docs/diagnostics.md has no heading `## {heading}`"
            );
        }
    }

    #[test]
    fn uris_are_encoded_paths() {
        assert_eq!(encode("a b/ç#1.release"), "a%20b/%C3%A7%231.release");
        assert_eq!(slashed(Path::new("./x/./y.release")), "x/y.release");
    }
}

//! Checking a file with declarations that did not parse.
//!
//! The checker sees only what parsed, so everything that names a broken
//! declaration would be "unknown", and everything used only from one would be
//! "unused". Those are consequences of the syntax error, not problems of their
//! own: they are left out until the declaration parses again.

use crate::ast::Broken;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::SourceMap;

/// The kinds of name each top-level keyword declares, as the diagnostics about
/// unknown names of that kind.
fn unknown_codes(keyword: &str) -> &'static [Code] {
    match keyword {
        "stage" => &[Code::UnknownStage],
        "template" => &[Code::UnknownTemplate],
        "environment" => &[Code::UnknownEnvironment],
        "gate" => &[Code::UnknownGate],
        "artifact" => &[Code::UnknownArtifact],
        "var" | "secret" => &[Code::UnknownVariable, Code::UndeclaredVariable],
        _ => &[],
    }
}

/// Codes whose subject may be anywhere inside a broken declaration of this kind, so
/// that no name tells whether it is a consequence: left out whenever one is broken.
fn codes_without_a_name(keyword: &str) -> &'static [Code] {
    match keyword {
        // Artifacts published inside. Jobs are named only by their siblings, so a
        // broken stage hides no job that another stage names; a template's jobs are
        // siblings of those of every stage that uses it.
        "stage" => &[Code::ArtifactOrder, Code::ArtifactNeverPublished],
        "template" => &[
            Code::UnknownJob,
            Code::ArtifactOrder,
            Code::ArtifactNeverPublished,
        ],
        // Variables of a group, or of the pipeline block, are not known by name.
        "group" | "pipeline" => &[Code::UnknownVariable, Code::UndeclaredVariable],
        // An import may declare anything a file can import.
        "import" => &[
            Code::UnknownEnvironment,
            Code::UnknownGate,
            Code::UnknownArtifact,
            Code::UnknownVariable,
            Code::UndeclaredVariable,
            Code::UnknownTemplate,
        ],
        _ => &[],
    }
}

/// `diagnostics` without those that follow from the `broken` declarations.
pub fn without_consequences(
    broken: &[Broken],
    sources: &SourceMap,
    diagnostics: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    if broken.is_empty() {
        return diagnostics;
    }
    let named = |d: &Diagnostic| {
        let text = sources.get(d.span.file).text.as_str();
        let at = text
            .get(d.span.start as usize..d.span.end as usize)
            .unwrap_or("");
        let at = at.trim_matches(['"', '\'']);
        let at = at
            .strip_prefix("$(")
            .and_then(|a| a.strip_suffix(')'))
            .unwrap_or(at);
        broken.iter().any(|b| {
            unknown_codes(b.keyword).contains(&d.code)
                && b.name
                    .as_ref()
                    .is_none_or(|n| n.text.eq_ignore_ascii_case(at))
        })
    };
    let unnamed = |d: &Diagnostic| {
        broken
            .iter()
            .any(|b| codes_without_a_name(b.keyword).contains(&d.code))
    };
    let broken_files: Vec<_> = broken.iter().map(|b| b.span.file).collect();
    diagnostics
        .into_iter()
        .filter(|d| {
            // What is used only from a broken declaration looks unused.
            let unused = d.code == Code::Unused && broken_files.contains(&d.span.file);
            !(unused || named(d) || unnamed(d))
        })
        .collect()
}

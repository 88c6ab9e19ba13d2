//! relc: the compiler of the `.release` language.
//!
//! The phases, each its own module:
//!
//! ```text
//! text ──syntax──▶ ast ──check──▶ ir ──backend::azure──▶ azure-pipelines.yml + checks manifest
//! ```
//!
//! Every phase reports problems into a [`diagnostic::Diagnostics`] sink and
//! keeps going, so one run shows every problem it can find. Spans travel from
//! the AST into the IR, so later phases can still point at source.

pub mod ast;
pub mod backend;
pub mod check;
pub mod cli;
pub mod diagnostic;
mod imports;
pub mod ir;
pub mod render;
pub mod source;
pub mod stdlib;
pub mod syntax;

use diagnostic::Diagnostic;
use source::{FileId, SourceMap};

/// The result of compiling one file: its sources, the checked pipeline (only
/// when there is no error), and every diagnostic, sorted by position.
pub struct Compilation {
    pub sources: SourceMap,
    pub file: FileId,
    pub pipeline: Option<ir::Pipeline>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == diagnostic::Severity::Error)
    }
}

/// Where imported files come from.
pub trait Resolver {
    /// The display name and text of `import` as written in the file named `from`.
    fn resolve(&self, import: &str, from: &str) -> Result<(String, String), ImportError>;
}

/// Why an import was not found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub reason: String,
    /// An import path that exists and is probably what was meant.
    pub suggestion: Option<String>,
}

impl ImportError {
    fn new(reason: impl Into<String>) -> ImportError {
        ImportError {
            reason: reason.into(),
            suggestion: None,
        }
    }
}

/// The standard library for `std/…`, and files relative to the importing file otherwise.
pub struct FileResolver;

impl Resolver for FileResolver {
    fn resolve(&self, import: &str, from: &str) -> Result<(String, String), ImportError> {
        if let Some((name, text)) = stdlib::module(import) {
            return Ok((format!("<{name}>"), text.to_string()));
        }
        if import.starts_with("std/") {
            let known: Vec<&str> = stdlib::names().collect();
            return Err(
                match diagnostic::did_you_mean(
                    import.trim_end_matches(".release"),
                    known.iter().copied(),
                ) {
                    Some(m) => ImportError {
                        reason: format!("did you mean `{m}`?"),
                        suggestion: Some(m.to_string()),
                    },
                    None => {
                        ImportError::new(format!("the standard library has {}", known.join(", ")))
                    }
                },
            );
        }
        let from = std::path::Path::new(from);
        let base = from.parent().unwrap_or(std::path::Path::new(""));
        let path = base.join(import);
        std::fs::read_to_string(&path)
            .map(|t| (path.display().to_string(), t))
            .map_err(|e| {
                if e.kind() != std::io::ErrorKind::NotFound {
                    return ImportError::new(format!(
                        "{} cannot be read ({})",
                        path.display(),
                        e.kind()
                    ));
                }
                let dir = path.parent().unwrap_or(base);
                // The importing file is never what it meant to import.
                let siblings: Vec<String> = std::fs::read_dir(dir)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| n.ends_with(".release") && dir.join(n) != from)
                    .collect();
                let file = path.file_name().and_then(|f| f.to_str()).unwrap_or(import);
                match diagnostic::did_you_mean(file, siblings.iter().map(String::as_str)) {
                    Some(m) => ImportError {
                        reason: format!("there is no file {}; did you mean `{m}`?", path.display()),
                        suggestion: Some(match import.rfind('/') {
                            Some(i) => format!("{}/{m}", &import[..i]),
                            None => m.to_string(),
                        }),
                    },
                    None => ImportError::new(format!(
                        "there is no file {}; imports are relative to the importing file",
                        path.display()
                    )),
                }
            })
    }
}

/// Parse and check one `.release` file, resolving imports with [`FileResolver`].
///
/// ```
/// let c = relc::compile("demo.release", r#"
///     stage Build { job Build { script "make" } }
/// "#);
/// assert!(!c.has_errors());
/// let yaml = relc::backend::azure::emit(c.pipeline.as_ref().unwrap(), "demo.release").unwrap();
/// assert!(yaml.contains("- script: make"));
/// ```
pub fn compile(name: &str, text: &str) -> Compilation {
    compile_with(name, text, &FileResolver)
}

/// [`compile`] with a chosen source of imported files.
pub fn compile_with(name: &str, text: &str, resolver: &dyn Resolver) -> Compilation {
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let (ast, mut diagnostics) = syntax::parse(file, sources.get(file));
    let mut pipeline = None;
    if let Some(mut ast) = ast {
        imports::load(&mut ast, &mut sources, &mut diagnostics, resolver);
        let (ir, check_diags) = check::check(&ast, &sources);
        diagnostics.extend(check_diags);
        pipeline = Some(ir);
    }
    let diagnostics = diagnostics.into_sorted();
    let has_errors = diagnostics
        .iter()
        .any(|d| d.severity == diagnostic::Severity::Error);
    Compilation {
        sources,
        file,
        pipeline: if has_errors { None } else { pipeline },
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory holding empty `.release` files with these names.
    fn dir_with(tag: &str, files: &[&str]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("relc-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for f in files {
            std::fs::write(dir.join(f), "").unwrap();
        }
        dir
    }

    #[test]
    fn a_missing_import_never_suggests_the_importing_file() {
        let dir = dir_with("self-import", &["pipeline.release"]);
        let from = dir.join("pipeline.release");
        let e = FileResolver
            .resolve("pipline.release", from.to_str().unwrap())
            .unwrap_err();
        assert_eq!(e.suggestion, None, "{}", e.reason);
        assert!(!e.reason.contains("did you mean"), "{}", e.reason);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_import_suggests_a_sibling_with_its_directory() {
        let dir = dir_with("sibling-import", &["pipeline.release"]);
        std::fs::create_dir_all(dir.join("lib")).unwrap();
        std::fs::write(dir.join("lib/shared.release"), "").unwrap();
        let from = dir.join("pipeline.release");
        let e = FileResolver
            .resolve("lib/shraed.release", from.to_str().unwrap())
            .unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("lib/shared.release"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

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
pub mod cron;
pub mod diagnostic;
pub mod format;
mod imports;
pub mod interp;
pub mod ir;
pub mod lsp;
pub mod predefined;
pub mod project;
pub mod render;
pub mod schema;
pub mod source;
pub mod stdlib;
pub mod suppress;
pub mod symbols;
pub mod syntax;
pub mod write;

use diagnostic::Diagnostic;
use source::{FileId, SourceMap};

/// The result of compiling one file: its sources, the checked pipeline (only
/// when there is no error), and every diagnostic, sorted by position.
pub struct Compilation {
    pub sources: SourceMap,
    pub file: FileId,
    pub pipeline: Option<ir::Pipeline>,
    pub diagnostics: Vec<Diagnostic>,
    /// The identity ([`project::identity`]) of every file read, the compiled file first.
    pub files: Vec<std::path::PathBuf>,
    /// Definitions and references, when asked for ([`analyze`]).
    pub symbols: Option<symbols::Symbols>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == diagnostic::Severity::Error)
    }
}

pub use project::{FileResolver, Found, Resolver, Unresolved};

/// Parse and check one `.release` file, resolving imports with the
/// [`FileResolver`] of the project `name` belongs to.
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
    compile_with(
        name,
        text,
        &FileResolver::for_file(std::path::Path::new(name)),
    )
}

/// [`compile`] with a chosen source of imported files.
pub fn compile_with(name: &str, text: &str, resolver: &dyn Resolver) -> Compilation {
    compile_inner(name, text, resolver, false)
}

/// [`compile_with`], and the symbol index an editor needs ([`Compilation::symbols`]).
pub fn analyze(name: &str, text: &str, resolver: &dyn Resolver) -> Compilation {
    compile_inner(name, text, resolver, true)
}

fn compile_inner(name: &str, text: &str, resolver: &dyn Resolver, index: bool) -> Compilation {
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let (ast, mut diagnostics) = syntax::parse(file, sources.get(file));
    let mut pipeline = None;
    let mut files = vec![resolver.main_key(name)];
    let mut broken = Vec::new();
    let mut symbols = None;
    let mut module = false;
    if let Some(mut ast) = ast {
        // A file with neither a pipeline block nor stages is a module: what it declares
        // is for the files that import it, so nothing in it is unused.
        module = ast.pipeline.is_none()
            && ast.stages.is_empty()
            && !ast
                .broken
                .iter()
                .any(|b| b.keyword == "stage" || b.keyword == "pipeline");
        imports::load(
            &mut ast,
            &mut sources,
            &mut files,
            &mut diagnostics,
            resolver,
        );
        let (ir, check_diags) = check::check(&ast, &sources);
        diagnostics.extend(check_diags);
        pipeline = Some(ir);
        if index {
            symbols = Some(symbols::index(&ast, &sources));
        }
        broken = ast.broken;
    }
    let diagnostics =
        check::recovered::without_consequences(&broken, &sources, diagnostics.into_sorted());
    let mut diagnostics = suppress::apply(&sources, diagnostics);
    if module {
        diagnostics.retain(|d| !(d.code == diagnostic::Code::Unused && d.span.file == file));
    }
    let has_errors = diagnostics
        .iter()
        .any(|d| d.severity == diagnostic::Severity::Error);
    Compilation {
        sources,
        file,
        pipeline: if has_errors { None } else { pipeline },
        diagnostics,
        files,
        symbols,
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
        let e = FileResolver::new(&dir)
            .resolve(
                "pipline.release",
                from.to_str().unwrap(),
                &project::identity(&from),
            )
            .expect_err("not found");
        assert!(!e.help.contains("did you mean"), "{}", e.help);
        std::fs::write(dir.join("pipelines.release"), "").unwrap();
        let e = FileResolver::new(&dir)
            .resolve(
                "pipline.release",
                from.to_str().unwrap(),
                &project::identity(&from),
            )
            .expect_err("not found");
        assert!(
            e.help.contains("did you mean `pipelines.release`"),
            "{}",
            e.help
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

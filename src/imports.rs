//! Imports: merging the declarations of imported files into the importing file.
//!
//! An imported file may declare templates, gates, environments, artifacts and
//! variables; a pipeline block or stages belong to the file being compiled.
//! Each file is loaded once, keyed by its identity (canonical path) rather
//! than the path as spelled, so diamond-shaped and circular imports are fine
//! and `x/../lib.release` is `lib.release`. Declarations keep the spans of
//! their own file; the file keeps the name it was first reached by.

use crate::Resolver;
use crate::ast;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::SourceMap;
use std::collections::HashSet;
use std::path::PathBuf;

pub(crate) fn load(
    main: &mut ast::File,
    sources: &mut SourceMap,
    files: &mut Vec<PathBuf>,
    diags: &mut Diagnostics,
    resolver: &dyn Resolver,
) {
    let main_name = sources.get(crate::source::FileId(0)).name.clone();
    let main_key = files[0].clone();
    let mut loaded: HashSet<PathBuf> = HashSet::from([main_key.clone()]);
    let mut queue: Vec<(ast::Import, String, PathBuf)> = main
        .imports
        .drain(..)
        .map(|i| (i, main_name.clone(), main_key.clone()))
        .collect();
    while let Some((import, from, from_key)) = queue.pop() {
        let found = match resolver.resolve(&import.path, &from, &from_key) {
            Ok(found) => found,
            Err(why) => {
                diags.push(
                    Diagnostic::error(
                        why.code,
                        import.span,
                        format!("cannot import `{}`", import.path),
                    )
                    .label(why.label)
                    .help(why.help),
                );
                continue;
            }
        };
        if !loaded.insert(found.key.clone()) {
            continue;
        }
        let (name, key) = (found.name, found.key);
        files.push(key.clone());
        let id = sources.add(name.clone(), found.text);
        let (ast, file_diags) = crate::syntax::parse(id, sources.get(id));
        diags.extend(file_diags);
        let Some(mut file) = ast else { continue };
        if let Some(p) = &file.pipeline {
            diags.push(contents_error(p.span, &import, "a pipeline block"));
        }
        for s in &file.stages {
            diags.push(contents_error(s.name.span, &import, "stages"));
        }
        queue.extend(
            file.imports
                .drain(..)
                .map(|i| (i, name.clone(), key.clone())),
        );
        main.variables.append(&mut file.variables);
        main.artifacts.append(&mut file.artifacts);
        main.resources.append(&mut file.resources);
        main.environments.append(&mut file.environments);
        main.gates.append(&mut file.gates);
        main.templates.append(&mut file.templates);
        main.broken.append(&mut file.broken);
    }
}

fn contents_error(span: crate::source::Span, import: &ast::Import, what: &str) -> Diagnostic {
    Diagnostic::error(Code::ImportContents, span, format!("an imported file cannot declare {what}"))
        .label("not allowed in an imported file")
        .related(import.span, "imported here")
        .help("imported files provide templates, gates, environments, artifacts and variables; the pipeline and its stages live in the file you build")
}

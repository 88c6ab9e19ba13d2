//! Imports: merging the declarations of imported files into the importing file.
//!
//! An imported file may declare templates, gates, environments, artifacts and
//! variables; a pipeline block or stages belong to the file being compiled.
//! Each file is loaded once, so diamond-shaped and circular imports are fine.
//! Declarations keep the spans of their own file.

use crate::Resolver;
use crate::ast;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::SourceMap;
use std::collections::HashSet;

pub(crate) fn load(
    main: &mut ast::File,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    resolver: &dyn Resolver,
) {
    let main_name = sources.get(crate::source::FileId(0)).name.clone();
    let mut loaded: HashSet<String> = HashSet::from([main_name.clone()]);
    let mut queue: Vec<(ast::Import, String)> = main
        .imports
        .drain(..)
        .map(|i| (i, main_name.clone()))
        .collect();
    while let Some((import, from)) = queue.pop() {
        let (name, text) = match resolver.resolve(&import.path, &from) {
            Ok(found) => found,
            Err(e) => {
                let mut d = Diagnostic::error(
                    Code::ImportNotFound,
                    import.span,
                    format!("cannot import `{}`", import.path),
                )
                .label("not found")
                .help(e.reason);
                if let Some(s) = e.suggestion {
                    let quoted = format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
                    d = d.suggestion(import.path_span, quoted, format!("import `{s}`"));
                }
                diags.push(d);
                continue;
            }
        };
        if !loaded.insert(name.clone()) {
            continue;
        }
        let id = sources.add(name.clone(), text);
        let (ast, file_diags) = crate::syntax::parse(id, sources.get(id));
        diags.extend(file_diags);
        let Some(mut file) = ast else { continue };
        if let Some(p) = &file.pipeline {
            diags.push(contents_error(p.span, &import, "a pipeline block"));
        }
        for s in &file.stages {
            diags.push(contents_error(s.name.span, &import, "stages"));
        }
        queue.extend(file.imports.drain(..).map(|i| (i, name.clone())));
        main.variables.append(&mut file.variables);
        main.artifacts.append(&mut file.artifacts);
        main.environments.append(&mut file.environments);
        main.gates.append(&mut file.gates);
        main.templates.append(&mut file.templates);
    }
}

fn contents_error(span: crate::source::Span, import: &ast::Import, what: &str) -> Diagnostic {
    Diagnostic::error(Code::ImportContents, span, format!("an imported file cannot declare {what}"))
        .label("not allowed in an imported file")
        .related(import.span, "imported here")
        .help("imported files provide templates, gates, environments, artifacts and variables; the pipeline and its stages live in the file you build")
}

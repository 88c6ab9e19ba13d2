//! `relc lsp`: the language server, over stdio.
//!
//! The server keeps the text of every open document. Each change re-checks the
//! open documents with their unsaved text, imports included (an imported file
//! that is open is read from its buffer, not from disk), and publishes each
//! document's diagnostics with their codes, related locations and a link to the
//! code's documentation. Positions are UTF-16 code units, as LSP requires.

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::{FileResolver, Found, Resolver, Unresolved};
use crate::source::{SourceMap, Span};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types as lsp;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

/// Run the server on stdin and stdout until the client asks it to exit.
pub fn serve() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the language server: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        let (service, socket) = LspService::new(|client| Backend {
            client,
            documents: Mutex::new(HashMap::new()),
        });
        Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
            .serve(service)
            .await;
    });
    std::process::ExitCode::SUCCESS
}

struct Document {
    text: String,
    version: i32,
    path: Option<PathBuf>,
}

struct Backend {
    client: Client,
    documents: Mutex<HashMap<lsp::Uri, Document>>,
}

impl LanguageServer for Backend {
    async fn initialize(&self, _: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
        Ok(lsp::InitializeResult {
            capabilities: lsp::ServerCapabilities {
                position_encoding: Some(lsp::PositionEncodingKind::UTF16),
                text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
                    lsp::TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(lsp::TextDocumentSyncKind::FULL),
                        save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                        ..Default::default()
                    },
                )),
                ..Default::default()
            },
            server_info: Some(lsp::ServerInfo {
                name: "relc".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            ..Default::default()
        })
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let path = doc.uri.to_file_path().map(|p| p.into_owned());
        self.documents_lock().insert(
            doc.uri,
            Document {
                text: doc.text,
                version: doc.version,
                path,
            },
        );
        self.publish_all().await;
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        // Full synchronisation: the last change holds the whole text.
        let Some(change) = params.content_changes.into_iter().last() else {
            return;
        };
        if let Some(doc) = self.documents_lock().get_mut(&params.text_document.uri) {
            doc.text = change.text;
            doc.version = params.text_document.version;
        }
        self.publish_all().await;
    }

    async fn did_save(&self, _: lsp::DidSaveTextDocumentParams) {
        self.publish_all().await;
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        self.documents_lock().remove(&params.text_document.uri);
        self.client
            .publish_diagnostics(params.text_document.uri, Vec::new(), None)
            .await;
        self.publish_all().await;
    }
}

impl Backend {
    fn documents_lock(&self) -> std::sync::MutexGuard<'_, HashMap<lsp::Uri, Document>> {
        // A panic while holding the lock leaves the map usable: it holds only text.
        self.documents.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Check every open document (another one may import the one that changed) and
    /// publish each one's diagnostics.
    async fn publish_all(&self) {
        let reports: Vec<(lsp::Uri, Vec<lsp::Diagnostic>, i32)> = {
            let docs = self.documents_lock();
            let open: HashMap<PathBuf, String> = docs
                .values()
                .filter_map(|d| Some((canonical(d.path.as_deref()?), d.text.clone())))
                .collect();
            docs.iter()
                .map(|(uri, d)| (uri.clone(), diagnostics(uri, d, &open), d.version))
                .collect()
        };
        for (uri, diagnostics, version) in reports {
            self.client
                .publish_diagnostics(uri, diagnostics, Some(version))
                .await;
        }
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// The diagnostics of one open document, checked with the unsaved text of `open` ones.
fn diagnostics(
    uri: &lsp::Uri,
    doc: &Document,
    open: &HashMap<PathBuf, String>,
) -> Vec<lsp::Diagnostic> {
    let name = doc
        .path
        .as_deref()
        .map_or_else(|| uri.as_str().to_string(), |p| p.display().to_string());
    let files = match &doc.path {
        Some(p) => FileResolver::for_file(p),
        None => FileResolver::new(&std::env::current_dir().unwrap_or_default()),
    };
    let resolver = Unsaved { files, open };
    let c = crate::compile_with(&name, &doc.text, &resolver);
    c.diagnostics
        .iter()
        .filter(|d| d.span.file == c.file)
        .map(|d| to_lsp(d, uri, &c.sources))
        .collect()
}

/// Imports read from the editor's buffers when they are open, from disk otherwise.
struct Unsaved<'a> {
    files: FileResolver,
    open: &'a HashMap<PathBuf, String>,
}

impl Resolver for Unsaved<'_> {
    fn main_key(&self, name: &str) -> PathBuf {
        self.files.main_key(name)
    }

    fn resolve(
        &self,
        import: &str,
        from: &str,
        from_key: &Path,
    ) -> std::result::Result<Found, Unresolved> {
        let mut found = self.files.resolve(import, from, from_key)?;
        if let Some(text) = self.open.get(&found.key) {
            found.text = text.clone();
        }
        Ok(found)
    }
}

/// A span as an LSP range: zero-based lines, UTF-16 columns.
pub fn range(sources: &SourceMap, span: Span) -> lsp::Range {
    let f = sources.get(span.file);
    let at = |offset: u32| {
        let (line, col) = f.line_col_utf16(offset);
        lsp::Position::new((line - 1) as u32, (col - 1) as u32)
    };
    lsp::Range::new(at(span.start), at(span.end))
}

fn to_lsp(d: &Diagnostic, uri: &lsp::Uri, sources: &SourceMap) -> lsp::Diagnostic {
    let location_of = |span: Span| -> Option<lsp::Location> {
        let target = if span.file == d.span.file {
            uri.clone()
        } else {
            lsp::Uri::from_file_path(canonical(Path::new(&sources.get(span.file).name)))?
        };
        Some(lsp::Location::new(target, range(sources, span)))
    };
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            Some(lsp::DiagnosticRelatedInformation {
                location: location_of(r.span)?,
                message: r.message.clone(),
            })
        })
        .collect();
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    lsp::Diagnostic {
        range: range(sources, d.span),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.as_str().to_string())),
        code_description: crate::render::sarif::help_uri(d.code)
            .parse()
            .ok()
            .map(|href| lsp::CodeDescription { href }),
        source: Some("relc".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

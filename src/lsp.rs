//! `relc lsp`: the language server, over stdio.
//!
//! The server keeps the text of every open document. Each change re-checks the
//! open documents with their unsaved text, imports included (an imported file
//! that is open is read from its buffer, not from disk), and publishes each
//! document's diagnostics with their codes, related locations and a link to the
//! code's documentation. Positions are UTF-16 code units, as LSP requires.
//!
//! Each check also keeps the document's symbol index ([`crate::symbols`]), which
//! answers go to definition, find references, rename, the outline and hover, across
//! the files the document imports. Completion also reads the buffer as typed, to
//! find the block the cursor is in and offer that block's settings ([`complete`]).

mod complete;
mod tasks;

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::{FileResolver, Found, Resolver, Unresolved};
use crate::source::{SourceMap, Span};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
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
            analyses: Mutex::new(HashMap::new()),
            snippets: AtomicBool::new(false),
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
    /// The last check of each open document, with its symbol index.
    analyses: Mutex<HashMap<lsp::Uri, crate::Compilation>>,
    /// Whether the client takes snippets as completion insert texts.
    snippets: AtomicBool,
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
        let snippets = params
            .capabilities
            .text_document
            .and_then(|t| t.completion)
            .and_then(|c| c.completion_item)
            .and_then(|i| i.snippet_support)
            .unwrap_or(false);
        self.snippets.store(snippets, Ordering::Relaxed);
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
                definition_provider: Some(lsp::OneOf::Left(true)),
                references_provider: Some(lsp::OneOf::Left(true)),
                rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: Default::default(),
                })),
                document_symbol_provider: Some(lsp::OneOf::Left(true)),
                hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
                code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
                    lsp::CodeActionOptions {
                        code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                        ..Default::default()
                    },
                )),
                document_formatting_provider: Some(lsp::OneOf::Left(true)),
                semantic_tokens_provider: Some(
                    lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(
                        lsp::SemanticTokensOptions {
                            legend: lsp::SemanticTokensLegend {
                                token_types: TOKEN_TYPES.to_vec(),
                                token_modifiers: vec![lsp::SemanticTokenModifier::DECLARATION],
                            },
                            full: Some(lsp::SemanticTokensFullOptions::Bool(true)),
                            ..Default::default()
                        },
                    ),
                ),
                signature_help_provider: Some(lsp::SignatureHelpOptions {
                    trigger_characters: Some(vec!["(".to_string(), ",".to_string()]),
                    ..Default::default()
                }),
                completion_provider: Some(lsp::CompletionOptions {
                    trigger_characters: Some(vec!["(".to_string(), " ".to_string()]),
                    ..Default::default()
                }),
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

    async fn goto_definition(
        &self,
        params: lsp::GotoDefinitionParams,
    ) -> Result<Option<lsp::GotoDefinitionResponse>> {
        let at = params.text_document_position_params;
        Ok(self.with_symbol(&at, |c, s, d| {
            let def = &s.definitions[d];
            location(c, def.span).map(lsp::GotoDefinitionResponse::Scalar)
        }))
    }

    async fn references(&self, params: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>> {
        let declaration = params.context.include_declaration;
        Ok(self.with_symbol(&params.text_document_position, |c, s, d| {
            let spans = s.occurrences(d);
            let skip = usize::from(!declaration);
            Some(
                spans
                    .into_iter()
                    .skip(skip)
                    .filter_map(|sp| location(c, sp))
                    .collect(),
            )
        }))
    }

    async fn prepare_rename(
        &self,
        params: lsp::TextDocumentPositionParams,
    ) -> Result<Option<lsp::PrepareRenameResponse>> {
        Ok(self.with_symbol(&params, |c, s, d| {
            let at = offset(c, params.position);
            let span = s
                .occurrences(d)
                .into_iter()
                .find(|sp| sp.file == c.file && sp.start <= at && at <= sp.end)?;
            Some(lsp::PrepareRenameResponse::RangeWithPlaceholder {
                range: range(&c.sources, span),
                placeholder: s.definitions[d].name.clone(),
            })
        }))
    }

    async fn rename(&self, params: lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>> {
        let new_name = params.new_name;
        let valid = !new_name.is_empty()
            && new_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
        if !valid {
            return Err(tower_lsp_server::jsonrpc::Error::invalid_params(format!(
                "`{new_name}` is not a name: use letters, digits, `_` and `-`"
            )));
        }
        Ok(self.with_symbol(&params.text_document_position, |c, s, d| {
            let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
            for span in s.occurrences(d) {
                let loc = location(c, span)?;
                changes
                    .entry(loc.uri)
                    .or_default()
                    .push(lsp::TextEdit::new(loc.range, new_name.clone()));
            }
            Some(lsp::WorkspaceEdit::new(changes))
        }))
    }

    async fn document_symbol(
        &self,
        params: lsp::DocumentSymbolParams,
    ) -> Result<Option<lsp::DocumentSymbolResponse>> {
        let analyses = self.analyses_lock();
        let Some(c) = analyses.get(&params.text_document.uri) else {
            return Ok(None);
        };
        let Some(s) = &c.symbols else { return Ok(None) };
        Ok(Some(lsp::DocumentSymbolResponse::Nested(outline(c, s))))
    }

    async fn hover(&self, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
        let at = params.text_document_position_params;
        if let Some(h) = self.predefined_hover(&at) {
            return Ok(Some(h));
        }
        if let Some(h) = self.task_hover(&at) {
            return Ok(Some(h));
        }
        Ok(self.with_symbol(&at, |c, s, d| {
            let def = &s.definitions[d];
            let uses = s.occurrences(d).len() - 1;
            let mut value = format!("```release\n{}\n", def.detail);
            for note in &def.notes {
                value.push_str("  ");
                value.push_str(note);
                value.push('\n');
            }
            value.push_str(&format!(
                "```\n{} · {} use{}",
                def.kind.word(),
                uses,
                if uses == 1 { "" } else { "s" }
            ));
            let _ = c;
            Some(lsp::Hover {
                contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                    kind: lsp::MarkupKind::Markdown,
                    value,
                }),
                range: None,
            })
        }))
    }

    /// The structured fixes of the diagnostics in the range, as quick fixes.
    async fn code_action(
        &self,
        params: lsp::CodeActionParams,
    ) -> Result<Option<lsp::CodeActionResponse>> {
        let analyses = self.analyses_lock();
        let Some(c) = analyses.get(&params.text_document.uri) else {
            return Ok(None);
        };
        let wanted = params.range;
        let overlaps = |r: &lsp::Range| !(r.end < wanted.start || wanted.end < r.start);
        let mut actions = Vec::new();
        for d in c.diagnostics.iter().filter(|d| d.span.file == c.file) {
            let diagnostic = to_lsp(d, &params.text_document.uri, &c.sources);
            if !overlaps(&diagnostic.range) {
                continue;
            }
            for fix in &d.fixes {
                let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
                for e in &fix.edits {
                    let Some(loc) = location(c, e.span) else {
                        continue;
                    };
                    changes
                        .entry(loc.uri)
                        .or_default()
                        .push(lsp::TextEdit::new(loc.range, e.replacement.clone()));
                }
                actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: fix.message.clone(),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(lsp::WorkspaceEdit::new(changes)),
                    is_preferred: Some(d.fixes.len() == 1),
                    ..Default::default()
                }));
            }
        }
        Ok(Some(actions))
    }

    /// Every name the symbol index knows, by what it names (a stage, a job, an
    /// environment, …); declarations marked. Keywords, strings and comments are the
    /// TextMate grammar's.
    async fn semantic_tokens_full(
        &self,
        params: lsp::SemanticTokensParams,
    ) -> Result<Option<lsp::SemanticTokensResult>> {
        let analyses = self.analyses_lock();
        let Some(c) = analyses.get(&params.text_document.uri) else {
            return Ok(None);
        };
        let Some(s) = &c.symbols else { return Ok(None) };
        let mut spans: Vec<(Span, crate::symbols::Kind, bool)> = s
            .definitions
            .iter()
            .map(|d| (d.span, d.kind, true))
            .chain(
                s.references
                    .iter()
                    .map(|r| (r.span, s.definitions[r.definition].kind, false)),
            )
            .filter(|(sp, _, _)| sp.file == c.file && sp.end > sp.start)
            .collect();
        spans.sort_by_key(|(sp, _, _)| (sp.start, sp.end));
        spans.dedup_by_key(|(sp, _, _)| sp.start);
        let mut data = Vec::with_capacity(spans.len());
        let (mut line, mut col) = (0u32, 0u32);
        for (span, kind, declaration) in spans {
            let r = range(&c.sources, span);
            if r.start.line != r.end.line {
                continue; // a token is one line
            }
            let delta_line = r.start.line - line;
            let delta_start = if delta_line == 0 {
                r.start.character - col
            } else {
                r.start.character
            };
            data.push(lsp::SemanticToken {
                delta_line,
                delta_start,
                length: r.end.character - r.start.character,
                token_type: token_type(kind),
                token_modifiers_bitset: u32::from(declaration),
            });
            (line, col) = (r.start.line, r.start.character);
        }
        Ok(Some(lsp::SemanticTokensResult::Tokens(
            lsp::SemanticTokens {
                result_id: None,
                data,
            },
        )))
    }

    /// `relc fmt` on the buffer: one edit replacing the whole text, or none when the
    /// buffer has a syntax error, is already formatted, or would change meaning.
    async fn formatting(
        &self,
        params: lsp::DocumentFormattingParams,
    ) -> Result<Option<Vec<lsp::TextEdit>>> {
        let analyses = self.analyses_lock();
        let Some(c) = analyses.get(&params.text_document.uri) else {
            return Ok(None);
        };
        if crate::format::has_syntax_error(c) {
            return Ok(None);
        }
        let source = c.sources.get(c.file);
        let Ok(formatted) = crate::format::format(&source.text) else {
            return Ok(None);
        };
        if formatted == source.text {
            return Ok(Some(Vec::new()));
        }
        let name = source.name.clone();
        let again = crate::compile(&name, &formatted);
        if crate::format::meaning(&again, &name) != crate::format::meaning(c, &name) {
            return Ok(None);
        }
        let end = range(
            &c.sources,
            Span::new(c.file, source.text.len(), source.text.len()),
        )
        .end;
        let whole = lsp::Range::new(lsp::Position::new(0, 0), end);
        Ok(Some(vec![lsp::TextEdit::new(whole, formatted)]))
    }

    /// Inside `use name(…)`: the template's parameters, the one being written marked.
    async fn signature_help(
        &self,
        params: lsp::SignatureHelpParams,
    ) -> Result<Option<lsp::SignatureHelp>> {
        use crate::symbols::Kind;
        let analyses = self.analyses_lock();
        let at = params.text_document_position_params;
        let Some(c) = analyses.get(&at.text_document.uri) else {
            return Ok(None);
        };
        let Some(s) = &c.symbols else { return Ok(None) };
        let text = &c.sources.get(c.file).text;
        let offset = offset(c, at.position) as usize;
        let Some((name, argument)) = open_use(&text[..offset]) else {
            return Ok(None);
        };
        let Some(t) = s
            .definitions
            .iter()
            .position(|d| d.kind == Kind::Template && d.name.eq_ignore_ascii_case(name))
        else {
            return Ok(None);
        };
        let parameters: Vec<lsp::ParameterInformation> = s
            .definitions
            .iter()
            .filter(|d| d.kind == Kind::Parameter && d.parent == Some(t))
            .map(|d| lsp::ParameterInformation {
                label: lsp::ParameterLabel::Simple(
                    d.detail
                        .strip_prefix("parameter ")
                        .and_then(|x| x.split(" of template").next())
                        .unwrap_or(&d.name)
                        .to_string(),
                ),
                documentation: None,
            })
            .collect();
        Ok(Some(lsp::SignatureHelp {
            signatures: vec![lsp::SignatureInformation {
                label: s.definitions[t].detail.clone(),
                documentation: None,
                active_parameter: Some(argument as u32),
                parameters: Some(parameters),
            }],
            active_signature: Some(0),
            active_parameter: Some(argument as u32),
        }))
    }

    /// Keywords and settings by the block the cursor is in, the values of a setting
    /// or comparison being written, and the names declared in the pipeline and the
    /// files it imports.
    async fn completion(
        &self,
        params: lsp::CompletionParams,
    ) -> Result<Option<lsp::CompletionResponse>> {
        use crate::symbols::Kind;
        let analyses = self.analyses_lock();
        let Some(c) = analyses.get(&params.text_document_position.text_document.uri) else {
            return Ok(None);
        };
        let text = &c.sources.get(c.file).text;
        let pos = params.text_document_position.position;
        let offset = offset(c, pos) as usize;
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let before = text[line_start..offset]
            .trim_end_matches(|ch: char| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
        let last_word = before.split_whitespace().last().unwrap_or("");
        // After `reason ==` or `….result !=`: the values it can have.
        if let Some(values) = enum_values(&text[line_start..offset]) {
            let items = values
                .iter()
                .map(|v| lsp::CompletionItem {
                    label: v.to_string(),
                    kind: Some(lsp::CompletionItemKind::ENUM_MEMBER),
                    ..Default::default()
                })
                .collect();
            return Ok(Some(lsp::CompletionResponse::Array(items)));
        }
        // A term of a gate: after `gate`, or after `=` or `+` on a line that starts with it.
        let gate_term = last_word == "gate"
            || (matches!(last_word, "=" | "+") && before.trim_start().starts_with("gate "));
        // What the word before the cursor expects.
        let wanted: &[Kind] = match last_word {
            "after" | "succeeded(" | "failed(" => &[Kind::Stage, Kind::Job],
            "to" => &[Kind::Environment],
            "use" => &[Kind::Template],
            "download" | "publish" => &[Kind::Artifact],
            _ if gate_term => &[Kind::Gate],
            _ => &[],
        };
        // Settings, keywords and values by the block the cursor is in.
        let mut keywords_fit = wanted.is_empty();
        if wanted.is_empty() {
            match complete::in_block(text, offset, self.snippets.load(Ordering::Relaxed)) {
                complete::Answer::Items(items) => {
                    return Ok(Some(lsp::CompletionResponse::Array(items)));
                }
                complete::Answer::Names => keywords_fit = false,
                complete::Answer::Unknown => {}
            }
        }
        let mut items: Vec<lsp::CompletionItem> = Vec::new();
        if gate_term {
            items.extend(
                crate::schema::GATE_KINDS
                    .iter()
                    .map(|k| lsp::CompletionItem {
                        label: k.to_string(),
                        kind: Some(lsp::CompletionItemKind::KEYWORD),
                        detail: Some(format!("gate kind: {k} {{ … }}")),
                        ..Default::default()
                    }),
            );
        }
        if let Some(s) = &c.symbols {
            let mut seen = std::collections::HashSet::new();
            for d in &s.definitions {
                let fits = if wanted.is_empty() {
                    matches!(d.kind, Kind::Variable | Kind::Parameter)
                } else {
                    wanted.contains(&d.kind)
                };
                if fits && seen.insert((d.kind, d.name.clone())) {
                    items.push(lsp::CompletionItem {
                        label: d.name.clone(),
                        kind: Some(match d.kind {
                            Kind::Variable | Kind::Parameter => lsp::CompletionItemKind::VARIABLE,
                            Kind::Template => lsp::CompletionItemKind::FUNCTION,
                            Kind::Environment => lsp::CompletionItemKind::MODULE,
                            _ => lsp::CompletionItemKind::REFERENCE,
                        }),
                        detail: Some(d.detail.clone()),
                        ..Default::default()
                    });
                }
            }
        }
        if keywords_fit {
            let keywords: &[&str] = if crate::syntax::nesting_at(text, offset) == 0 {
                crate::syntax::DECLARATION_KEYWORDS
            } else {
                &[
                    "job",
                    "deployment",
                    "when",
                    "use",
                    "gate",
                    "var",
                    "secret",
                    "group",
                    "script",
                    "bash",
                    "pwsh",
                    "powershell",
                    "task",
                    "publish",
                    "download",
                    "checkout",
                    "display",
                    "pool",
                    "timeout",
                ]
            };
            items.extend(keywords.iter().map(|k| lsp::CompletionItem {
                label: k.to_string(),
                kind: Some(lsp::CompletionItemKind::KEYWORD),
                ..Default::default()
            }));
        }
        Ok(Some(lsp::CompletionResponse::Array(items)))
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        self.documents_lock().remove(&params.text_document.uri);
        self.analyses_lock().remove(&params.text_document.uri);
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

    fn analyses_lock(&self) -> std::sync::MutexGuard<'_, HashMap<lsp::Uri, crate::Compilation>> {
        self.analyses.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What a predefined variable at a position means.
    fn predefined_hover(&self, at: &lsp::TextDocumentPositionParams) -> Option<lsp::Hover> {
        let analyses = self.analyses_lock();
        let c = analyses.get(&at.text_document.uri)?;
        let s = c.symbols.as_ref()?;
        let offset = offset(c, at.position);
        let (span, name) = s.predefined_at(c.file, offset)?;
        let value = match crate::predefined::meaning(name) {
            Some((canonical, meaning)) => {
                format!("`{canonical}`: predefined by Azure Pipelines\n\n{meaning}")
            }
            None => format!("`{name}`: predefined by Azure Pipelines"),
        };
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value,
            }),
            range: Some(range(&c.sources, *span)),
        })
    }

    /// A task's friendly name, description and inputs, on its `Name@N`.
    fn task_hover(&self, at: &lsp::TextDocumentPositionParams) -> Option<lsp::Hover> {
        let analyses = self.analyses_lock();
        let c = analyses.get(&at.text_document.uri)?;
        let text = &c.sources.get(c.file).text;
        let (start, end, reference) = tasks::reference_at(text, offset(c, at.position) as usize)?;
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: tasks::hover(reference),
            }),
            range: Some(range(&c.sources, Span::new(c.file, start, end))),
        })
    }

    /// `f` of the definition named at a position (by its declaration or a reference).
    fn with_symbol<T>(
        &self,
        at: &lsp::TextDocumentPositionParams,
        f: impl FnOnce(&crate::Compilation, &crate::symbols::Symbols, usize) -> Option<T>,
    ) -> Option<T> {
        let analyses = self.analyses_lock();
        let c = analyses.get(&at.text_document.uri)?;
        let s = c.symbols.as_ref()?;
        let offset = offset(c, at.position);
        let d = s.at(c.file, offset)?;
        f(c, s, d)
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
            let mut analyses = self.analyses_lock();
            docs.iter()
                .map(|(uri, d)| {
                    let c = analyze(uri, d, &open);
                    let diagnostics = c
                        .diagnostics
                        .iter()
                        .filter(|x| x.span.file == c.file)
                        .map(|x| to_lsp(x, uri, &c.sources))
                        .collect();
                    analyses.insert(uri.clone(), c);
                    (uri.clone(), diagnostics, d.version)
                })
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

/// One open document checked with the unsaved text of the `open` ones, and indexed.
fn analyze(uri: &lsp::Uri, doc: &Document, open: &HashMap<PathBuf, String>) -> crate::Compilation {
    let name = doc
        .path
        .as_deref()
        .map_or_else(|| uri.as_str().to_string(), |p| p.display().to_string());
    let files = match &doc.path {
        Some(p) => FileResolver::for_file(p),
        None => FileResolver::new(&std::env::current_dir().unwrap_or_default()),
    };
    let resolver = Unsaved { files, open };
    crate::analyze(&name, &doc.text, &resolver)
}

/// The semantic token types relc reports, in the order of [`token_type`].
const TOKEN_TYPES: [lsp::SemanticTokenType; 8] = [
    lsp::SemanticTokenType::NAMESPACE,   // stage
    lsp::SemanticTokenType::FUNCTION,    // job
    lsp::SemanticTokenType::CLASS,       // environment
    lsp::SemanticTokenType::INTERFACE,   // gate
    lsp::SemanticTokenType::ENUM_MEMBER, // artifact
    lsp::SemanticTokenType::VARIABLE,    // variable
    lsp::SemanticTokenType::MACRO,       // template
    lsp::SemanticTokenType::PARAMETER,   // template parameter
];

fn token_type(kind: crate::symbols::Kind) -> u32 {
    use crate::symbols::Kind;
    match kind {
        Kind::Stage => 0,
        Kind::Job => 1,
        Kind::Environment => 2,
        Kind::Gate => 3,
        Kind::Artifact => 4,
        Kind::Variable => 5,
        Kind::Template => 6,
        Kind::Parameter => 7,
    }
}

/// The values a comparison being written at the end of `line` can take: build reasons
/// after `reason ==` (or `Build.Reason`), results after `….result ==`.
fn enum_values(line: &str) -> Option<&'static [&'static str]> {
    let rest = line.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '"' || c == '\'');
    let rest = rest.trim_end();
    let rest = rest
        .strip_suffix("==")
        .or_else(|| rest.strip_suffix("!="))?
        .trim_end();
    let subject = rest
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .next()?;
    let lower = subject.to_ascii_lowercase();
    if lower == "reason" || lower == "build.reason" {
        Some(crate::check::functions::REASONS)
    } else if lower.ends_with(".result") || lower == "agent.jobstatus" {
        Some(crate::check::functions::RESULTS)
    } else {
        None
    }
}

/// The template of the `use name(` still open at the end of `before`, and which
/// argument (from 0) the end is in: commas outside nested brackets and strings.
fn open_use(before: &str) -> Option<(&str, usize)> {
    let start = before.rfind("use ")?;
    let rest = &before[start + 4..];
    let paren = rest.find('(')?;
    let name = rest[..paren].trim();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let (mut depth, mut argument, mut quote) = (0usize, 0usize, None);
    for ch in rest[paren + 1..].chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(ch),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') if depth == 0 => return None,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => argument += 1,
            _ => {}
        }
    }
    Some((name, argument))
}

/// Where `span` is, as an editor's location: the compiled document or a file it imports.
fn location(c: &crate::Compilation, span: Span) -> Option<lsp::Location> {
    let uri = file_uri(&c.sources.get(span.file).name)?;
    Some(lsp::Location::new(uri, range(&c.sources, span)))
}

/// The URI of a source file by its name: a path, or the URI of a buffer never saved.
fn file_uri(name: &str) -> Option<lsp::Uri> {
    if name.starts_with("file:") {
        name.parse().ok()
    } else {
        lsp::Uri::from_file_path(canonical(Path::new(name)))
    }
}

/// The outline of the compiled document: its definitions, each under its parent.
fn outline(c: &crate::Compilation, s: &crate::symbols::Symbols) -> Vec<lsp::DocumentSymbol> {
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); s.definitions.len()];
    let mut roots = Vec::new();
    for (i, d) in s.definitions.iter().enumerate() {
        if d.span.file != c.file {
            continue;
        }
        match d.parent {
            Some(p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    roots
        .iter()
        .map(|&i| outline_node(c, s, &children, i))
        .collect()
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be given.
fn outline_node(
    c: &crate::Compilation,
    s: &crate::symbols::Symbols,
    children: &[Vec<usize>],
    i: usize,
) -> lsp::DocumentSymbol {
    use crate::symbols::Kind;
    let d = &s.definitions[i];
    let kids: Vec<lsp::DocumentSymbol> = children[i]
        .iter()
        .map(|&k| outline_node(c, s, children, k))
        .collect();
    lsp::DocumentSymbol {
        name: d.name.clone(),
        detail: Some(d.detail.clone()),
        kind: match d.kind {
            Kind::Stage => lsp::SymbolKind::MODULE,
            Kind::Job => lsp::SymbolKind::FUNCTION,
            Kind::Environment => lsp::SymbolKind::NAMESPACE,
            Kind::Gate => lsp::SymbolKind::INTERFACE,
            Kind::Artifact => lsp::SymbolKind::FILE,
            Kind::Variable => lsp::SymbolKind::VARIABLE,
            Kind::Template => lsp::SymbolKind::CLASS,
            Kind::Parameter => lsp::SymbolKind::TYPE_PARAMETER,
        },
        tags: None,
        deprecated: None,
        range: range(&c.sources, d.extent),
        selection_range: range(&c.sources, d.span),
        children: (!kids.is_empty()).then_some(kids),
    }
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

/// The byte offset of an editor's position in the compiled document.
fn offset(c: &crate::Compilation, at: lsp::Position) -> u32 {
    c.sources
        .get(c.file)
        .offset_utf16(at.line as usize, at.character as usize)
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
            file_uri(&sources.get(span.file).name)?
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

"""What an editor sees from `relc lsp`: diagnostics as the text changes,
navigation across an imported file, rename, the outline, hover, UTF-16,
quick fixes, completion (by context: a block's settings, a setting's values),
signature help, formatting and semantic tokens."""

import pathlib

from lsprotocol import types
from pytest_lsp import LanguageClient


def write(project: pathlib.Path, name: str, text: str) -> str:
    path = project / name
    path.write_text(text, encoding="utf-8")
    return path.resolve().as_uri()


async def published(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """The next diagnostics published for `uri` (other files' are skipped).

    Call it right after the notification that makes the server publish: a
    publish that arrives before the wait starts is not seen. Each test keeps one
    document open, so one change triggers one publish."""
    while True:
        params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == uri:
            return list(params.diagnostics)


def open_doc(client: LanguageClient, uri: str, text: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="release", version=1, text=text)
        )
    )


def change_doc(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


BROKEN = """\
stage Build {
  job Compile { script = "make" }
}

stage Test after Biuld {
  job Unit { script "test" }
}

stage Deploy after Test {
  job Ship { script "ship" ]
}
"""


async def test_syntax_errors_and_a_semantic_error_arrive_in_one_publish(client, project):
    uri = write(project, "p.release", BROKEN)
    open_doc(client, uri, BROKEN)
    diagnostics = await published(client, uri)
    assert [(d.code, d.range.start.line, d.range.start.character) for d in diagnostics] == [
        ("E001", 1, 23),
        ("E010", 4, 17),
        ("E001", 9, 27),
    ]
    assert all(d.source == "relc" for d in diagnostics)
    assert all(d.severity == types.DiagnosticSeverity.Error for d in diagnostics)
    assert diagnostics[1].range.end == pos(4, 22)  # exactly `Biuld`
    assert diagnostics[1].code_description.href.endswith("#e010--unknown-stage")
    # `Build` has a syntax error, so it is not offered as a spelling.
    assert diagnostics[1].message == "stage `Test` depends on unknown stage `Biuld`"


async def test_a_change_that_fixes_one_error_removes_exactly_its_diagnostic(client, project):
    uri = write(project, "p.release", BROKEN)
    open_doc(client, uri, BROKEN)
    before = await published(client, uri)
    fixed = BROKEN.replace('"ship" ]', '"ship" }')
    change_doc(client, uri, 2, fixed)
    assert await published(client, uri) == before[:2]
    # With `Build` parsed again, the unknown stage's message offers it.
    fixed = fixed.replace('script = "make"', 'script "make"')
    change_doc(client, uri, 3, fixed)
    (unknown,) = await published(client, uri)
    assert (unknown.code, unknown.range) == (before[1].code, before[1].range)
    assert unknown.message.endswith("\nhelp: did you mean `Build`?")
    # Fix the rest: an empty publish clears the editor's list.
    change_doc(client, uri, 4, fixed.replace("Biuld", "Build"))
    assert await published(client, uri) == []


LIB = """\
environment dev { app = "web" }
template deploy(env: environment) {
  deployment Web to env { script "deploy" }
}
"""

MAIN = """\
import "lib.release"
stage Build { job B { script "b" } }
stage Dev after Build { use deploy(dev) }
stage Dev2 after Build { use deploy(dev) }
"""


async def navigation(client, project):
    lib = write(project, "lib.release", LIB)
    main = write(project, "main.release", MAIN)
    open_doc(client, main, MAIN)
    assert await published(client, main) == []
    return lib, main


async def test_definition_of_a_template_goes_to_the_imported_file(client, project):
    lib, main = await navigation(client, project)
    column = MAIN.splitlines()[2].index("deploy") + 2
    result = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(main), position=pos(2, column))
    )
    locations = result if isinstance(result, list) else [result]
    assert len(locations) == 1
    assert locations[0].uri == lib
    assert locations[0].range.start == pos(1, 9)
    assert locations[0].range.end == pos(1, 15)


async def test_references_to_an_environment_span_both_files(client, project):
    lib, main = await navigation(client, project)
    column = MAIN.splitlines()[2].index("(dev)") + 1
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(main),
            position=pos(2, column),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    got = sorted((r.uri, r.range.start.line, r.range.start.character) for r in refs)
    dev2 = MAIN.splitlines()[3].index("(dev)") + 1
    assert got == sorted([(lib, 0, 12), (main, 2, column), (main, 3, dev2)])
    without = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(main),
            position=pos(2, column),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    assert sorted((r.uri, r.range.start.line) for r in without) == [(main, 2), (main, 3)]


async def test_rename_of_a_stage_edits_its_declaration_and_every_use(client, project):
    _, main = await navigation(client, project)
    column = MAIN.splitlines()[3].index("Build")
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=doc(main), position=pos(3, column + 2))
    )
    prepared_range = getattr(prepared, "range", prepared)
    assert prepared_range == types.Range(start=pos(3, column), end=pos(3, column + 5))
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc(main), position=pos(3, column), new_name="Compile")
    )
    edits = edit.changes[main]
    assert sorted((e.range.start.line, e.range.start.character) for e in edits) == [
        (1, 6),
        (2, MAIN.splitlines()[2].index("Build")),
        (3, column),
    ]
    assert all(e.new_text == "Compile" for e in edits)


async def test_rename_of_an_imported_environment_edits_both_files_in_a_folder_uris_escape(
    client, project
):
    folder = project / "my pipelines é#1"
    folder.mkdir()
    lib = write(folder, "lib.release", LIB)
    main = write(folder, "main.release", MAIN)
    assert "%20" in main and "%23" in main
    open_doc(client, main, MAIN)
    assert await published(client, main) == []
    column = MAIN.splitlines()[2].index("(dev)") + 1
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc(main), position=pos(2, column), new_name="qa")
    )
    # The URIs are the ones the client used, so an editor applies the edits to its buffers.
    assert sorted(edit.changes) == sorted([lib, main])
    assert [(e.range.start, e.range.end, e.new_text) for e in edit.changes[lib]] == [
        (pos(0, 12), pos(0, 15), "qa")
    ]
    assert sorted(e.range.start.line for e in edit.changes[main]) == [2, 3]


async def test_the_outline_nests_jobs_in_their_stage(client, project):
    text = (
        'var config = "Release"\n'
        "stage Build {\n"
        '  job Compile { script "make $(config)" }\n'
        '  job Test after Compile { script "test" }\n'
        "}\n"
    )
    uri = write(project, "p.release", text)
    open_doc(client, uri, text)
    assert await published(client, uri) == []
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(uri))
    )
    assert all(isinstance(s, types.DocumentSymbol) for s in symbols)
    by_name = {s.name: s for s in symbols}
    assert sorted(by_name) == ["Build", "config"]
    build = by_name["Build"]
    assert [c.name for c in build.children] == ["Compile", "Test"]
    assert build.range.start == pos(1, 0) and build.range.end.line == 4
    assert build.selection_range == types.Range(start=pos(1, 6), end=pos(1, 11))
    for job in build.children:
        assert build.range.start.line <= job.range.start.line <= build.range.end.line

    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=pos(2, text.splitlines()[2].index("config") + 1))
    )
    assert hover is not None
    contents = hover.contents
    value = contents.value if hasattr(contents, "value") else str(contents)
    assert "var config" in value and "1 use" in value


async def test_positions_are_utf16_code_units_after_emoji(client, project):
    text = (
        'stage A "🚀 é" { job J { script "x" } }\n'
        'stage B "🚀🚀" after Nope { job J { script "x" } }\n'
    )
    uri = write(project, "p.release", text)
    open_doc(client, uri, text)
    diagnostics = await published(client, uri)
    prefix = 'stage B "🚀🚀" after '
    column = len(prefix.encode("utf-16-le")) // 2
    assert column == len(prefix) + 2  # each 🚀 is two UTF-16 units
    assert [d.code for d in diagnostics] == ["E010"]
    assert diagnostics[0].range == types.Range(start=pos(1, column), end=pos(1, column + 4))

    # Fix it by renaming the stage `A` from its use, after the emoji.
    fixed = text.replace("Nope", "A")
    change_doc(client, uri, 2, fixed)
    assert await published(client, uri) == []
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(uri),
            position=pos(1, column),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert sorted((r.range.start.line, r.range.start.character, r.range.end.character) for r in refs) == [
        (0, 6, 7),
        (1, column, column + 1),
    ]


QUICK = """\
template smoke(url: string) { job S { script "curl " + url } }
stage Build { job B { script "b" } }
stage Test after Biuld { use smoke("x") }
"""


async def test_a_quick_fix_replaces_the_misspelt_name(client, project):
    uri = write(project, "quick.release", QUICK)
    open_doc(client, uri, QUICK)
    diagnostics = await published(client, uri)
    assert [d.code for d in diagnostics] == ["E010"]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc(uri),
            range=diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )
    assert len(actions) == 1 and actions[0].kind == types.CodeActionKind.QuickFix
    (edit,) = actions[0].edit.changes[uri]
    assert edit.new_text == "Build" and edit.range == diagnostics[0].range


async def test_completion_signature_help_and_formatting(client, project):
    uri = write(project, "more.release", QUICK.replace("Biuld", "Build"))
    open_doc(client, uri, QUICK.replace("Biuld", "Build"))
    assert await published(client, uri) == []
    items = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=pos(2, len("stage Test after Build { use ")))
    )
    labels = [i.label for i in (items.items if hasattr(items, "items") else items)]
    assert labels == ["smoke"]
    help = await client.text_document_signature_help_async(
        types.SignatureHelpParams(text_document=doc(uri), position=pos(2, len('stage Test after Build { use smoke("')))
    )
    assert help.signatures[0].label == "template smoke(url: string)"
    assert help.active_parameter == 0
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=doc(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True)
        )
    )
    assert not edits  # already in the canonical layout
    tokens = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=doc(uri))
    )
    # Five numbers a token; the first names the template `smoke`, a declaration.
    data = list(tokens.data)
    assert len(data) % 5 == 0 and data[0:3] == [0, 9, 5] and data[4] == 1


def labels(items) -> list[str]:
    return [i.label for i in (items.items if hasattr(items, "items") else items)]


async def complete(client: LanguageClient, uri: str, line: int, character: int):
    items = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=pos(line, character))
    )
    return list(items.items if hasattr(items, "items") else items)


SETTINGS = """\
environment prod {
  gate approval {
    min 1

  }
}
stage Deploy {
  gate manual_validation {
    notify ["qa@example.com"]
    on_timeout
  }
  deployment Web to prod {
    timeout 10m

    script "deploy"
  }
}
""".replace("on_timeout\n", "on_timeout \n")  # the cursor goes after the space


async def test_completion_offers_the_settings_of_the_block_less_those_written(client, project):
    uri = write(project, "settings.release", SETTINGS)
    open_doc(client, uri, SETTINGS)
    await published(client, uri)
    # In the approval gate: its settings in order, `min` left out, each documented.
    items = await complete(client, uri, 3, 4)
    assert labels(items) == [
        "approvers",
        "instructions",
        "timeout",
        "requester_can_approve",
        "in_sequence",
        "yaml",
    ]
    approvers = items[0]
    assert approvers.kind == types.CompletionItemKind.Property
    assert "approve" in str(approvers.documentation)
    # Both clients take snippets: a list's brackets are inserted.
    assert approvers.insert_text_format == types.InsertTextFormat.Snippet
    assert approvers.insert_text == "approvers [$1]"
    # In the deployment job: the job's settings less `timeout`, and its keywords.
    job = await complete(client, uri, 13, 4)
    names = labels(job)
    assert {"display", "pool", "cancel_timeout", "continue_on_error", "script"} <= set(names)
    assert "timeout" not in names and "approvers" not in names
    # The value of `on_timeout`: one of two words.
    values = await complete(client, uri, 9, len("    on_timeout "))
    assert labels(values) == ["reject", "resume"]
    assert values[0].kind == types.CompletionItemKind.EnumMember


async def test_completion_in_a_half_typed_job_after_non_ascii_text(client, project):
    start = 'stage Build { job B { script "b" } }\n'
    uri = write(project, "typing.release", start)
    open_doc(client, uri, start)
    assert await published(client, uri) == []
    typed = start + 'stage Ship after Build {\n  job Go {\n    pool { name "Agents 🚀 é" } \n    cont\n'
    change_doc(client, uri, 2, typed)
    assert await published(client, uri) != []  # no closing braces yet
    names = labels(await complete(client, uri, 4, len("    cont")))
    assert "continue_on_error" in names and "timeout" in names
    assert "pool" not in names  # written above
    # After the pool's `}`: 🚀 is two UTF-16 units, é one.
    line = '    pool { name "Agents 🚀 é" } '
    column = len(line.encode("utf-16-le")) // 2
    assert column == len(line) + 1
    names = labels(await complete(client, uri, 3, column))
    assert "cancel_timeout" in names and "pool" not in names

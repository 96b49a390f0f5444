"""`memlint server`: a scripted LSP session over stdio with pygls' own client."""
import asyncio
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

# The emoji is one code point but two UTF-16 units: columns after it shift.
SOURCE = "import gc\nif '\U0001F600':  [print(i) for i in list(range(n))]\nfor i in (1, 2):\n    gc.collect()\n"
TIMEOUT = 120  # seconds for one answer on a loaded machine; a hang fails instead of blocking the suite


class Session:
    """A running server and the diagnostics it published, in order."""

    def __init__(self, client):
        self.client = client
        self.published = asyncio.Queue()

    async def open(self, uri, text, version):
        """Open a document; the diagnostics published for it."""
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))
        return await self.diagnostics()

    async def diagnostics(self):
        params = await asyncio.wait_for(self.published.get(), TIMEOUT)
        return params.uri, [(d.code, _span(d.range), d.source, d.severity) for d in params.diagnostics]

    async def actions(self, uri, line, only=None):
        request = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)),
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
        return await asyncio.wait_for(self.client.text_document_code_action_async(request), TIMEOUT)


def _span(r):
    return (r.start.line, r.start.character, r.end.line, r.end.character)


def run_session(root, script):
    async def main():
        client = LanguageClient("memlint-test", "1")
        session = Session(client)

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params):
            session.published.put_nowait(params)

        await client.start_io(sys.executable, "-m", "memlint", "server", cwd=str(root))
        try:
            await asyncio.wait_for(client.initialize_async(types.InitializeParams(
                capabilities=types.ClientCapabilities(), root_uri=root.as_uri(),
            )), TIMEOUT)
            client.initialized(types.InitializedParams())
            await script(client, session)
            await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
            client.exit(None)
        finally:
            await asyncio.wait_for(client.stop(), TIMEOUT)

    asyncio.run(main())


def test_diagnostics_on_open_and_save_fixes_as_code_actions(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.memlint]\nselect = ['MEM202', 'MEM6']\n")  # MEM202 may be a preview rule
    uri = (tmp_path / "a.py").as_uri()  # the file need not exist: the buffer is linted
    seen = {}

    async def script(client, session):
        seen["open"] = await session.open(uri, SOURCE, version=1)
        seen["actions"] = await session.actions(uri, 1)
        seen["none here"] = await session.actions(uri, 3)
        seen["only rewrites"] = await session.actions(uri, 1, only=[types.CodeActionKind.RefactorRewrite])
        fixed = SOURCE.replace("list(range(n))", "range(n)")
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)]))
        client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        seen["save"] = await session.diagnostics()
        client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        seen["close"] = await session.diagnostics()

    run_session(tmp_path, script)
    warning, source = types.DiagnosticSeverity.Warning, "memlint"
    # `list(range(n))` starts at code point 28 of line 2, UTF-16 unit 29 (the emoji is two).
    assert seen["open"] == (uri, [("MEM202", (1, 29, 1, 43), source, warning), ("MEM602", (3, 4, 3, 16), source, warning)])
    [action] = seen["actions"]
    assert (action.title, action.kind, action.is_preferred) == (
        "memlint: fix MEM202 (list-of-range-iterated)", types.CodeActionKind.QuickFix, True)
    [change] = action.edit.document_changes
    assert (change.text_document.uri, change.text_document.version) == (uri, 1)
    assert [(_span(e.range), e.new_text) for e in change.edits] == [((1, 29, 1, 43), "range(n)")]
    assert [d.code for d in action.diagnostics] == ["MEM202"]
    assert action.diagnostics[0].code_description.href == "https://memlint.invalid/docs/rules/MEM202"
    assert (list(seen["none here"]), list(seen["only rewrites"])) == ([], [])
    assert seen["save"] == (uri, [("MEM602", (3, 4, 3, 16), source, warning)])
    assert seen["close"] == (uri, [])


def test_unsafe_fixes_are_rewrites_not_quick_fixes(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.memlint]\nselect = ['MEM201']\n")  # a preview rule: by its code
    uri = (tmp_path / "b.py").as_uri()
    text = "total = sum([x * 2 for x in range(nn)])\n"  # MEM201's fix is unsafe (a generator is lazier)
    seen = {}

    async def script(client, session):
        seen["open"] = await session.open(uri, text, version=7)
        seen["actions"] = await session.actions(uri, 0)

    run_session(tmp_path, script)
    assert [code for code, *_ in seen["open"][1]] == ["MEM201"]
    [action] = seen["actions"]
    assert (action.title, action.kind, action.is_preferred) == (
        "memlint: fix MEM201 (list-in-reduction), unsafe", types.CodeActionKind.RefactorRewrite, False)
    [change] = action.edit.document_changes
    assert change.text_document.version == 7
    assert [(_span(e.range), e.new_text) for e in change.edits] == [((0, 8, 0, 39), "sum(x * 2 for x in range(nn))")]


def test_without_pygls_the_server_says_how_to_install_it(tmp_path):
    import subprocess

    blocker = tmp_path / "sitecustomize.py"  # makes `import pygls` fail in the child
    blocker.write_text("import sys\nsys.modules['pygls'] = None\n")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "memlint", "server"], capture_output=True, text=True, env=env,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 2
    assert result.stderr.startswith("memlint: error: memlint server needs pygls: pip install 'pymemlint[lsp]' (")

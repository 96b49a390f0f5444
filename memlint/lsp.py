"""``memlint server``: a language server (LSP over stdin/stdout, on pygls).

Install with ``pip install 'pymemlint[lsp]'``. The editor's text of a Python
document is linted when it is opened and when it is saved (the buffer, not
the file on disk), with the configuration that applies to its path; closing
it clears its findings. Each fix is a code action, offered anywhere on the
lines of its finding (where an editor shows its light bulb): safe fixes
are quick fixes (the preferred one), unsafe fixes are rewrites whose title
says "unsafe"; display-only fixes are not offered (memlint never applies
them). Edits name the document version they were computed for, so an
editor does not apply them to changed text.

Positions: memlint counts columns in code points; the client is answered in
the position encoding it negotiated (UTF-16 unless it asks otherwise).
"""
from __future__ import annotations

import os
import tokenize
from io import BytesIO
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from memlint import __version__
from memlint.errors import UsageError

if TYPE_CHECKING:
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer
    from pygls.workspace import TextDocument

    from memlint.config import ConfigResolver
    from memlint.diagnostics import Diagnostic, TextEdit

INSTALL_HINT = "memlint server needs pygls: pip install 'pymemlint[lsp]'"
SOURCE = "memlint"
# The applicability of a fix -> the code action kind that offers it (display-only: none).
ACTION_KINDS = {"safe": "quickfix", "unsafe": "refactor.rewrite"}


def serve() -> int:
    """Serve one client over stdin/stdout until it exits."""
    try:
        server = build_server()
    except ImportError as error:
        raise UsageError(f"{INSTALL_HINT} ({error})") from None
    server.start_io()
    return 0


class Linter:
    """Lints editor buffers and keeps each document's latest findings."""

    __slots__ = ("_resolver", "findings")

    def __init__(self) -> None:
        self._resolver: Optional[ConfigResolver] = None
        self.findings: Dict[str, Tuple[Optional[int], List[Diagnostic]]] = {}  # uri -> (version, findings)

    def lint(self, document: TextDocument) -> List[Diagnostic]:
        from memlint.runner import Mode, process_source

        path = os.path.abspath(document.path)
        settings = self._config().for_path(path)
        if settings.is_excluded(path):
            found: List[Diagnostic] = []
        else:
            found = list(process_source(_encoded(document.source), path, settings, Mode()).diagnostics)
        self.findings[document.uri] = (document.version, found)  # one entry per open document
        return found

    def current(self, document: TextDocument) -> List[Diagnostic]:
        """The document's findings for its current text (linted again if it changed)."""
        version, found = self.findings.get(document.uri, (None, []))
        if document.uri not in self.findings or version != document.version:
            found = self.lint(document)
        return found

    def forget(self, uri: str) -> None:
        self.findings.pop(uri, None)

    def _config(self) -> ConfigResolver:
        if self._resolver is None:
            from memlint.config import ConfigResolver
            from memlint.registry import get_registry

            self._resolver = ConfigResolver(get_registry())
        return self._resolver


def _encoded(text: str) -> bytes:
    """The buffer's text as the bytes of its file: in the encoding its coding
    cookie declares (UTF-8 without one, or when the text does not fit)."""
    data = text.encode("utf-8", "surrogateescape")
    try:
        encoding, _ = tokenize.detect_encoding(BytesIO(data).readline)
        return text.encode(encoding) if encoding not in ("utf-8", "utf-8-sig") else data
    except (SyntaxError, LookupError, UnicodeError):
        return data  # memlint reports the undecodable file itself (MEM002)


def build_server() -> LanguageServer:
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer

    server = LanguageServer(SOURCE, __version__)
    linter = Linter()

    def publish(ls: LanguageServer, uri: str) -> None:
        document = ls.workspace.get_text_document(uri)
        found = linter.lint(document)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version, diagnostics=[lsp_diagnostic(d, document.lines, ls) for d in found],
        ))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        linter.forget(params.text_document.uri)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite]),
    )
    def code_action(ls: LanguageServer, params: types.CodeActionParams) -> List[types.CodeAction]:
        document = ls.workspace.get_text_document(params.text_document.uri)
        wanted = [_kind(kind) for kind in params.context.only or ()]
        actions = []
        for finding in linter.current(document):
            action = fix_action(finding, document, ls)
            on_lines = finding.line - 1 <= params.range.end.line and params.range.start.line <= finding.end_line - 1
            if action is not None and on_lines and (
                not wanted or any(_kind(action.kind).startswith(kind) for kind in wanted)
            ):
                actions.append(action)
        return actions

    return server


def lsp_range(line: int, column: int, end_line: int, end_column: int, lines: Sequence[str], ls: Any) -> types.Range:
    """memlint's 1-based code-point positions as an LSP range in the client's units."""
    from lsprotocol import types

    codec = ls.workspace.position_codec
    return types.Range(
        start=codec.position_to_client_units(lines, types.Position(line=line - 1, character=column - 1)),
        end=codec.position_to_client_units(lines, types.Position(line=end_line - 1, character=end_column - 1)),
    )


def lsp_diagnostic(finding: Diagnostic, lines: Sequence[str], ls: Any) -> types.Diagnostic:
    from lsprotocol import types

    from memlint.docs import rule_url
    from memlint.registry import get_registry

    url = rule_url(get_registry().get(finding.code))
    return types.Diagnostic(
        range=lsp_range(finding.line, finding.column, finding.end_line, finding.end_column, lines, ls),
        message=finding.message,
        severity=types.DiagnosticSeverity.Warning,
        code=finding.code,
        code_description=types.CodeDescription(href=url) if url else None,
        source=SOURCE,
    )


def fix_action(finding: Diagnostic, document: TextDocument, ls: Any) -> Optional[types.CodeAction]:
    """The finding's fix as a code action, or None (no fix, or display-only)."""
    from lsprotocol import types

    kind = ACTION_KINDS.get(finding.fix.applicability) if finding.fix is not None else None
    if finding.fix is None or kind is None:
        return None
    safe = finding.fix.applicability == "safe"
    edits = [_text_edit(edit, document.lines, ls) for edit in finding.fix.edits]
    return types.CodeAction(
        title=f"memlint: fix {finding.code} ({finding.name}){'' if safe else ', unsafe'}",
        kind=kind,
        diagnostics=[lsp_diagnostic(finding, document.lines, ls)],
        is_preferred=safe,
        edit=types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=document.uri, version=document.version),
            edits=edits,
        )]),
    )


def _text_edit(edit: TextEdit, lines: Sequence[str], ls: Any) -> types.TextEdit:
    from lsprotocol import types

    return types.TextEdit(
        range=lsp_range(edit.line, edit.column, edit.end_line, edit.end_column, lines, ls), new_text=edit.content,
    )


def _kind(kind: Any) -> str:
    """A code action kind's text ("quickfix"), from lsprotocol's enum or a plain string."""
    return str(getattr(kind, "value", kind))

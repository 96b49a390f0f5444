"""Import statements as (local name -> qualified name) bindings."""
from __future__ import annotations

from typing import List, Optional, Tuple, Union

import libcst as cst

from memlint.analysis.names import dotted_name


def import_bindings(node: Union[cst.Import, cst.ImportFrom]) -> List[Tuple[str, str, cst.ImportAlias]]:
    """The names an import statement binds, with what each refers to.

    ``import a.b`` binds ``a`` to ``a``; ``import a.b as x`` binds ``x`` to
    ``a.b``; ``from a import b as c`` binds ``c`` to ``a.b``; a relative import
    keeps its dots (``from .m import f`` binds ``f`` to ``.m.f``). Star imports
    bind nothing we can name.
    """
    result: List[Tuple[str, str, cst.ImportAlias]] = []
    if isinstance(node, cst.Import):
        for alias in node.names:
            full = dotted_name(alias.name) or ""
            if alias.asname is not None:
                result.append((_asname(alias), full, alias))
            else:
                result.append((full.split(".")[0], full.split(".")[0], alias))
        return result
    if isinstance(node.names, cst.ImportStar):
        return result
    module = "." * len(node.relative) + ((dotted_name(node.module) or "") if node.module else "")
    for alias in node.names:
        imported = dotted_name(alias.name) or ""
        local = _asname(alias) if alias.asname is not None else imported
        prefix = module if module.endswith(".") or not module else module + "."
        result.append((local, prefix + imported, alias))
    return result


def _asname(alias: cst.ImportAlias) -> str:
    assert alias.asname is not None
    name = alias.asname.name
    return name.value if isinstance(name, cst.Name) else ""

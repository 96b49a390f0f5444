"""The project a linted file belongs to: the project index and the file's module name.

Some findings depend on other modules of the project (RULES.md, "Project-wide
facts"). The runner builds a :class:`memlint.index.ProjectIndex` of the
files being linted and gives each file's rules a :class:`Project`
(``context.project``); a rule asks the index's questions about names it
qualifies with :meth:`Project.qualify`. An answer of None means "unknown":
the rule stays silent or withholds its fix.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from memlint.index import ModuleName, ProjectIndex, summarize


@dataclass(frozen=True)
class Project:
    index: ProjectIndex
    module: ModuleName  # the linted file

    def qualify(self, name: str) -> str:
        """The index's name of ``name`` defined at the top of this file's
        module (a class ``Message`` or a nested ``Outer.Inner``)."""
        return f"{self.module.name}.{name}"


def single_file_project(source: Union[str, bytes], module: str = "example", complete: bool = True) -> Project:
    """A project made of one file: for a test case (``complete``: the source
    is the whole project) or a front end that sees one file and has no
    cached index (not ``complete``: questions about the whole project are
    unknown)."""
    name = ModuleName(module, is_package=False)
    return Project(ProjectIndex([summarize(source, module)], complete=complete), name)

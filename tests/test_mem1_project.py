"""MEM101 reads the project index (RULES.md, "Project-wide facts"): attributes
other modules set, how often the project constructs a class, its subclasses.
Where the index cannot answer, the finding stays but the fix is withheld."""
from memlint.analysis.project import single_file_project
from memlint.engine import lint_bytes
from memlint.registry import get_registry
from memlint.testing import fix_project, lint, lint_project, settings_for

MISSING_SLOTS = get_registry().get("MEM101")

POINT = '''\
class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y
'''
SLOTTED_POINT = '''\
class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y
'''
MANY = "from .geo import Point\n\ndef grid(n):\n    return [Point(i, i) for i in range(n)]\n"


def _package(**modules: str) -> dict:
    files = {"pkg/__init__.py": "", "pkg/geo.py": POINT}
    files.update({f"pkg/{name}.py": source for name, source in modules.items()})
    return files


def _found(files: dict) -> list:
    return [(d.code, d.line, d.column, d.fix is not None) for d in lint_project(MISSING_SLOTS, files, "pkg/geo.py")]


def test_a_record_built_in_a_loop_elsewhere_is_reported_with_its_fix():
    files = _package(use=MANY)
    assert _found(files) == [("MEM101", 1, 7, True)]
    assert fix_project(MISSING_SLOTS, files, "pkg/geo.py") == SLOTTED_POINT


def test_an_attribute_another_module_sets_on_instances_silences_it():
    extend = "from .geo import Point\n\ndef tag(n):\n    p = Point(n, n)\n    p.label = 'x'\n    return p\n"
    assert _found(_package(use=MANY, tag=extend)) == []


def test_an_attribute_set_on_a_copy_of_an_instance_silences_it():
    extend = (
        "import copy\nfrom .geo import Point\n\n"
        "def moved(p: Point):\n    q = copy.copy(p)\n    q.moved = True\n    return q\n"
    )
    assert _found(_package(use=MANY, move=extend)) == []


def test_setting_a_field_it_has_keeps_the_finding():
    extend = "from .geo import Point\n\ndef shift(p: Point):\n    p.x = p.x + 1\n"
    assert _found(_package(use=MANY, shift=extend)) == [("MEM101", 1, 7, True)]


def test_a_class_constructed_only_outside_loops_is_not_a_record():
    once = "from .geo import Point\n\nORIGIN = Point(0, 0)\n\ndef main():\n    centre = Point(1, 1)\n    return centre\n"
    assert _found(_package(main=once)) == []


def test_instances_kept_in_a_container_make_it_a_record():
    kept = "from .geo import Point\n\ndef add(points, x):\n    points.append(Point(x, x))\n"
    assert _found(_package(keep=kept)) == [("MEM101", 1, 7, True)]


def test_a_subclass_without_slots_elsewhere_silences_it():
    sub = "from .geo import Point\n\nclass Labelled(Point):\n    pass\n"
    assert _found(_package(use=MANY, sub=sub)) == []


def test_a_slotted_subclass_with_two_bases_withholds_the_fix():
    sub = "from .geo import Point\n\nclass Mixin:\n    __slots__ = ()\n\nclass Both(Point, Mixin):\n    __slots__ = ()\n"
    assert _found(_package(use=MANY, sub=sub)) == [("MEM101", 1, 7, False)]


def test_an_index_that_cannot_answer_withholds_the_fix():
    source = POINT + "\n\ndef grid(n):\n    return [Point(i, i) for i in range(n)]\n"
    partial = single_file_project(source, "geo", complete=False)  # flake8 or stdin without a cached index
    assert [(d.line, d.fix) for d in lint(MISSING_SLOTS, source, "geo.py", partial)] == [(1, None)]
    result, _ = lint_bytes(source.encode(), "geo.py", settings_for(MISSING_SLOTS), [MISSING_SLOTS], None)
    assert [(d.line, d.fix) for d in result.diagnostics] == [(1, None)]
    assert [d.fix is not None for d in lint(MISSING_SLOTS, source, "geo.py")] == [True]


DATACLASS = get_registry().get("MEM102")
ROW = "from dataclasses import dataclass\n\n\n@dataclass\nclass Row:\n    key: str\n    value: int\n"


def _rows(**modules: str) -> list:
    files = {"pkg/__init__.py": "", "pkg/rows.py": ROW}
    files.update({f"pkg/{name}.py": source for name, source in modules.items()})
    found = lint_project(DATACLASS, files, "pkg/rows.py", target_version=(3, 10))
    return [(d.code, d.line, d.fix is not None) for d in found]


def test_a_dataclass_reads_the_project_index_like_missing_slots():
    many = "from .rows import Row\n\ndef load(pairs):\n    return [Row(k, v) for k, v in pairs]\n"
    assert _rows(load=many) == [("MEM102", 5, True)]
    once = "from .rows import Row\n\nDEFAULT = Row('a', 1)\n"
    assert _rows(default=once) == []
    extend = "from .rows import Row\n\ndef mark(row: Row):\n    row.seen = True\n"
    assert _rows(load=many, mark=extend) == []


def test_a_dataclass_that_owns_a_resource_is_a_service_object():
    source = ROW.replace("    value: int\n", "    value: int\n\n    def __enter__(self):\n        return self\n")
    assert lint(DATACLASS, source, target_version=(3, 10)) == []


INEFFECTIVE = get_registry().get("MEM105")


def _ineffective(base: str) -> list:
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": base,
        "pkg/row.py": "from .base import Base\n\n\nclass Row(Base):\n    __slots__ = ('value',)\n",
    }
    return [(d.code, d.line) for d in lint_project(INEFFECTIVE, files, "pkg/row.py")]


def test_a_base_in_another_module_is_read_from_the_project_index():
    assert _ineffective("class Base:\n    def __init__(self, id):\n        self.id = id\n") == [("MEM105", 4)]
    assert _ineffective("class Base:\n    pass\n") == []  # stores nothing: the __dict__ stays empty
    assert _ineffective("class Base:\n    __slots__ = ('id',)\n\n    def __init__(self, id):\n        self.id = id\n") == []
    assert _ineffective("class Base(Exception):\n    def __init__(self, id):\n        self.id = id\n") == []
    assert _ineffective("from elsewhere import Other\n\nclass Base(Other):\n    pass\n") == []  # unknown


def test_a_slotted_base_in_another_module_makes_a_subclass_a_record():
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": "class Base:\n    __slots__ = ('id',)\n",
        "pkg/point.py": (
            "from .base import Base\n\n\nclass Point(Base):\n    def __init__(self, id, x):\n"
            "        self.id = id\n        self.x = x\n\n\ndef grid(n):\n    return [Point(i, i) for i in range(n)]\n"
        ),
    }
    assert [(d.line, d.fix is not None) for d in lint_project(MISSING_SLOTS, files, "pkg/point.py")] == [(4, True)]
    assert '    __slots__ = ("x",)\n' in fix_project(MISSING_SLOTS, files, "pkg/point.py")


BUILTIN_SUBCLASS = get_registry().get("MEM107")


def test_a_builtin_subclass_extended_in_another_module_is_not_reported():
    files = {
        "pkg/__init__.py": "",
        "pkg/names.py": "class Name(str):\n    pass\n\n\ndef names(words):\n    return [Name(w) for w in words]\n",
        "pkg/use.py": "from .names import Name\n\ndef tagged(text):\n    n = Name(text)\n    n.tag = 1\n    return n\n",
    }
    assert lint_project(BUILTIN_SUBCLASS, files, "pkg/names.py") == []
    del files["pkg/use.py"]
    assert [(d.line, d.fix is not None) for d in lint_project(BUILTIN_SUBCLASS, files, "pkg/names.py")] == [(1, True)]

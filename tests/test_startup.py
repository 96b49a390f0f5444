"""What a command imports: startup is paid on every run. (Times are measured
in benchmarks/RESULTS.md; tests assert only what gets loaded.)"""
import ast
import subprocess
import sys

import pytest

from memlint.docs import generated_page, render_rule, rule_url
from memlint.output_rule import for_terminal
from memlint.registry import get_registry

HEAVY = ("libcst", "memlint.rules", "memlint.runner", "memlint.config", "memlint.cache", "memlint.registry")
# Runs memlint's main in this process, then names the heavy modules it imported.
PROBE = """
import sys
from memlint.cli import main
code = main(sys.argv[1:])
print(code, sorted(m for m in sys.modules if m.startswith({heavy!r})))
"""


def probe(*args, cwd=None, heavy=HEAVY):
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=heavy), *args], cwd=cwd, capture_output=True, text=True
    )
    *output, last = result.stdout.splitlines()
    return output, last, result.stderr


def test_version_imports_nothing_heavy():
    output, loaded, _ = probe("--version")
    assert (output, loaded) == ([f"memlint {__import__('memlint').__version__}"], "0 []")


@pytest.mark.parametrize("selector", ["MEM602", "mem602", "gc-collect-in-loop"])
def test_rule_page_imports_neither_libcst_nor_rules(selector):
    output, loaded, _ = probe("rule", selector, heavy=("libcst", "memlint.rules"))
    assert loaded == "0 []"
    rule = get_registry().get("MEM602")
    assert "\n".join(output) + "\n" == for_terminal(render_rule(rule), rule_url(rule), colour=False)


def test_generated_pages_are_found_by_code_and_name_only():
    for rule in get_registry().rules:
        assert generated_page(rule.code) == generated_page(rule.name) == render_rule(rule)
    assert generated_page("MEM999") is None and generated_page("GC-COLLECT-IN-LOOP") is None


def test_a_run_with_the_rule_catalog_imports_only_the_selected_rules(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    probe("-j1", "a.py", cwd=tmp_path)  # the first run imports every rule and writes the catalog
    (tmp_path / "b.py").write_text("import gc\nfor i in list(range(n)):\n    gc.collect()\n")
    # Without budgets -j1 lints in this process, where the probe can see what was imported.
    no_budgets = ("--file-timeout", "0", "--max-memory", "0")
    output, loaded, _ = probe("-j1", *no_budgets, "--select", "MEM60", "b.py", cwd=tmp_path, heavy=("memlint.rules.",))
    assert output == ["b.py:3:5: MEM602 gc.collect() inside a loop: each call walks the whole heap"]
    rules = [name for name in ast.literal_eval(loaded.partition(" ")[2]) if not name.startswith("memlint.rules._")]
    assert rules == [
        "memlint.rules.gc_collect_in_loop", "memlint.rules.gc_debug_saveall", "memlint.rules.gc_disable_without_enable",
    ]


SMALL_FILE = "import gc\n\n\ndef work(items):\n    for i in list(range(n)):\n        gc.collect()\n    return sum([x for x in items])\n"


def test_a_cold_run_of_a_small_file_does_not_import_libcst_matchers(tmp_path):
    # libcst.matchers costs 0.1-0.3 s to import: rules reach it through
    # memlint.lazy_matchers, which imports it only when a rule calls it.
    (tmp_path / "small.py").write_text(SMALL_FILE)
    no_budgets = ("--file-timeout", "0", "--max-memory", "0")  # lint in this process, where the probe looks
    every_rule = "--preview"
    output, loaded, _ = probe("--no-cache", every_rule, "-j1", *no_budgets, "small.py", cwd=tmp_path, heavy=("libcst.matchers",))
    assert [line.split(" ")[1] for line in output] == ["MEM202", "MEM602", "MEM201"]
    assert loaded == "1 []"


def test_no_module_imports_libcst_matchers_directly():
    # One eager `import libcst.matchers` anywhere puts its cost back on every cold run.
    import memlint
    import memlint.rules
    from pathlib import Path

    direct = []
    for package in (memlint, memlint.rules):
        for path in sorted(Path(package.__path__[0]).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                if any(name == "libcst.matchers" or name.startswith("libcst.matchers.") for name in names):
                    direct.append(f"{path.name}:{node.lineno}")
    assert direct == [f"lazy_matchers.py:{_lazy_import_line()}"]


def _lazy_import_line():
    from memlint import lazy_matchers

    lines = open(lazy_matchers.__file__, encoding="utf-8").read().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.strip() == "import libcst.matchers as m")

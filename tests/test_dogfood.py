"""The README's first command lints memlint's own sources: they must stay clean."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_memlint_is_clean_on_its_own_sources(run_memlint):
    result = run_memlint("--no-cache", "--preview", "memlint/", "rules/", cwd=ROOT)  # preview rules too: our own bar
    assert (result.returncode, result.stdout.decode()) == (0, "")

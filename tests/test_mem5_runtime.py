"""Runtime proof for the MEM5 fixes: the original code emits ResourceWarning,
the code memlint --fix --unsafe-fixes produces does not."""
import gc
import subprocess
import sys
import textwrap
import warnings

import pytest

from memlint.registry import get_registry
from memlint.testing import fix

ORIGINAL = textwrap.dedent(
    '''
    import hashlib
    import json
    import os


    def read_config(path):
        return json.load(open(path))


    def read_text(path):
        text = open(path, encoding="utf-8").read()
        return text.strip()


    def append_line(path, line):
        open(path, "a").write(line + "\\n")


    def checksum(path):
        f = open(path, "rb")
        digest = hashlib.sha256(f.read()).hexdigest()
        if not digest:
            raise ValueError(path)
        f.close()
        return digest


    def save(path, rows):
        out = open(path, "w", encoding="utf-8")
        for row in rows:
            out.write(",".join(row) + "\\n")
        out.close()


    def main(directory):
        config = os.path.join(directory, "config.json")
        save(config, [["{}"]])
        append_line(config, "")
        assert read_config(config) == {}
        assert read_text(config) == "{}"
        try:
            save(config, [[1]])  # join() raises TypeError between open and close
        except TypeError:
            pass
        return checksum(config)
    '''
)


def fixed_source():
    registry = get_registry()
    text = ORIGINAL
    for code in ("MEM501", "MEM502"):
        text = fix(registry.get(code), text)
    return text


def run_collecting_warnings(source, directory, monkeypatch):
    """Run ``main`` with ResourceWarning as an error; collect what __del__ raised."""
    raised = []
    monkeypatch.setattr(sys, "unraisablehook", lambda hook: raised.append(hook.exc_type))
    namespace = {"__name__": "resource_demo"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        exec(compile(source, "resource_demo.py", "exec"), namespace)
        namespace["main"](str(directory))
        namespace.clear()
        gc.collect()
    return [exc for exc in raised if issubclass(exc, ResourceWarning)]


def test_the_fix_rewrites_every_resource():
    fixed = fixed_source()
    assert fixed != ORIGINAL
    assert fixed.count("with open(") == 5
    assert ".close()" not in fixed


def test_original_warns_and_fixed_does_not(tmp_path, monkeypatch):
    # read_config, read_text, append_line, and save() interrupted by TypeError;
    # checksum() reaches its close()
    assert len(run_collecting_warnings(ORIGINAL, tmp_path, monkeypatch)) == 4
    assert run_collecting_warnings(fixed_source(), tmp_path, monkeypatch) == []


@pytest.mark.parametrize("fixed, warns", [(False, True), (True, False)])
def test_dev_mode_subprocess(tmp_path, fixed, warns):
    source = fixed_source() if fixed else ORIGINAL
    script = tmp_path / "demo.py"
    script.write_text(source + "\nimport sys\nmain(sys.argv[1])\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-X", "dev", str(script), str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert ("ResourceWarning" in result.stderr) is warns, result.stderr

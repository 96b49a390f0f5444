"""Progress on stderr: terminal only, after a delay, throttled, erased at the end."""
import io

from memlint.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_quiet_for_short_runs_then_one_line_redrawn_and_erased():
    terminal, clock = Terminal(), Clock()
    progress = Progress(terminal, clock, delay=1.0)
    clock.now += 0.5
    progress(1, 12)
    assert terminal.getvalue() == ""  # under the delay: nothing
    clock.now += 0.6
    progress(9, 12)
    clock.now += 0.05
    progress(10, 12)  # within 0.1 s of the last line: skipped
    clock.now += 0.1
    progress(11, 12)
    progress(12, 12)  # the last file is always shown
    progress.finish()
    assert terminal.getvalue() == (
        "\rmemlint: 9/12 files" "\rmemlint: 11/12 files" "\rmemlint: 12/12 files" "\r" + " " * 20 + "\r"
    )


def test_a_shorter_line_covers_the_longer_one():
    terminal, clock = Terminal(), Clock()
    progress = Progress(terminal, clock, delay=0)
    progress(100, 100)
    clock.now += 1
    progress(9, 10)
    assert terminal.getvalue() == "\rmemlint: 100/100 files" "\rmemlint: 9/10 files   "


def test_nothing_when_not_a_terminal_or_nothing_was_drawn():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, clock, delay=0)
    progress(1, 2)
    progress.finish()
    assert stream.getvalue() == ""
    terminal = Terminal()
    Progress(terminal, clock, delay=5).finish()
    assert terminal.getvalue() == ""


def test_the_delay_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("MEMLINT_PROGRESS_DELAY", "0")
    assert Progress(Terminal()).delay == 0.0
    monkeypatch.setenv("MEMLINT_PROGRESS_DELAY", "soon")
    assert Progress(Terminal()).delay == 1.0


def _shown(output):
    """The progress lines drawn, and the output from the last one on."""
    import re

    counts = [(int(done), int(total)) for done, total in re.findall(r"\rmemlint: (\d+)/(\d+) files", output)]
    return counts, output[output.rfind("\rmemlint: "):]


def test_the_command_line_shows_progress_on_a_terminal(tmp_path, on_a_terminal):
    for n in range(5):
        (tmp_path / f"m{n}.py").write_text("import gc\nfor i in list(range(n)):\n    gc.collect()\n")
    for args in (["-j2"], ["-j1", "--file-timeout", "0", "--max-memory", "0"], ["-j2"]):  # pool, in-process, cached
        output = on_a_terminal([*args, "--select", "MEM6", "."], tmp_path, {"MEMLINT_PROGRESS_DELAY": "0"}, "stderr")
        counts, after = _shown(output)
        assert counts[-1] == (5, 5) and counts == sorted(counts) and {t for _, t in counts} == {5}
        line = "memlint: 5/5 files"
        assert after == f"\r{line}\r{' ' * len(line)}\rFound 5 problems\n"  # erased, then the summary

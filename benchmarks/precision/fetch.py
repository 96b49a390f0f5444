"""Download and unpack the precision corpus (corpus.tsv): pinned wheels of
well-known pure-Python projects, checked against their sha256.

    python benchmarks/precision/fetch.py DEST

fetches each project with `pip download` (the package index, nothing else),
refuses a file whose hash differs from the pin, and unpacks it to
DEST/<project>-<version>/ (a wheel is a zip of the installed sources: the
project's own code without its tests). Already unpacked projects are kept.
Nothing is imported or run.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import List, NamedTuple

CORPUS = Path(__file__).with_name("corpus.tsv")


class Pin(NamedTuple):
    project: str
    version: str
    kind: str
    wheel: str
    sha256: str

    @property
    def directory(self) -> str:
        return f"{self.project}-{self.version}"


def pins() -> List[Pin]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [Pin(*line.split("\t")) for line in lines if line and not line.startswith("#")]


def fetch(pin: Pin, dest: Path) -> Path:
    target = dest / pin.directory
    if target.is_dir():
        return target
    with tempfile.TemporaryDirectory() as download:
        subprocess.run(
            # `--platform any` picks the pure-Python wheel (the pin) even where a
            # compiled one exists for this interpreter (aiohttp, black).
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
             "--platform", "any", "-d", download, f"{pin.project}=={pin.version}"],
            check=True,
        )
        wheel = Path(download) / pin.wheel
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != pin.sha256:
            raise SystemExit(f"{pin.wheel}: sha256 {digest} does not match the pin {pin.sha256}")
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target)
    return target


def main(argv: List[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    dest = Path(argv[0])
    dest.mkdir(parents=True, exist_ok=True)
    for pin in pins():
        print(fetch(pin, dest))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

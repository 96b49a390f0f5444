"""A release is ready to publish: the changelog has a dated section for the
version in memlint/__init__.py, and unreleased changes have their own section."""
import re
from pathlib import Path

from memlint import __version__

CHANGELOG = (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text(encoding="utf-8")


def test_the_changelog_dates_the_current_version():
    assert re.search(rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", CHANGELOG, re.M)


def test_the_changelog_sections_are_newest_first_with_unreleased_on_top():
    versions = re.findall(r"^## \[([^\]]+)\]", CHANGELOG, re.M)
    assert versions[0] == "Unreleased"
    numbers = [tuple(int(part) for part in v.split(".")) for v in versions[1:]]
    assert numbers == sorted(numbers, reverse=True) and len(set(numbers)) == len(numbers)

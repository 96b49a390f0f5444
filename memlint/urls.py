"""Where memlint lives on the web: the one home of its URLs.

Rule pages (``memlint rule``, JSON ``url``, SARIF ``helpUri``) and the
tool's home (SARIF ``informationUri``) come from here. Two files that cannot
import Python repeat them: ``[project.urls]`` in pyproject.toml and the
pre-commit ``repo`` in README.md; tests/test_adoption.py checks that they
agree with this module.

The project has no public repository or documentation site yet, so these
are placeholders under ``.invalid``, a top-level domain reserved never to
resolve: they can never point at someone else's site. Publishing changes
``HOMEPAGE`` (and the layout below it, if it differs) here, then in the two
files above.
"""

HOMEPAGE = "https://memlint.invalid/"
DOCUMENTATION = f"{HOMEPAGE}docs/"
RULE_PAGES = f"{DOCUMENTATION}rules/"  # + a rule's code
SOURCE = f"{HOMEPAGE}source/"  # the git repository: pre-commit clones it
CHANGELOG = f"{SOURCE}CHANGELOG.md"
ISSUES = f"{HOMEPAGE}issues/"

# pyproject.toml's [project.urls], label -> URL.
PROJECT_URLS = {
    "Homepage": HOMEPAGE,
    "Documentation": DOCUMENTATION,
    "Source": SOURCE,
    "Changelog": CHANGELOG,
    "Issues": ISSUES,
}

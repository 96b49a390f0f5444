"""memlint's built-in rules, one rule per module, installed as ``memlint.rules``.

Modules import their siblings relatively (``from ._helpers import x``) and the
engine absolutely (``from memlint.rule import Rule``). Modules whose name
starts with an underscore hold shared helpers and are not scanned for rules.
"""

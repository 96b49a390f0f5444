"""memlint: find memory anti-patterns in Python code and fix them."""
__version__ = "0.2.0"

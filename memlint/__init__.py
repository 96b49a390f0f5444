"""memlint: find memory anti-patterns in Python code and fix them."""
__version__ = "0.1.0"

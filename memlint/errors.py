"""Errors that end a run with exit code 2 and one clear line on stderr."""


class UsageError(Exception):
    """Bad command line, bad configuration, or a broken rule pack."""


class ConfigError(UsageError):
    """A problem in a configuration file; the message names the file and key."""

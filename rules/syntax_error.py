from memlint.rule import Invalid, Rule, Valid


class SyntaxErrorRule(Rule):
    """
    ## What it does
    Reports a file that cannot be parsed, at the position of the syntax error
    (the position CPython reports; flake8 calls the same thing E999).

    ## Why is this bad?
    memlint cannot check a file it cannot parse, so every other rule is silent
    on it. The file is reported rather than skipped so that the gap is visible,
    and the run goes on with the other files.

    When CPython's parser gives up on a file nested too deeply (a
    `MemoryError` or `RecursionError`; `python` cannot run it either), the
    message says so. When CPython accepts the file but libcst's parser cannot
    parse it (a limit of libcst, such as thousands of implicitly concatenated
    strings), that is not an error in the code and not MEM001: memlint
    reports an error for the file ("libcst cannot parse this file") and
    exits with 2.

    ## Example
    ```python
    def f(:
        pass
    ```

    ## Use instead
    ```python
    def f():
        pass
    ```

    ## Fix safety
    There is no fix.
    """

    code = "MEM001"
    name = "syntax-error"
    message = "syntax error: {detail}"

    VALID = [Valid("def f():\n    pass\n")]
    INVALID = [
        Invalid("def f(:\n    pass\n", line=1, column=7, message="syntax error"),
        Invalid("x = 1\nif x\n    y = 2\n", line=2, column=5),
    ]

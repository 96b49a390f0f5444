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

    When CPython accepts the file but libcst's parser does not support its
    syntax yet, the message says so ("cannot parse this syntax").

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

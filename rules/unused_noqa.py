from memlint.rule import Invalid, Rule, Valid


class UnusedNoqa(Rule):
    """
    ## What it does
    Reports a `# noqa: CODES` comment (or a file-level `# memlint: noqa:
    CODES` line) naming a memlint code that suppresses nothing there: the rule
    ran on the file and reported nothing on that line, or no rule has that
    code at all.

    Only codes memlint can judge are reported: codes of the rules that ran
    (not those left out by `--select`), and `MEMxxx` codes no installed rule
    has. Other tools' codes (`E501`), prefixes (`# noqa: MEM2`) and a bare
    `# noqa` are left alone, as is `# noqa` text inside a string literal.

    ## Why is this bad?
    A stale suppression hides the next real finding on its line: code changes,
    the original finding goes away, the comment stays and silently covers
    whatever the line does next. Removing it keeps suppressions meaningful,
    and keeps a baseline or an `--add-noqa` run honest over time.

    ## Example
    ```python
    for i in range(3):  # noqa: MEM202
        print(i)
    ```

    ## Use instead
    ```python
    for i in range(3):
        print(i)
    ```

    ## Fix safety
    There is no fix: delete the code from the comment (or the comment).
    """

    code = "MEM003"
    name = "unused-noqa"
    message = "unused noqa: nothing here is reported as {codes}"
    triggers = ("noqa",)

    VALID = [
        Valid("x = 1  # noqa: E501\n"),
        Valid("x = 1  # noqa\n"),
        Valid("x = 1  # noqa: MEM\n"),
        Valid("text = 'not a comment # noqa: MEM999'\n"),
        Valid("x = 1  # noqa: MEM003\n"),
    ]
    INVALID = [
        Invalid("x = 1  # noqa: MEM999\n", line=1, column=8, message="nothing here is reported as MEM999"),
        Invalid("x = 1  # noqa: E501, MEM999, MEM998\n", line=1, column=8, message="as MEM999, MEM998"),
        Invalid("# memlint: noqa: MEM999\nx = 1\n", line=1, column=1),
    ]

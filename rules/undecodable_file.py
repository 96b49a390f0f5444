from memlint.rule import Invalid, Rule, Valid


class UndecodableFile(Rule):
    """
    ## What it does
    Reports a file whose bytes cannot be decoded with its declared encoding
    (a PEP 263 coding cookie or a BOM) or, without one, as UTF-8. The finding
    is at the first undecodable byte.

    ## Why is this bad?
    Python itself refuses to import such a file, and memlint cannot check it.
    The run goes on with the other files; nothing is written to this one.

    ## Example
    A file saved as Latin-1 without a coding cookie:
    ```python
    name = "café"  # the byte 0xe9 is not valid UTF-8
    ```

    ## Use instead
    Save the file as UTF-8, or declare its encoding:
    ```python
    # -*- coding: latin-1 -*-
    name = "café"
    ```

    ## Fix safety
    There is no fix.
    """

    code = "MEM002"
    name = "undecodable-file"
    message = "cannot decode file: {detail}"

    # Inline cases are encoded with surrogateescape: "\udce9" is the byte 0xe9.
    VALID = [Valid("# -*- coding: latin-1 -*-\nname = 'caf\udce9'\n")]
    INVALID = [Invalid("x = 1\nname = 'caf\udce9'\n", line=2, column=12, message="byte 0xe9")]

"""``memlint profile``: rank static findings by what a real run of the program spends on them.

memlint lints the paths, then runs the given command with a probe
(:mod:`memlint.profiling.sitecustomize`) that measures, for each finding,
what the run spent on it; the findings come back ranked by measured bytes
(counts where bytes cannot be attributed). :mod:`.targets` says what is
measured for which rule, :mod:`.ranking` orders and renders the results,
:mod:`.command` is the command line.
"""

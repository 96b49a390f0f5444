from typing import Callable, Iterator, List, Optional, Sequence, Union

import libcst as cst

from memlint.analysis.flow import fixed_value
from memlint.analysis.functions import named_params
from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid

_STATIC_ATTRIBUTES = frozenset({"__name__", "__qualname__", "__module__"})
_FUNCTIONS = (cst.FunctionDef, cst.Lambda)
FunctionNode = Union[cst.FunctionDef, cst.Lambda]


class DynamicLoggerName(Rule):
    """
    ## What it does
    Reports `logging.getLogger(name)` inside a function when the name is built
    at run time (an f-string, `%`, `+` or `.format(...)`) from per-object or
    per-call data: an attribute of an object (`self.user_id`), a local
    variable, a parameter.

    Not reported: `getLogger(__name__)`, constant names, names built only from
    constants, module-level names, `__name__`/`__qualname__`/`__module__` of
    anything (`type(self).__name__`, `self.__class__.__name__`,
    `cls.__name__`), calls at module level or in a class body (they run once),
    a name passed through unchanged (`getLogger(name)`), the parameters of
    a logger factory that returns the logger, directly, through the name it
    binds it to, or wrapped (`def get_logger(part): logger =
    logging.getLogger(f"app.{part}"); return LoggerAdapter(logger, {})`): its
    callers choose the names; and loop variables over a literal collection or
    a module-level name (`for part in ("db", "http"):`): a fixed set of names.

    ## Why is this bad?
    The logging module keeps every logger it ever created in
    `logging.Logger.manager.loggerDict`, for the life of the process. A logger
    per user, request or connection is a leak that grows with traffic, and
    each one also costs a lookup in every `getLogger` call.

    ## Example
    ```python
    class Session:
        def __init__(self, user_id):
            self.log = logging.getLogger(f"session.{user_id}")
    ```

    ## Use instead
    ```python
    log = logging.getLogger("session")

    class Session:
        def __init__(self, user_id):
            self.log = logging.LoggerAdapter(log, {"user_id": user_id})
    ```

    ## Fix safety
    There is no automatic fix: moving the per-object data into a
    `LoggerAdapter`, `extra=` or a filter changes how records are routed.

    ## References
    - [logging.getLogger](https://docs.python.org/3/library/logging.html#logging.getLogger)
    - [Adding contextual information to your logging output](https://docs.python.org/3/howto/logging-cookbook.html#adding-contextual-information-to-your-logging-output)
    """

    code = "MEM306"
    name = "dynamic-logger-name"
    message = (
        "logger name built from run-time data: every distinct name creates a logger that lives forever; "
        "use one logger and put the data in a LoggerAdapter or extra="
    )
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY
    # A reported call resolves to logging.getLogger: the file spells it, as
    # the attribute (`logging.getLogger`) or in the import of an alias.
    triggers = ("getLogger",)

    VALID = [
        Valid(
            """
            import logging

            def f():
                log = logging.getLogger(__name__)
                other = logging.getLogger("app.db")
                return log, other
            """
        ),
        Valid(
            """
            import logging

            PREFIX = "app"

            class Worker:
                def __init__(self):
                    self.log = logging.getLogger(f"{__name__}.{type(self).__name__}")
                    self.log2 = logging.getLogger("%s.%s" % (PREFIX, self.__class__.__qualname__))
                    self.log3 = logging.getLogger(PREFIX + ".worker")
            """
        ),
        Valid(
            """
            import logging

            def get_logger(part):
                return logging.getLogger("app.{}".format(part))
            """
        ),
        # a factory returning a wrapper of the logger: its callers pass `__name__`
        Valid(
            """
            import logging

            NAMESPACE = "app"

            def getLogger(name):
                logger = logging.getLogger(NAMESPACE + "." + name)
                logger.disabled = False
                return logging.LoggerAdapter(logger, {})
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import logging

            class Session:
                def __init__(self, user_id):
                    self.log = logging.getLogger(f"session.{user_id}")
            """,
            line=5,
            column=20,
        ),
        Invalid(
            """
            from logging import getLogger as get

            def handle(request):
                log = get("req.%s" % request.id)
                log.info("start")
            """,
            line=4,
            column=11,
        ),
        Invalid(
            """
            import logging

            async def serve(port):
                log = logging.getLogger("server.{}".format(port))
                log.info("serving")
            """,
            line=4,
            column=11,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if not node.args or not isinstance(node.func, (cst.Name, cst.Attribute)):
            return
        if isinstance(node.func, cst.Attribute) and node.func.attr.value != "getLogger":
            return
        name = _name_argument(node)
        if name is None or not _is_built(name):
            return
        if not self.context.matches(node, "logging.getLogger"):
            return
        functions = [n for n in self.context.ancestors if isinstance(n, _FUNCTIONS)]
        if not functions:
            return  # module level or class body: runs once
        exempt = self._factory_params(node, functions[-1])
        if any(not self._static(part, functions, exempt) for part in _parts(name)):
            self.report(node)

    def _factory_params(self, call: cst.Call, function: cst.CSTNode) -> List[str]:
        """The parameters of a logger factory: a function that returns this
        getLogger call, or the name it binds the logger to, or a wrapper of it
        (`return LoggerAdapter(logger, {})`): its callers choose the names."""
        if not isinstance(function, cst.FunctionDef) or not self._returns_logger(function):
            return []
        return [p.name.value for p in named_params(function.params)]

    def _returns_logger(self, function: cst.FunctionDef) -> bool:
        parent = self.context.parent
        if isinstance(parent, cst.Return):
            return True
        if not isinstance(parent, cst.Assign) or len(parent.targets) != 1:
            return False
        target = parent.targets[0].target
        if not isinstance(target, cst.Name):
            return False
        info = self.context.scope_info(function)
        return any(
            isinstance(ancestor, cst.Return)
            for load in info.loads_of(target.value)
            for ancestor in info.ancestors(load)
        )

    def _static(self, part: cst.BaseExpression, functions: Sequence[FunctionNode], exempt: List[str]) -> bool:
        """A part of the name that is the same on every call."""
        if isinstance(part, (cst.SimpleString, cst.Integer, cst.Float)):
            return True
        if isinstance(part, cst.Attribute):
            return part.attr.value in _STATIC_ATTRIBUTES
        if isinstance(part, cst.Name):
            if part.value in _STATIC_ATTRIBUTES or part.value in exempt:
                return True
            binders = [f for f in functions if self.context.scope_info(f).binds(part.value)]
            if not binders:
                return True  # module-level
            bindings = self.context.scope_info(binders[-1]).bindings_of(part.value)
            return all(  # a loop over a fixed set: `for part in ("db", "http"):`, `for part in PARTS:`
                b.kind == "for" and b.value is not None and fixed_value(b.value, (), self._module_level(functions))
                for b in bindings
            )
        return False

    def _module_level(self, functions: Sequence[FunctionNode]) -> Callable[[str, object], bool]:
        return lambda name, _: not any(self.context.scope_info(f).binds(name) for f in functions)


def _name_argument(call: cst.Call) -> Optional[cst.BaseExpression]:
    for position, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == "name":
            return arg.value
        if arg.keyword is None and position == 0 and not arg.star:
            return arg.value
    return None


def _is_built(name: cst.BaseExpression) -> bool:
    """An f-string, `%`/`+` expression or `.format()` call."""
    if isinstance(name, (cst.FormattedString, cst.ConcatenatedString)):
        return True
    if isinstance(name, cst.BinaryOperation):
        return isinstance(name.operator, (cst.Modulo, cst.Add))
    return isinstance(name, cst.Call) and isinstance(name.func, cst.Attribute) and name.func.attr.value == "format"


def _parts(name: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The leaves a built name is made of."""
    if isinstance(name, cst.FormattedString):
        for part in name.parts:
            if isinstance(part, cst.FormattedStringExpression):
                yield from _parts(part.expression)
    elif isinstance(name, cst.ConcatenatedString):
        yield from _parts(name.left)
        yield from _parts(name.right)
    elif isinstance(name, cst.BinaryOperation) and isinstance(name.operator, (cst.Modulo, cst.Add)):
        yield from _parts(name.left)
        yield from _parts(name.right)
    elif isinstance(name, cst.Tuple):
        for element in name.elements:
            yield from _parts(element.value)
    elif isinstance(name, cst.Call) and isinstance(name.func, cst.Attribute) and name.func.attr.value == "format":
        yield from _parts(name.func.value)
        for arg in name.args:
            yield from _parts(arg.value)
    else:
        yield name

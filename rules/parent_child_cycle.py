from typing import Any, List, Mapping, NamedTuple, Optional

import libcst as cst

from memlint.analysis.classes import CLASSES, ClassIndex, ClassInfo, annotation_classes, container_classes
from memlint.analysis.functions import FunctionSite, enclosing_function, named_params, positional_params
from memlint.context import Context
from memlint.rule import Applicability, Edit, EnsureImport, FixAvailability, Invalid, Replace, Rule, Valid


class _ChildSide(NamedTuple):
    """``self.<attribute> = <parameter>`` in a method."""

    node: cst.Assign
    method: FunctionSite
    parameter: cst.Param
    attribute: str


class _ParentSide(NamedTuple):
    """``<child>.<attribute> = self`` in a method."""

    node: cst.Assign
    method: FunctionSite
    child: str


class _Passing(NamedTuple):
    """How a parameter of ``__init__`` can be passed."""

    position: Optional[int]  # among the positional parameters after the instance
    by_keyword: bool


class ParentChildCycle(Rule):
    """
    ## What it does
    Reports a child object that keeps a strong reference to its parent while
    the parent keeps the child:

    - in the child's class, `self.parent = parent` where `parent` is a
      parameter annotated with a class of the same module that holds instances
      of the child's class (an attribute annotated `list[Child]`,
      `dict[K, Child]`, or filled by `append`/`add`/`[k] =` with them);
    - in the child's `__init__`, `self.parent = parent` where some class of the
      module builds the child with `self` as that argument
      (`Child(self)`, `Child(parent=self)`) and keeps it (in a container or an
      attribute of `self`);
    - in the parent's class, `child.parent = self` where the same method also
      keeps `child` in an attribute of `self` (or loops over one).

    A reference made with `weakref.ref` or `weakref.proxy` is not reported.

    ## Why is this bad?
    Parent and child reference each other, so neither reference count ever
    drops to zero: a whole tree (and everything it references) stays in memory
    after the last outside reference goes, until the cyclic garbage collector
    runs a full collection, which may be much later, or never when `gc` is
    disabled or tuned down. A weak reference from child to parent breaks the
    cycle and lets the tree be freed by reference counting alone.

    ## Example
    ```python
    class Node:
        def __init__(self, parent: "Tree"):
            self.parent = parent

    class Tree:
        def __init__(self):
            self.nodes: list[Node] = []
    ```

    ## Use instead
    ```python
    import weakref

    class Node:
        def __init__(self, parent: "Tree"):
            self._parent = weakref.ref(parent)

        @property
        def parent(self):
            return self._parent()

    class Tree:
        def __init__(self):
            self.nodes: list[Node] = []
    ```

    ## Fix safety
    The fix stores `weakref.ref(parent)` in `self._parent` (a `None` parent stays
    `None` when the parameter has a default or an optional annotation) and adds
    a read-only `parent` property that dereferences it, importing `weakref`. It
    is offered only for `self.<attr> = <param>` in `__init__`, when no other
    code of the module assigns or deletes `<attr>`, the class has no
    `__slots__`, and nothing else in the class is called `_<attr>`. It is
    unsafe: the child no longer keeps its parent alive, so a parent that was
    only reachable through a child is freed and the property returns `None`;
    the parent's class must support weak references.

    ## Known problems
    Only the module's top-level classes are analysed: dataclass fields
    (`parent: Optional["Node"]` with no `__init__`), nested classes and parents
    from other modules are not seen. A cycle that the program breaks by hand
    (`child.parent = None` in a `close()`) is still reported.

    ## References
    - [weakref](https://docs.python.org/3/library/weakref.html)
    - [gc — garbage collector interface](https://docs.python.org/3/library/gc.html)
    """

    code = "MEM401"
    name = "parent-child-cycle"
    message = "{what}: the pair forms a reference cycle only the garbage collector can free; {suggestion}"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE

    VALID = [
        Valid(
            """
            import weakref

            class Node:
                def __init__(self, parent: "Tree"):
                    self.parent = weakref.ref(parent)

            class Tree:
                def __init__(self):
                    self.nodes: list[Node] = []
            """
        ),
        Valid(
            """
            class Node:
                def __init__(self, parent):
                    self.parent = parent

            class Tree:
                def add(self):
                    node = Node(self)
                    return node
            """
        ),
        Valid(
            """
            class Tree:
                def attach(self, child):
                    child.parent = self
            """
        ),
        Valid(
            """
            from typing import Callable

            class Context:
                def __init__(self, command: "Command"):
                    self.command = command

            class Command:
                context_class: type[Context] = Context
                factory: Callable[[], Context]
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            class Node:
                def __init__(self, parent: "Tree"):
                    self.parent = parent

            class Tree:
                def __init__(self):
                    self.nodes: list[Node] = []
            """,
            line=3,
            column=9,
            message="Node.parent holds the Tree",
            fixed="""
            import weakref

            class Node:
                def __init__(self, parent: "Tree"):
                    self._parent = weakref.ref(parent)

                @property
                def parent(self):
                    return self._parent()

            class Tree:
                def __init__(self):
                    self.nodes: list[Node] = []
            """,
        ),
        Invalid(
            """
            import weakref

            class Node:
                def __init__(self, name, parent=None):
                    self.name = name
                    self.parent = parent
                    self.children = []

                def add(self, name):
                    child = Node(name, self)
                    self.children.append(child)
                    return child
            """,
            line=6,
            column=9,
            fixed="""
            import weakref

            class Node:
                def __init__(self, name, parent=None):
                    self.name = name
                    self._parent = weakref.ref(parent) if parent is not None else None
                    self.children = []

                @property
                def parent(self):
                    return self._parent() if self._parent is not None else None

                def add(self, name):
                    child = Node(name, self)
                    self.children.append(child)
                    return child
            """,
        ),
        Invalid(
            """
            class Tree:
                def add(self, child):
                    child.parent = self
                    self.children.append(child)
            """,
            line=3,
            column=9,
            message="child.parent = self while Tree keeps child",
        ),
        Invalid(
            """
            from typing import Optional

            class Item:
                def set_owner(self, owner: Optional["Inventory"]):
                    self.owner = owner

            class Inventory:
                items: "dict[str, Item]"
            """,
            line=5,
            column=9,
            message="Item.owner holds the Inventory",
        ),
    ]

    requires = (CLASSES,)

    def __init__(self, context: Context, options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(context, options)
        self._child_sides: List[_ChildSide] = []
        self._parent_sides: List[_ParentSide] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        target, value = node.targets[0].target, node.value
        if len(node.targets) != 1 or not isinstance(target, cst.Attribute) or not isinstance(value, cst.Name):
            return
        method = enclosing_function(self.context)
        instance = method.instance_parameter if method is not None else None
        if method is None or instance is None or not isinstance(target.value, cst.Name):
            return
        if target.value.value == instance:
            parameter = next((p for p in named_params(method.node.params) if p.name.value == value.value), None)
            if parameter is not None and parameter.name.value != instance:
                self._child_sides.append(_ChildSide(node, method, parameter, target.attr.value))
        elif value.value == instance:
            self._parent_sides.append(_ParentSide(node, method, target.value.value))

    def leave_Module(self, original_node: cst.Module) -> None:
        index = self.context.fact(CLASSES)
        for child_side in self._child_sides:
            self._check_child_side(index, child_side)
        for parent_side in self._parent_sides:
            self._check_parent_side(index, parent_side)

    # -- self.parent = parent, in the child's class ------------------------------

    def _check_child_side(self, index: ClassIndex, found: _ChildSide) -> None:
        child = index.module_class(found.method.owner) if found.method.owner is not None else None
        parent = self._parent_class(index, child, found) if child is not None else None
        if child is None or parent is None:
            return
        self.report(
            found.node,
            self._fix(index, found, child, parent),
            what=f"{child.name}.{found.attribute} holds the {parent.name} that keeps {child.name} instances",
            suggestion=f"store weakref.ref({found.parameter.name.value}) and read it through a property",
        )

    def _parent_class(self, index: ClassIndex, child: ClassInfo, found: _ChildSide) -> Optional[ClassInfo]:
        """The class of the module that keeps instances of ``child`` and whose
        instance the parameter holds: by the parameter's annotation, or, in
        ``__init__``, by the constructions that pass the instance there."""
        known = set(index.by_name)
        parameter = found.parameter
        annotation = parameter.annotation.annotation if parameter.annotation else None
        annotated = annotation_classes(annotation, known)
        if annotation is not None:
            annotated -= container_classes(annotation, known)  # a list of parents is not a parent
        for name in sorted(annotated):
            if index.holds(index.by_name[name], child.name):
                return index.by_name[name]
        if found.method.node.name.value != "__init__":
            return None
        passing = _passing(found.method.node, parameter.name.value)
        for name in sorted(known):
            slots = index.keeps_with_instance(index.by_name[name]).get(child.name, set())
            by_position = passing.position is not None and passing.position in slots
            if by_position or (passing.by_keyword and parameter.name.value in slots):
                return index.by_name[name]
        return None

    # -- child.parent = self, in the parent's class -------------------------------

    def _check_parent_side(self, index: ClassIndex, found: _ParentSide) -> None:
        method = index.method_of(found.method.node)
        if method is None or found.child not in method.kept_names:
            return
        target = found.node.targets[0].target
        assert isinstance(target, cst.Attribute) and found.method.owner is not None
        instance = found.method.instance_parameter
        self.report(
            found.node,
            what=f"{found.child}.{target.attr.value} = {instance} while {found.method.owner.name.value} keeps {found.child}",
            suggestion=f"store weakref.ref({instance}) in the child instead",
        )

    # -- the fix ----------------------------------------------------------------

    def _fix(self, index: ClassIndex, found: _ChildSide, child: ClassInfo, parent: ClassInfo) -> Optional[List[Edit]]:
        node, method, attr = found.node, found.method.node, found.attribute
        backing = f"_{attr}"
        if method.name.value != "__init__" or attr.startswith("_") or child.slots is not None:
            return None
        if parent.slots is not None and "__weakref__" not in parent.slots.name_set:
            return None  # weakref.ref(parent) would raise TypeError
        stores = child.stores
        if stores.get(attr, []) != [node] or backing in stores or {attr, backing} & child.names:
            return None
        if any(store is not node for store in index.attribute_stores.get(attr, [])):
            return None  # assigned or deleted elsewhere in the module: a setter would be needed
        optional = found.parameter.default is not None or _mentions_none(found.parameter.annotation)
        name = found.parameter.name.value
        reference = f"weakref.ref({name})" + (f" if {name} is not None else None" if optional else "")
        stored = node.with_changes(
            targets=[node.targets[0].with_changes(target=node.targets[0].target.with_changes(attr=cst.Name(backing)))],
            value=cst.parse_expression(reference),
        )
        dereference = f"self.{backing}()" + (f" if self.{backing} is not None else None" if optional else "")
        prop = cst.parse_statement(f"@property\ndef {attr}(self):\n    return {dereference}\n")
        prop = prop.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
        body = child.node.body.body
        index_of_method = list(body).index(method)
        new_method = method.deep_replace(node, stored)
        new_body = [*body[:index_of_method], new_method, prop, *body[index_of_method + 1:]]
        return [Replace(child.node.body, child.node.body.with_changes(body=new_body)), EnsureImport("weakref")]


def _passing(function: cst.FunctionDef, parameter: str) -> _Passing:
    """How ``parameter`` of ``__init__`` is passed: its position after the
    instance, and whether it can be passed by keyword."""
    positional = positional_params(function.params)
    for position, candidate in enumerate(positional[1:]):
        if candidate.name.value == parameter:
            return _Passing(position, candidate not in function.params.posonly_params)
    return _Passing(None, any(p.name.value == parameter for p in function.params.kwonly_params))


def _mentions_none(annotation: Optional[cst.Annotation]) -> bool:
    if annotation is None:
        return False
    text = cst.Module([]).code_for_node(annotation.annotation)
    return "Optional" in text or "None" in text

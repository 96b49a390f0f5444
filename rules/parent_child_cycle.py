from typing import Dict, List, Optional, Sequence

import libcst as cst
import libcst.matchers as m

from memlint.analysis import Fact
from memlint.rule import Applicability, EnsureImport, FixAvailability, Invalid, Replace, Rule, Valid

from ._classfacts import (
    FILL_METHODS,
    ClassFacts,
    annotation_classes,
    class_facts,
    container_classes,
    self_attribute,
    self_name,
    slot_position_of,
    walk_own_scope,
)


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

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Attribute):
            return
        if not isinstance(node.value, cst.Name):
            return
        found = self.context.enclosing_method_class()
        if found is None:
            return
        cls, method = found
        var = self_name(method)
        if var is None:
            return
        target = node.targets[0].target
        if self_attribute(target, var) is not None:
            self._check_child_side(node, cls, method, var)
        elif node.value.value == var and isinstance(target.value, cst.Name):  # type: ignore[union-attr]
            self._check_parent_side(node, cls, method, var)

    # -- self.parent = parent, in the child's class ------------------------------

    def _check_child_side(self, node: cst.Assign, cls: cst.ClassDef, method: cst.FunctionDef, var: str) -> None:
        param = _param(method, node.value.value)  # type: ignore[attr-defined]
        if param is None or param.name.value == var:
            return
        facts = class_facts(self.context)
        child = facts.get(cls.name.value)
        if child is None or child.node is not cls:
            return
        parent = self._parent_class(facts, child, method, param)
        if parent is None:
            return
        attr = node.targets[0].target.attr.value  # type: ignore[attr-defined]
        self.report(
            node,
            self._fix(node, child, method, param, attr, facts[parent]),
            what=f"{child.name}.{attr} holds the {parent} that keeps {child.name} instances",
            suggestion=f"store weakref.ref({param.name.value}) and read it through a property",
        )

    def _parent_class(self, facts: dict, child: ClassFacts, method: cst.FunctionDef, param: cst.Param) -> Optional[str]:
        annotation = param.annotation.annotation if param.annotation else None
        annotated = annotation_classes(annotation, set(facts))
        if annotation is not None:
            annotated -= container_classes(annotation, set(facts))  # a list of parents is not a parent
        for name in sorted(annotated):
            if facts[name].holds(child.name):
                return name
        if method.name.value != "__init__":
            return None
        position, by_keyword = slot_position_of(method, param.name.value)
        for name in sorted(facts):
            slots = facts[name].keeps_with_self.get(child.name, set())
            if (position is not None and position in slots) or (by_keyword and param.name.value in slots):
                return name
        return None

    # -- child.parent = self, in the parent's class -------------------------------

    def _check_parent_side(self, node: cst.Assign, cls: cst.ClassDef, method: cst.FunctionDef, var: str) -> None:
        target = node.targets[0].target
        child = target.value.value  # type: ignore[attr-defined]
        if child == var or not _keeps(method, child, var):
            return
        self.report(
            node,
            what=f"{child}.{target.attr.value} = {var} while {cls.name.value} keeps {child}",  # type: ignore[attr-defined]
            suggestion=f"store weakref.ref({var}) in the child instead",
        )

    # -- the fix ----------------------------------------------------------------

    def _fix(self, node: cst.Assign, child: ClassFacts, method: cst.FunctionDef, param: cst.Param,
             attr: str, parent: ClassFacts) -> Optional[List[object]]:
        backing = f"_{attr}"
        if method.name.value != "__init__" or attr.startswith("_") or child.slots is not None:
            return None
        if parent.slots is not None and "__weakref__" not in parent.slots:
            return None  # weakref.ref(parent) would raise TypeError
        if child.stores.get(attr, []) != [node] or backing in child.stores or {attr, backing} & child.class_names:
            return None
        if self._assigned_elsewhere(attr, node):
            return None
        optional = param.default is not None or _mentions_none(param.annotation)
        name = param.name.value
        reference = f"weakref.ref({name})" + (f" if {name} is not None else None" if optional else "")
        stored = node.with_changes(
            targets=[node.targets[0].with_changes(target=node.targets[0].target.with_changes(attr=cst.Name(backing)))],
            value=cst.parse_expression(reference),
        )
        dereference = f"self.{backing}()" + (f" if self.{backing} is not None else None" if optional else "")
        prop = cst.parse_statement(f"@property\ndef {attr}(self):\n    return {dereference}\n")
        prop = prop.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
        body = child.node.body.body
        index = list(body).index(method)
        new_method = method.visit(_ReplaceNode(node, stored))
        new_body = list(body[:index]) + [new_method, prop] + list(body[index + 1:])
        return [Replace(child.node.body, child.node.body.with_changes(body=new_body)), EnsureImport("weakref")]

    def _assigned_elsewhere(self, attr: str, node: cst.Assign) -> bool:
        """Any other store or deletion of ``.attr`` in the module (a setter would be needed)."""
        def is_attr(target: cst.CSTNode) -> bool:
            return isinstance(target, cst.Attribute) and target.attr.value == attr

        memo = self.context.fact(_ATTRIBUTE_STORES)
        if attr not in memo:
            memo[attr] = [
                n for n in m.findall(self.context.module, m.Assign() | m.AugAssign() | m.AnnAssign() | m.Del())
                if any(is_attr(t) for t in _targets(n))
            ]
        stores = memo[attr]
        return any(n is not node for n in stores)


# attribute name -> the statements of the module that store or delete it
_ATTRIBUTE_STORES: Fact[Dict[str, List[cst.CSTNode]]] = Fact("attribute stores", lambda context: {})


class _ReplaceNode(cst.CSTTransformer):
    def __init__(self, old: cst.CSTNode, new: cst.CSTNode) -> None:
        super().__init__()
        self.old, self.new = old, new

    def on_leave(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        return self.new if original_node is self.old else updated_node


def _param(function: cst.FunctionDef, name: str) -> Optional[cst.Param]:
    params = function.params
    for param in list(params.posonly_params) + list(params.params) + list(params.kwonly_params):
        if param.name.value == name:
            return param
    return None


def _mentions_none(annotation: Optional[cst.Annotation]) -> bool:
    if annotation is None:
        return False
    text = cst.Module([]).code_for_node(annotation.annotation)
    return "Optional" in text or "None" in text


def _targets(node: cst.CSTNode) -> Sequence[cst.CSTNode]:
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets]
    if isinstance(node, cst.Del):
        target = node.target
        return [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else [target]
    return [node.target]  # type: ignore[attr-defined]


def _keeps(method: cst.FunctionDef, child: str, var: str) -> bool:
    """Whether ``method`` keeps the object named ``child`` in an attribute of
    ``self`` (``self.kids.append(child)``, ``self.kids[k] = child``,
    ``self.first = child``) or iterates over one with ``for child in self.kids``."""
    for node in walk_own_scope(method.body):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if (
                node.func.attr.value in FILL_METHODS
                and node.args
                and m.matches(node.args[-1].value, m.Name(child))
                and _rooted_at_self(node.func.value, var)
            ):
                return True
        elif isinstance(node, cst.Assign) and m.matches(node.value, m.Name(child)):
            for target in node.targets:
                holder = target.target.value if isinstance(target.target, cst.Subscript) else target.target
                if _rooted_at_self(holder, var):
                    return True
        elif isinstance(node, cst.For) and m.matches(node.target, m.Name(child)) and _rooted_at_self(node.iter, var):
            return True
    return False


def _rooted_at_self(node: cst.CSTNode, var: str) -> bool:
    """``self.x`` or ``self.x.y`` (not ``self`` itself)."""
    if not isinstance(node, cst.Attribute):
        return False
    while isinstance(node, cst.Attribute):
        node = node.value
    return m.matches(node, m.Name(var))

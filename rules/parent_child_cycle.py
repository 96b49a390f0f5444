from typing import Optional

import libcst as cst

from memlint.analysis.classes import (
    CLASSES, BackReference, ClassIndex, ClassInfo, Method, ParameterStore, annotation_classes, container_classes,
)
from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid

from ._lifetime_cycle import broken, drops_kept, passed_elsewhere, reaching, used_as_class, weak_parent_fix
from ._lifetime_weak import weakly_referenceable


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

    Not reported: a reference made with `weakref.ref` or `weakref.proxy`; a
    cycle the code breaks itself outside the constructors (the child unlinks
    its parent, `self.parent = None` or `del self.parent` in `remove()`, or the
    parent drops the children, resetting or emptying every attribute that
    holds them in `stop()`/`close()`, also where the method that links a
    child keeps it: `self.current = p` reset by a completion callback,
    `self.protocols[name] = p` deleted when the process ends; a release in a
    method inherited from a class of the module counts); a "parent" that is a class object
    (the method reads its `__name__` or passes it to `issubclass`: classes are
    cyclic and live for the process anyway); an annotated parameter that the
    module's own constructions of the child never fill with a keeper's
    instance (a graph's next state, not the state that holds the plan).

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
    the parent's class must support weak references: when the project index
    shows it does not (a `tuple` or `int` subclass, slots without
    `__weakref__`, also in a subclass), the fix is withheld and the message
    advises setting the link to `None` when the child is done.

    ## Known problems
    Only the module's top-level classes are analysed: dataclass fields
    (`parent: Optional["Node"]` with no `__init__`), nested classes and parents
    from other modules are not seen. A cycle is taken as broken when some
    method outside the constructors breaks it, whether or not every child's
    life reaches that method.

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
            class Tree:
                def attach(self, child):
                    child.parent = self
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
            class Tree:
                def add(self, child):
                    child.parent = self
                    self.children.append(child)
            """,
            line=3,
            column=9,
            message="child.parent = self while Tree keeps child",
        ),
    ]

    requires = (CLASSES,)
    triggers = ("class",)  # every finding is about a class

    def leave_Module(self, original_node: cst.Module) -> None:
        index = self.context.fact(CLASSES)
        for info in index.classes.values():
            for method in info.methods:
                for stored in method.stored_parameters:
                    self._check_child_side(index, info, method, stored)
                for reference in method.back_references:
                    if reference.holder in method.kept_names:
                        self._report_parent_side(info, method, reference)

    # -- self.parent = parent, in the child's class ------------------------------

    def _check_child_side(self, index: ClassIndex, child: ClassInfo, method: Method, stored: ParameterStore) -> None:
        parent = self._parent_class(index, child, method, stored.parameter) if index.module_class(child.node) else None
        if parent is None or broken(index, child, parent, stored.attribute):
            return
        weak = weakly_referenceable(self.context.project, parent) is not False
        self.report(
            stored.statement,
            weak_parent_fix(index, child, method, stored, parent) if weak else None,
            what=f"{child.name}.{stored.attribute} holds the {parent.name} that keeps {child.name} instances",
            suggestion=(
                f"store weakref.ref({stored.parameter.name.value}) and read it through a property" if weak
                else _unlink(parent, f"self.{stored.attribute}")
            ),
        )

    def _parent_class(
        self, index: ClassIndex, child: ClassInfo, method: Method, parameter: cst.Param
    ) -> Optional[ClassInfo]:
        """The class of the module that keeps instances of ``child`` and whose
        instance the parameter holds: by the parameter's annotation, or, in
        ``__init__``, by the constructions that pass the instance there."""
        classes = index.by_name
        annotation = parameter.annotation
        if annotation is not None:
            named = annotation_classes(annotation.annotation, index.names)
            named -= container_classes(annotation.annotation, index.names)  # a list of parents is not a parent
            holder = next((classes[name] for name in sorted(named) if index.holds(classes[name], child.name)), None)
            if holder is not None and not passed_elsewhere(index, child, method, parameter):
                return holder
        if method.name != "__init__":
            return None
        reach = reaching(method.site.node, parameter)
        return next((holder for holder, slots in index.keepers_of(child.name) if reach & slots), None)

    # -- child.parent = self, in the parent's class -------------------------------

    def _report_parent_side(self, parent: ClassInfo, method: Method, reference: BackReference) -> None:
        if used_as_class(self.context.scope_info(method.site.node), reference.holder):
            return  # `cls._meta = self`: a class object, already cyclic and kept for the process
        index = self.context.fact(CLASSES)
        if any(reference.attribute in info.releases for info in index.classes.values()):
            return  # some class unlinks `<child>.<attribute>` itself
        if drops_kept(index, parent, method, reference.holder):
            return  # the parent lets go of the child itself (`self.current = None` once it is done)
        instance = method.site.instance_parameter
        weak = weakly_referenceable(self.context.project, parent) is not False
        self.report(
            reference.statement,
            what=f"{reference.holder}.{reference.attribute} = {instance} while {parent.name} keeps {reference.holder}",
            suggestion=(
                f"store weakref.ref({instance}) in the child instead" if weak
                else _unlink(parent, f"{reference.holder}.{reference.attribute}")
            ),
        )


def _unlink(parent: ClassInfo, link: str) -> str:
    """The advice when ``weakref.ref`` rejects the parent (a ``tuple`` or ``int``
    subclass, slots without ``__weakref__``): a weak reference is no option."""
    return f"{parent.name} instances cannot be weakly referenced: set {link} to None when the child is done"

from memlint.rule import Applicability, FixAvailability, Invalid, Valid

from ._resources import ResourceRule


class UnclosedResource(ResourceRule):
    """
    TODO
    """

    code = "MEM501"
    name = "unclosed-resource"
    message = "unclosed {resource}: {advice}"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    VALID = []
    INVALID = []

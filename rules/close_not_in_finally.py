from memlint.rule import Applicability, FixAvailability, Invalid, Valid

from ._resources import ResourceRule


class CloseNotInFinally(ResourceRule):
    """
    TODO
    """

    code = "MEM502"
    name = "close-not-in-finally"
    message = "{resource} is released outside a finally block: {advice}"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    VALID = []
    INVALID = []

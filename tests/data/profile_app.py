"""A program whose memory costs are known in advance (tests/test_profile.py)."""
import functools
import sys
import time


class Many:
    """A point."""

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5


class Few:
    """A point."""

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5


@functools.lru_cache(maxsize=None)
def grown(n):
    return n * 2


@functools.lru_cache(maxsize=None)
def unused(n):
    return n


def leak_many():
    for _ in range(1000):
        open(__file__).read()


def leak_once():
    open(__file__).read()


def never():
    return sum([i for i in range(int("10"))])


def main():
    many = [Many(i, i) for i in range(100000)]
    few = [Few(i, i) for i in range(10)]
    for i in range(10000):
        grown(i)
    leak_many()
    leak_once()
    time.sleep(2)  # the working set stays at its peak a while, as a real program's does
    print("done", len(many), len(few))
    sys.stdout.flush()
    sys.exit(3)


main()

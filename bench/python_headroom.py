"""python_headroom.py - how much deeper than a plain `next(g)` statement
CPython resumes a generator from each usual calling context: the headroom
the Python module needs (python/cg: DEFAULT_HEADROOM; README.md, "Python").

    CG_LIBRARY=build/libcg.so CG_TEST_GENERATORS=build/test/libcg-test-generators.so \
        PYTHONPATH=python python3 bench/python_headroom.py

For each context, the smallest headroom with which a generator started by
a `next(g)` statement can be resumed from there, found by bisection: a
resume from deeper than the headroom is refused (cg.Status.ETOODEEP).
"""

import ctypes
import os
import platform
import sys

import cg

counter = ctypes.CDLL(os.environ["CG_TEST_GENERATORS"]).counter
libc = ctypes.CDLL(None)
Compare = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


def in_a_for_loop(g):
    for _ in g:
        return


def in_list(g):
    list(map(lambda value: None, [g]))  # list() calls the lambda through map's C slot
    list(next(g) for _ in range(1))


def in_sorted_map(g):
    sorted(map(lambda _: next(g), range(2)))


def in_sum_of_a_generator_expression(g):
    sum(next(g) for _ in range(1))


def in_a_c_callback(g):
    numbers = (ctypes.c_int * 2)(1, 0)
    raised = []

    def compare(a, b):
        try:
            next(g)
        except cg.Error as error:  # ctypes would print and drop it
            raised.append(error)
        return 0

    libc.qsort(numbers, 2, ctypes.sizeof(ctypes.c_int), Compare(compare))
    if raised:
        raise raised[0]


def in_a_c_callback_inside_sorted_map(g):
    sorted(map(lambda _: in_a_c_callback(g), range(1)))


def in_a_method_called_through_a_c_slot(g):
    class Sized:
        def __len__(self):
            next(g)
            return 0

    len(Sized())


def in_python_recursion(g, depth=50):
    if depth == 0:
        next(g)
    else:
        in_python_recursion(g, depth - 1)


def in_another_generator(g):
    def outer():
        yield next(g)

    next(outer())


contexts = [
    ("a `next(g)` statement, as the first resume", lambda g: next(g)),
    ("a `for` loop", in_a_for_loop),
    ("`list()` of a generator expression", in_list),
    ("`sorted(map(...))`", in_sorted_map),
    ("`sum()` of a generator expression", in_sum_of_a_generator_expression),
    ("a Python generator", in_another_generator),
    ("50 levels of Python recursion", in_python_recursion),
    ("a callback from C (`qsort` through ctypes)", in_a_c_callback),
    ("a method called through a C slot (`len()`)", in_a_method_called_through_a_c_slot),
    ("that callback inside `sorted(map(...))`", in_a_c_callback_inside_sorted_map),
]


def resumes(context, headroom):
    g = cg.Generator(counter, 0, 1 << 30, headroom=headroom)
    next(g)  # the first resume: a statement, here
    try:
        context(g)
        return True
    except cg.Error as error:
        if error.code != cg.Status.ETOODEEP:
            raise
        return False
    finally:
        g.close()


def needed_headroom(context, most=1 << 20):
    low, high = 0, most  # resumes(high) must hold
    if not resumes(context, high):
        return None
    while low < high:
        middle = (low + high) // 2
        if resumes(context, middle):
            high = middle
        else:
            low = middle + 1
    return low


def main():
    print(f"CPython {platform.python_version()} ({sys.executable}), {platform.machine()}")
    print("| resumed from | headroom needed (bytes) |")
    print("|---|---|")
    for name, context in contexts:
        needed = needed_headroom(context)
        print(f"| {name} | {'more than 1 MiB' if needed is None else needed} |")


if __name__ == "__main__":
    main()

"""The Python module (python/cg): C generators driven as Python iterators.

Run by `meson test --suite python` with CG_LIBRARY naming the built libcg
and CG_TEST_GENERATORS the library of generators.c; python/ on PYTHONPATH.
"""

import collections.abc
import ctypes
import gc
import operator
import os
import subprocess
import sys
import tempfile
import threading
import unittest

import cg

generators = ctypes.CDLL(os.environ["CG_TEST_GENERATORS"])
counter, accumulate, call_back, deep = generators.counter, generators.accumulate, generators.call_back, generators.deep
deep_then_shallow, throws_after_one = generators.deep_then_shallow, generators.throws_after_one
Callback = ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.c_size_t)


class Protocol(unittest.TestCase):
    def test_a_for_loop_takes_every_value_and_the_return_value(self):
        g = cg.Generator(counter, 3, 6)
        self.assertEqual([value for value in g], [3, 4, 5])
        self.assertEqual(g.result, 6)
        self.assertTrue(g.done)

    def test_stop_iteration_carries_the_return_value_once(self):
        g = cg.Generator(counter, 0, 1)
        self.assertEqual(next(g), 0)
        with self.assertRaises(StopIteration) as stop:
            next(g)
        self.assertEqual(stop.exception.value, 1)
        with self.assertRaises(StopIteration) as again:
            next(g)
        self.assertIsNone(again.exception.value)  # as Python's own generators

    def test_list_map_and_sorted_drive_it(self):
        self.assertEqual(list(cg.Generator(counter, 0, 4)), [0, 1, 2, 3])
        self.assertEqual(sorted(map(operator.neg, cg.Generator(counter, 0, 4))), [-3, -2, -1, 0])
        self.assertEqual(sum(cg.Generator(counter, 1, 101)), 5050)

    def test_send_delivers_values_that_cg_yield_returns(self):
        g = cg.Generator(accumulate, 10)
        self.assertEqual(next(g), 10)
        self.assertEqual(g.send(5), 15)
        self.assertEqual(g.send(2**40), 15 + 2**40)
        with self.assertRaises(StopIteration) as stop:
            g.send(0)
        self.assertEqual(stop.exception.value, 15 + 2**40)

    def test_a_value_sent_before_the_start_is_refused_and_changes_nothing(self):
        g = cg.Generator(accumulate, 7)
        with self.assertRaises(TypeError):
            g.send(3)
        self.assertFalse(g.started)
        self.assertEqual(g.send(None), 7)
        self.assertTrue(g.started)

    def test_recursion_in_python_resumes_from_each_level(self):
        def drain(g, level):
            try:
                value = next(g)
            except StopIteration:
                return []
            return [(level, value)] + drain(g, level + 1)

        self.assertEqual(drain(cg.Generator(counter, 0, 5), 0), [(i, i) for i in range(5)])

    def test_an_address_is_a_body_too(self):
        address = ctypes.cast(counter, ctypes.c_void_p).value
        self.assertEqual(list(cg.Generator(address, 1, 3)), [1, 2])
        self.assertEqual(list(cg.Generator(ctypes.c_void_p(address), 1, 3)), [1, 2])

    def test_values_take_all_64_bits(self):
        g = cg.Generator(accumulate, 0)
        self.assertEqual(next(g), 0)
        self.assertEqual(g.send(2**63), 2**63)
        self.assertEqual(g.send(2**63 - 1), 2**64 - 1)
        with self.assertRaises(StopIteration) as stop:
            g.send(0)
        self.assertEqual(stop.exception.value, 2**64 - 1)
        self.assertEqual(list(cg.Generator(counter, 2**64 - 3, 2**64 - 1)), [2**64 - 3, 2**64 - 2])

    def test_a_value_that_is_no_uintptr_is_refused_and_changes_nothing(self):
        g = cg.Generator(accumulate, 1)
        next(g)
        for value, error in ((-1, OverflowError), (2**64, OverflowError), ("2", TypeError), (1.0, TypeError)):
            with self.assertRaises(error):
                g.send(value)
        self.assertEqual(g.send(2), 3)  # nothing was delivered
        for arguments, error in (((counter, -1), OverflowError), ((counter, 0, 2**64), OverflowError),
                                 ((counter, 0, 1.5), TypeError), ((2**64,), OverflowError), ((0,), ValueError),
                                 ((ctypes.c_void_p(),), ValueError)):
            with self.assertRaises(error):
                cg.Generator(*arguments)
        with self.assertRaises(TypeError):
            cg.Generator(counter, 0, 1, headroom=1.5)

    def test_it_is_a_collections_abc_generator_and_throw_closes_it(self):
        g = cg.Generator(counter, 0, 5)
        self.assertIsInstance(g, collections.abc.Generator)
        next(g)
        with self.assertRaises(KeyError):
            g.throw(KeyError("raised here"))
        self.assertTrue(g.done)
        with self.assertRaises(StopIteration):
            next(g)


class Lifetime(unittest.TestCase):
    def test_close_and_with_destroy_a_suspended_generator(self):
        with cg.Generator(deep, 50) as g:
            self.assertEqual(next(g), 0)
            self.assertFalse(g.done)
        self.assertTrue(g.done)
        with self.assertRaises(StopIteration):
            next(g)
        g.close()  # again: nothing
        with self.assertRaises(ValueError):
            g.slice_size

    def test_state_slice_and_buffer(self):
        g = cg.Generator(deep, 100)
        self.assertFalse(g.started)
        self.assertEqual(g.slice_size, 0)
        next(g)
        self.assertTrue(g.started)
        self.assertFalse(g.done)
        self.assertGreater(g.slice_size, 100 * 16)  # a frame per level
        self.assertGreaterEqual(g.buffer_capacity, g.slice_size)
        self.assertEqual(next(g), 1)
        with self.assertRaises(StopIteration) as stop:
            next(g)
        self.assertEqual(stop.exception.value, 100 * 101 // 2)
        self.assertTrue(g.done)

    def test_trim_buffers_gives_back_what_a_deep_yield_left(self):
        g = cg.Generator(deep_then_shallow, 200)
        self.assertEqual(next(g), 0)  # deep: the buffer grows
        self.assertEqual(next(g), 1)  # shallow: the buffer stays (one shallow yield is not enough to shrink it)
        before = g.buffer_capacity
        self.assertGreater(before, 2 * g.slice_size)
        given_back = cg.trim_buffers()
        self.assertLess(g.buffer_capacity, before)
        self.assertGreaterEqual(given_back, before - g.buffer_capacity)
        self.assertGreaterEqual(g.buffer_capacity, g.slice_size)
        self.assertEqual(next(g), 2)  # and the slice came back intact

    def test_labels(self):
        g = cg.Generator(counter, 0, 2)
        self.assertEqual(g.label, "")
        g.label = "tokenizer #1"
        self.assertEqual(g.label, "tokenizer #1")
        g.label = None
        self.assertEqual(g.label, "")

    def test_backtrace_names_the_c_functions(self):
        g = cg.Generator(deep, 3)
        next(g)
        try:
            frames = g.backtrace()
        except cg.Error as error:
            if error.code == cg.Status.EUNAVAILABLE:
                self.skipTest("libunwind is not installed")
            raise
        names = [frame.function for frame in frames]
        # Where it waits: in descend, at its call of cg_yield. An optimized
        # cg_yield tail-calls the trampoline and leaves no frame; amd64's
        # trampoline leaves none either, and resumes into descend itself
        # (aarch64's keeps one: cg_arch_suspend_receiving).
        yield_path = ("cg_yield", "cg_arch_suspend_receiving")
        self.assertIn(names[0], yield_path + ("descend",))
        self.assertEqual([name for name in names if name not in yield_path][0], "descend")
        self.assertEqual(names.count("descend"), 4)  # called from depth 3 down to 0
        self.assertTrue(all(frame.pc and frame.sp for frame in frames))
        self.assertEqual(cg.Generator(counter, 0, 1).backtrace(), [])  # not started: nothing

    def test_snapshot_writes_the_generators_for_cg_dump(self):
        g = cg.Generator(counter, 0, 5)
        g.label = "in the snapshot"
        next(g)
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "python.cgsnap")
            cg.snapshot(path)
            with open(path, "rb") as file:
                content = file.read()
        self.assertTrue(content.startswith(b"CGSNAP\x1a\n"))
        self.assertIn(b"in the snapshot", content)
        with self.assertRaises(cg.Error) as failure:
            cg.snapshot("/nonexistent-directory/x.cgsnap")
        self.assertEqual(failure.exception.code, cg.Status.EIO)


class Errors(unittest.TestCase):
    def test_resuming_or_closing_a_running_generator_from_a_callback_inside_it(self):
        raised = []

        def from_inside(value):
            self.assertTrue(g.started)
            for action in (lambda: next(g), g.close, lambda: g.send(1)):
                try:
                    action()
                except cg.Error as error:
                    raised.append(error)
            return value * 3

        callback = Callback(from_inside)
        g = cg.Generator(call_back, ctypes.cast(callback, ctypes.c_void_p).value, 14)
        self.assertEqual(next(g), 42)
        self.assertEqual([error.code for error in raised], [cg.Status.ERUNNING] * 3)
        self.assertIn("running", str(raised[0]))
        with self.assertRaises(StopIteration) as stop:  # and it goes on
            next(g)
        self.assertEqual(stop.exception.value, 43)

    def test_resuming_from_another_thread(self):
        g = cg.Generator(counter, 0, 3)
        self.assertEqual(next(g), 0)
        raised = []

        def resume():
            try:
                next(g)
            except cg.Error as error:
                raised.append(error)

        thread = threading.Thread(target=resume)
        thread.start()
        thread.join()
        self.assertEqual([error.code for error in raised], [cg.Status.ETHREAD])
        self.assertEqual(next(g), 1)  # unchanged: the owner goes on

    def test_a_generator_nobody_started_may_start_in_another_thread(self):
        g = cg.Generator(counter, 0, 3)
        values = []
        thread = threading.Thread(target=lambda: values.extend(g))
        thread.start()
        thread.join()
        self.assertEqual(values, [0, 1, 2])

    def test_a_resume_deeper_than_the_headroom(self):
        for headroom, refused in ((0, True), (None, False)):  # sorted(map()) resumes some 700 bytes deeper
            g = cg.Generator(counter, 0, 3, headroom=headroom)
            self.assertEqual(next(g), 0)
            if refused:
                with self.assertRaises(cg.Error) as failure:
                    sorted(map(lambda _: next(g), range(1)))
                self.assertEqual(failure.exception.code, cg.Status.ETOODEEP)
                self.assertEqual(next(g), 1)  # unchanged: from where it started, it goes on
            else:
                self.assertEqual(sorted(map(lambda _: next(g), range(1))), [1])

    def test_an_exception_that_escapes_the_body_finishes_it(self):
        g = cg.Generator(throws_after_one)
        self.assertEqual(next(g), 1)
        with self.assertRaises(cg.Error) as failure:
            next(g)
        self.assertEqual(failure.exception.code, cg.Status.EEXCEPTION)
        self.assertTrue(g.done)
        with self.assertRaises(StopIteration):
            next(g)

    def test_errors_pickle(self):
        import pickle

        error = pickle.loads(pickle.dumps(cg.Error(cg.Status.ETHREAD)))
        self.assertEqual((error.code, str(error)), (cg.Status.ETHREAD, str(cg.Error(cg.Status.ETHREAD))))

    def test_the_garbage_collector_destroys_a_suspended_generator_on_any_thread(self):
        g = cg.Generator(counter, 0, 10)
        g.label = "collected on another thread"
        next(g)
        holder = [g]
        del g
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "before.cgsnap")
            cg.snapshot(path)
            with open(path, "rb") as file:
                self.assertIn(b"collected on another thread", file.read())
            thread = threading.Thread(target=holder.clear)  # the last reference goes there
            thread.start()
            thread.join()
            gc.collect()
            cg.snapshot(path)
            with open(path, "rb") as file:
                self.assertNotIn(b"collected on another thread", file.read())

    def test_the_headroom_is_checked(self):
        with self.assertRaises(cg.Error) as failure:
            cg.Generator(counter, 0, 1, headroom=1 << 40)
        self.assertEqual(failure.exception.code, cg.Status.EINVAL)

    def test_out_of_memory(self):
        # In a process of its own: the allocator is process-wide, and no
        # generator may exist while it changes.
        program = """
import ctypes, os, cg
counter = ctypes.CDLL(os.environ["CG_TEST_GENERATORS"]).counter
Allocate = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
Deallocate = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
failing, unused = Allocate(lambda size, context: None), Deallocate(lambda memory, size, context: None)
cg.library.cg_set_allocator.argtypes = [Allocate, Deallocate, ctypes.c_void_p]
cg.library.cg_set_allocator(failing, unused, None)
try:
    cg.Generator(counter, 0, 1)
except cg.Error as error:
    print(error.code.name)
cg.library.cg_set_allocator(Allocate(), Deallocate(), None)  # malloc again
print(list(cg.Generator(counter, 0, 2)))
"""
        run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
        self.assertEqual((run.returncode, run.stdout), (0, "ENOMEM\n[0, 1]\n"), run.stderr)

    def test_a_python_callable_is_refused_with_the_reason(self):
        def body(a, b):
            return a

        for function in (body, Callback(lambda value: value), len):
            with self.assertRaises(TypeError) as refusal:
                cg.Generator(function)
            self.assertIn("interpreter", str(refusal.exception))
        with self.assertRaises(TypeError):
            cg.Generator("counter")


class Contexts(unittest.TestCase):
    """The default headroom covers resumes from the usual calling contexts."""

    def started(self):
        g = cg.Generator(counter, 0, 1000)
        next(g)
        return g

    def test_from_a_c_callback(self):
        g = self.started()
        libc = ctypes.CDLL(None)
        Compare = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))
        resumed = []

        def compare(a, b):
            resumed.append(next(g))
            return a[0] - b[0]

        numbers = (ctypes.c_int * 4)(3, 1, 2, 0)
        libc.qsort(numbers, 4, ctypes.sizeof(ctypes.c_int), Compare(compare))
        self.assertEqual(list(numbers), [0, 1, 2, 3])
        self.assertEqual(resumed, list(range(1, len(resumed) + 1)))

    def test_from_a_method_called_through_a_c_slot(self):
        g = self.started()

        class Sized:
            def __len__(self):
                return next(g)

        self.assertEqual(len(Sized()), 1)

    def test_from_sorted_with_a_key(self):
        g = self.started()
        self.assertEqual(sorted(range(5), key=lambda x: (next(g), x)[1]), list(range(5)))


if __name__ == "__main__":
    unittest.main(verbosity=2)

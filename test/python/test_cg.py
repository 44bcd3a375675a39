"""The Python module (python/cg): C generators driven as Python iterators.

Run by `meson test --suite python` with CG_LIBRARY naming the built libcg
and CG_TEST_GENERATORS the library of generators.c; python/ on PYTHONPATH.
"""

import ctypes
import operator
import os
import tempfile
import threading
import unittest

import cg

generators = ctypes.CDLL(os.environ["CG_TEST_GENERATORS"])
counter, accumulate, call_back, deep = generators.counter, generators.accumulate, generators.call_back, generators.deep
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
        g = cg.Generator(deep, 200)
        next(g)
        self.assertGreaterEqual(cg.trim_buffers(), 0)
        self.assertEqual(g.buffer_capacity, g.slice_size)
        self.assertEqual(next(g), 1)

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
        self.assertEqual(names[0], "cg_yield")  # where it waits: in the yield
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
    def test_resuming_a_running_generator_from_a_callback_inside_it(self):
        raised = []

        def from_inside(value):
            try:
                next(g)
            except cg.Error as error:
                raised.append(error)
            return value * 3

        callback = Callback(from_inside)
        g = cg.Generator(call_back, ctypes.cast(callback, ctypes.c_void_p).value, 14)
        self.assertEqual(next(g), 42)
        self.assertEqual(len(raised), 1)
        self.assertEqual(raised[0].code, cg.Status.ERUNNING)
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
        g = cg.Generator(counter, 0, 3, headroom=0)
        self.assertEqual(next(g), 0)
        # Through a C callback the resume comes from deeper in the stack.
        from_callback = []

        def resume(value):
            try:
                next(g)
            except cg.Error as error:
                from_callback.append(error.code)
            return value

        callback = Callback(resume)
        helper = cg.Generator(call_back, ctypes.cast(callback, ctypes.c_void_p).value, 1)
        next(helper)
        self.assertEqual(from_callback, [cg.Status.ETOODEEP])
        self.assertEqual(next(g), 1)  # unchanged: from where it started, it goes on

    def test_the_headroom_is_checked(self):
        with self.assertRaises(cg.Error) as failure:
            cg.Generator(counter, 0, 1, headroom=1 << 40)
        self.assertEqual(failure.exception.code, cg.Status.EINVAL)

    def test_out_of_memory(self):
        import gc

        gc.collect()  # no generator may exist while the allocator changes
        Allocate = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
        Deallocate = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
        failing, unused = Allocate(lambda size, context: None), Deallocate(lambda memory, size, context: None)
        cg.library.cg_set_allocator.argtypes = [Allocate, Deallocate, ctypes.c_void_p]
        cg.library.cg_set_allocator(failing, unused, None)
        try:
            with self.assertRaises(cg.Error) as failure:
                cg.Generator(counter, 0, 1)
        finally:
            cg.library.cg_set_allocator(Allocate(), Deallocate(), None)  # malloc again
        self.assertEqual(failure.exception.code, cg.Status.ENOMEM)
        self.assertEqual(list(cg.Generator(counter, 0, 2)), [0, 1])

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

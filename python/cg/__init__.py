"""cg for Python: generators written in C, driven as Python iterators.

A body is a C function ``uintptr_t f(uintptr_t, uintptr_t)`` that yields
with ``cg_yield`` (README.md, "Python")::

    import ctypes, cg
    library = ctypes.CDLL("./libtokens.so")
    with cg.Generator(library.tokens, 1, 2) as tokens:
        for token in tokens:
            print(token)

The module wraps the C API (cg.h) through ctypes. Its rules:

- A body is C code. A Python callable cannot be one: while the body runs,
  its frames lie on the stack of whoever resumed it, and at a yield they are
  copied away; the interpreter keeps per-thread state that points into the
  frames of its C stack, which a Python frame suspended that way would leave
  pointing at bytes that have moved (greenlet saves that state, version by
  version of CPython, to do so).
- A generator is resumed by the thread that started it (cg.Error with
  Status.ETHREAD otherwise), and not from inside itself (Status.ERUNNING).
- Python calls cg_resume from C stack depths that depend on where the call
  is made (a for loop, list(), a callback from C): the home a generator
  gets below its first resumer leaves room for that (DEFAULT_HEADROOM,
  measured as README.md shows; Status.ETOODEEP if a resume comes deeper).
"""

import collections.abc
import ctypes
import enum
import os
from collections import namedtuple

__all__ = ["Generator", "Error", "Status", "Frame", "snapshot", "trim_buffers", "library", "DEFAULT_HEADROOM"]

# How far below the first resumer's stack pointer a generator's home begins.
# On CPython 3.11 a resume from a callback from C comes 2.5 KiB deeper than
# a `next(g)` statement, the deepest of the usual contexts, and nested
# contexts add up (README.md, "Python"; bench/python_headroom.py): three
# times that. It costs no memory, only stack the thread has anyway.
DEFAULT_HEADROOM = 8192


class Status(enum.IntEnum):
    """The C API's statuses (enum cg_status in cg.h)."""

    OK = 0
    ERUNNING = 1
    EFINISHED = 2
    ETOODEEP = 3
    ETHREAD = 4
    EOUTSIDE = 5
    ETYPE = 6
    ENOMEM = 7
    EINVAL = 8
    EEXCEPTION = 9
    EUNAVAILABLE = 10
    EIO = 11


class Error(Exception):
    """A status other than OK from the C library: .code (a Status) and its message."""

    def __init__(self, code, message=None):
        code = Status(code)
        super().__init__(code, message if message is not None else _strerror(code))
        self.code = code
        self.message = self.args[1]

    def __str__(self):
        return f"{self.message} ({self.code.name})"


Frame = namedtuple("Frame", "pc sp offset function")
Frame.__doc__ = "One frame of a suspended generator, innermost first (cg_frame in cg.h)."


class _CFrame(ctypes.Structure):
    _fields_ = [
        ("pc", ctypes.c_size_t),
        ("sp", ctypes.c_size_t),
        ("offset", ctypes.c_size_t),
        ("function", ctypes.c_char * 232),
    ]


def _library_path():
    """The libcg this package was installed with, else $CG_LIBRARY, else the system's."""
    try:
        from ._installed import LIBRARY  # written by meson install
    except ImportError:
        LIBRARY = None
    if LIBRARY is not None and os.path.exists(LIBRARY):
        return LIBRARY
    return os.environ.get("CG_LIBRARY") or "libcg.so.0"


def _load(path):
    lib = ctypes.CDLL(path)
    uintptr = ctypes.c_size_t
    generator = ctypes.c_void_p
    prototypes = {
        "cg_create": (generator, [ctypes.c_void_p, uintptr, uintptr]),
        "cg_set_headroom": (ctypes.c_int, [generator, ctypes.c_size_t]),
        "cg_resume": (ctypes.c_int, [generator, uintptr, ctypes.POINTER(uintptr)]),
        "cg_is_done": (uintptr, [generator]),
        "cg_slice_size": (ctypes.c_size_t, [generator]),
        "cg_buffer_capacity": (ctypes.c_size_t, [generator]),
        "cg_trim_buffers": (ctypes.c_size_t, []),
        "cg_destroy": (None, [generator]),
        "cg_set_label": (ctypes.c_int, [generator, ctypes.c_char_p]),
        "cg_get_label": (ctypes.c_size_t, [generator, ctypes.c_char_p, ctypes.c_size_t]),
        "cg_backtrace": (ctypes.c_int, [generator, ctypes.POINTER(_CFrame), ctypes.c_int]),
        "cg_snapshot": (ctypes.c_int, [ctypes.c_char_p]),
        "cg_strerror": (ctypes.c_char_p, [ctypes.c_int]),
    }
    for name, (result, arguments) in prototypes.items():
        function = getattr(lib, name)
        function.restype = result
        function.argtypes = arguments
    return lib


library = _load(_library_path())


def _strerror(code):
    return library.cg_strerror(int(code)).decode()


def _check(status):
    if status != Status.OK:
        raise Error(status)


_UINTPTR_LIMIT = 1 << (8 * ctypes.sizeof(ctypes.c_void_p))


def _uintptr(value, what):
    """`value` as a uintptr_t: an int from 0 to 2**64 - 1, else an error (never wrapped)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not 0 <= value < _UINTPTR_LIMIT:
        raise OverflowError(f"{what} must be from 0 to {_UINTPTR_LIMIT - 1}, not {value}")
    return value


def _is_python_callback(function):
    # A ctypes function made from a Python callable keeps the thunk that
    # calls it; one loaded from a library keeps only the library. (Its
    # address, wrapped again, cannot be told apart from C code.)
    objects = getattr(function, "_objects", None) or {}
    return any(type(kept).__name__ == "CThunkObject" for kept in objects.values())


def _address_of(function):
    if isinstance(function, ctypes._CFuncPtr):
        if _is_python_callback(function):
            raise TypeError(_PYTHON_BODY)
        address = ctypes.cast(function, ctypes.c_void_p).value
    elif isinstance(function, ctypes.c_void_p):
        address = function.value
    elif isinstance(function, int) and not isinstance(function, bool):
        address = _uintptr(function, "a function address")
    elif callable(function):
        raise TypeError(_PYTHON_BODY)
    else:
        raise TypeError(f"a generator body is a C function (a ctypes function or an address), "
                        f"not {type(function).__name__}")
    if not address:
        raise ValueError("a generator body cannot be a null function")
    return address


_PYTHON_BODY = (
    "a generator body must be C code, not a Python callable: the interpreter keeps per-thread "
    "state that points into its C stack, and a stack-copying switch moves those frames "
    "(greenlet solves this by saving that state for each CPython version)"
)


class Generator(collections.abc.Generator):
    """A C function run as a generator: next(g) resumes it with 0, g.send(v)
    with v; StopIteration.value (and g.result) is its return value."""

    def __init__(self, function, arg1=0, arg2=0, *, headroom=None):
        self._handle = None
        self._started = False
        self._running = False
        self._finished = False
        self.result = None
        address = _address_of(function)
        arguments = _uintptr(arg1, "arg1"), _uintptr(arg2, "arg2")
        headroom = _uintptr(DEFAULT_HEADROOM if headroom is None else headroom, "headroom")
        handle = library.cg_create(address, *arguments)
        if not handle:
            raise Error(Status.ENOMEM)
        status = library.cg_set_headroom(handle, headroom)
        if status != Status.OK:
            library.cg_destroy(handle)
            raise Error(status)
        self._handle = handle

    # The generator protocol.
    def __iter__(self):
        return self

    def __next__(self):
        return self.send(0)

    def send(self, value):
        """Resumes with `value` (None is 0), which the pending cg_yield returns;
        returns the next yielded value, or raises StopIteration."""
        value = _uintptr(0 if value is None else value, "a value sent")
        if self._running:
            raise Error(Status.ERUNNING)
        if self._handle is None or self._finished:
            raise StopIteration
        if not self._started and value != 0:
            raise TypeError("can't send a value to a generator that has not started: nothing waits for it")
        out = ctypes.c_size_t()
        self._running = True  # under the GIL: another thread's close() or send() sees it
        try:
            status = library.cg_resume(self._handle, value, ctypes.byref(out))
        finally:
            self._running = False
        if status == Status.EEXCEPTION:  # a C++ exception escaped: it is finished (cg.h)
            self._started = self._finished = True
        if status != Status.OK:
            raise Error(status)
        self._started = True
        if library.cg_is_done(self._handle):
            self._finished = True
            self.result = out.value
            raise StopIteration(out.value)
        return out.value

    def throw(self, exception, value=None, traceback=None):
        """C code cannot catch a Python exception: the generator is closed and
        the exception raised here, as by a Python generator that does not catch it."""
        if isinstance(exception, type):
            exception = value if isinstance(value, exception) else exception() if value is None else exception(value)
        if traceback is not None:
            exception = exception.with_traceback(traceback)
        self.close()
        raise exception

    def close(self):
        """Destroys the generator (its suspended frames are discarded: C has
        no destructors); cg.Error (ERUNNING) while it runs."""
        if self._running:
            raise Error(Status.ERUNNING)
        if self._handle is not None:
            handle, self._handle = self._handle, None
            library.cg_destroy(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()
        return False

    def __del__(self):
        if getattr(self, "_handle", None) is not None and not self._running:
            self.close()

    # What the C API tells about it.
    @property
    def done(self):
        return self._finished or self._handle is None

    @property
    def started(self):
        return self._started or self._running

    @property
    def slice_size(self):
        return library.cg_slice_size(self._live())

    @property
    def buffer_capacity(self):
        return library.cg_buffer_capacity(self._live())

    @property
    def label(self):
        handle = self._live()
        size = library.cg_get_label(handle, None, 0) + 1
        buffer = ctypes.create_string_buffer(size)
        library.cg_get_label(handle, buffer, size)
        return buffer.value.decode(errors="replace")

    @label.setter
    def label(self, text):
        encoded = None if text is None else str(text).encode()
        if encoded is not None and b"\0" in encoded:
            raise ValueError("a label cannot hold a NUL character")
        _check(library.cg_set_label(self._live(), encoded))

    def backtrace(self, limit=64):
        """Where the suspended generator waits, innermost frame first ([] unless suspended)."""
        frames = (_CFrame * limit)()
        count = library.cg_backtrace(self._live(), frames, limit)
        if count < 0:
            raise Error(-count)
        return [Frame(f.pc, f.sp, f.offset, f.function.decode(errors="replace")) for f in frames[: min(count, limit)]]

    def _live(self):
        if self._handle is None:
            raise ValueError("the generator is closed")
        return self._handle


def snapshot(path):
    """Writes every live generator of the calling thread to `path`, for cg-dump."""
    _check(library.cg_snapshot(os.fsencode(path)))


def trim_buffers():
    """Shrinks every suspended generator's buffer of this thread to its slice and gives back the
    control blocks kept for reuse; returns the bytes given back."""
    return library.cg_trim_buffers()

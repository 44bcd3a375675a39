# libcg-gdb.py - gdb's `info cg-generators`: every generator of a process
# or a core file, suspended ones included (their frames are not on any
# stack, but in a heap buffer, where gdb's backtraces do not look).
#
# It reads only memory and ELF symbols, following the debug descriptor
# that libcg exports (include/cg/debug.h says how): no debug info needed.
# Installed beside libcg.so for gdb's auto-loading (tools/gdb/meson.build);
# or load it by hand: `source /path/to/libcg-gdb.py`.
#
# Pure Python 3 and gdb's API only.

import re
import struct

import gdb

_PREFIX = "cg-generators: "
_MAGIC = b"cg-debug"
_VERSION = 3
_PC_IN_SLICE = 0xFFFF
_MAX_REGISTERS = 24

# Bounds that keep corrupt memory (cycles, wild sizes) from hanging gdb.
_MAX_TABLE_ENTRIES = 1 << 20
_MAX_GENERATORS_PER_REGISTRY = 10 * 1000 * 1000
_MAX_LABELS = 1 << 20
_MAX_LABEL_BYTES = 4096
_SHOWN_LABEL_CHARS = 60
_MAX_SCANNED_SLICE = 1 << 20  # bytes of a slice searched for a caller
_MAX_SLABS = 1 << 24
_MAX_SLAB_PAGES = 64

_STATES = ("not-started", "suspended", "running", "finished")
_SUSPENDED = 1

# Functions of cg's own yield path besides those of namespace cg: a
# generator suspended in one of them is shown as waiting in the first
# function outside it found in its slice.
_YIELD_PATH = ("cg_yield", "cg_try_yield", "cg_arch_suspend_receiving")

# The descriptor up to its registers (cg_debug_descriptor_t, little-endian,
# naturally aligned: no padding).
_HEAD = struct.Struct("<8sIIHHIQI16HIIIHHI")
_REGISTER = struct.Struct("<12shHHH")
# After the registers (version 2): the slabs.
_SLABS = struct.Struct("<QII8H")
_SLABS_AT = _HEAD.size + _MAX_REGISTERS * _REGISTER.size


class _Unreadable(Exception):
    """Memory that could not be read: the message says what and where."""


class _Reader:
    """Reads the inferior's memory, turning gdb's errors into _Unreadable."""

    def __init__(self):
        self.inferior = gdb.selected_inferior()

    def bytes(self, address, size, what):
        if address == 0:
            raise _Unreadable("%s: null address" % what)
        try:
            return bytes(self.inferior.read_memory(address, size))
        except (gdb.MemoryError, gdb.error, OverflowError, ValueError) as error:
            raise _Unreadable("cannot read %s (%d bytes at 0x%x): %s" % (what, size, address, error))

    def u64(self, address, what):
        return struct.unpack("<Q", self.bytes(address, 8, what))[0]


class _Descriptor:
    """cg_debug_descriptor, read and checked."""

    def __init__(self, reader, address):
        head = reader.bytes(address, _HEAD.size, "cg_debug_descriptor")
        fields = _HEAD.unpack(head)
        (magic, version, size, self.machine, self.state_bits, self.table_entries,
         self.registry_table, self.chunk_entries) = fields[:8]
        (self.registry_first, self.registry_number, self.registry_exited, self.registry_labels,
         self.label_next, self.label_generator, self.label_text, self.label_size,
         self.control_status, self.control_ops_number, self.control_slice_top, self.control_slice_size,
         self.control_heap_buffer, self.control_registers, self.control_inline_bytes,
         self.control_next) = fields[8:24]
        (self.inline_capacity, self.c_ops_number, self.ops_number_mask, self.resume_pc_register,
         self.resume_sp_offset, self.register_count) = fields[24:]
        if magic != _MAGIC:
            raise gdb.GdbError(_PREFIX + "cg_debug_descriptor at 0x%x has magic %r, not %r: "
                               "not cg's, or corrupt" % (address, magic, _MAGIC))
        if version != _VERSION:
            raise gdb.GdbError(_PREFIX + "cg_debug_descriptor has version %d; this extension "
                               "reads version %d only (use the libcg-gdb.py of the same cg)"
                               % (version, _VERSION))
        if self.register_count > _MAX_REGISTERS:
            raise gdb.GdbError(_PREFIX + "cg_debug_descriptor lists %d registers (at most %d): "
                               "corrupt" % (self.register_count, _MAX_REGISTERS))
        if self.state_bits == 0 or self.state_bits > 16:
            raise gdb.GdbError(_PREFIX + "cg_debug_descriptor has %d state bits: corrupt"
                               % self.state_bits)
        if size < _SLABS_AT + _SLABS.size:
            raise gdb.GdbError(_PREFIX + "cg_debug_descriptor says it has %d bytes, too few: corrupt"
                               % size)
        raw = reader.bytes(address + _HEAD.size, self.register_count * _REGISTER.size,
                           "cg_debug_descriptor's registers")
        # (name, dwarf number, offset, size) of each saved register.
        self.registers = []
        for k in range(self.register_count):
            name, dwarf, offset, width, _ = _REGISTER.unpack_from(raw, k * _REGISTER.size)
            self.registers.append((name.split(b"\0", 1)[0].decode("ascii", "replace"), dwarf, offset, width))
        (self.slab_list, self.page_bytes, self.free_status, self.slab_next, self.slab_pages,
         self.slab_header_blocks, self.slab_page_blocks, self.slab_last_page_blocks,
         self.slab_first_offset, self.slab_block_bytes, _) = _SLABS.unpack(
             reader.bytes(address + _SLABS_AT, _SLABS.size, "cg_debug_descriptor's slabs"))
        self.slab_span = max(self.slab_next + 8, self.slab_pages + 4, self.slab_header_blocks + 4,
                             self.slab_page_blocks + 4, self.slab_last_page_blocks + 4,
                             self.slab_first_offset + 4, self.slab_block_bytes + 4)
        if self.resume_pc_register != _PC_IN_SLICE and self.resume_pc_register >= self.register_count:
            raise gdb.GdbError(_PREFIX + "cg_debug_descriptor's resume pc register %d is not one of "
                               "its %d registers: corrupt" % (self.resume_pc_register, self.register_count))
        # The bytes of a control block read at once: up to the last field used.
        ends = [self.control_status + 4, self.control_ops_number + 4, self.control_slice_top + 8,
                self.control_slice_size + 4, self.control_heap_buffer + 1,
                self.control_inline_bytes + 12]
        for _, _, offset, width in self.registers:
            ends.append(self.control_registers + offset + width)
        self.control_span = max(ends)


def _find_descriptor():
    try:
        value = gdb.parse_and_eval("&cg_debug_descriptor")
    except gdb.error as error:
        if "No symbol" in str(error):
            raise gdb.GdbError(_PREFIX + "no cg_debug_descriptor in this program "
                               "(not linked with cg, or libcg not loaded yet)")
        raise gdb.GdbError(_PREFIX + "cannot find cg_debug_descriptor: %s" % error)
    try:
        return int(value)
    except gdb.error:
        return int(value.cast(gdb.lookup_type("unsigned long")))


def _short_name(full):
    """A demangled name without its return type, arguments and qualifiers:
    `void cg::yield<int>(int)` -> `cg::yield<int>`. Falls back to the whole
    name when it does not parse."""
    name = full.strip()
    clone = name.find(" [clone ")
    if clone > 0:
        name = name[:clone]
    if not name.endswith(")"):
        # Qualifiers after the arguments: `) const`, `) &&`, ...
        close = name.rfind(")")
        if close < 0:
            return name
        tail = name[close + 1:].split()
        if any(word not in ("const", "volatile", "&", "&&", "noexcept") for word in tail):
            return name
        name = name[:close + 1]
    # The argument list: the '(' matching the final ')'.
    depth = 0
    start = -1
    for i in range(len(name) - 1, -1, -1):
        if name[i] == ")":
            depth += 1
        elif name[i] == "(":
            depth -= 1
            if depth == 0:
                start = i
                break
    if start <= 0:
        return full.strip()
    name = name[:start]
    # The return type: before the last space outside brackets (not the one
    # of `operator new` or a conversion operator).
    depth = 0
    cut = -1
    i = 0
    while i < len(name):
        if name.startswith("operator", i):
            i += len("operator")
            if name.startswith("()", i):
                i += 2
                continue
            while i < len(name) and name[i] in "<>=!+-*/%^&|~[],":
                i += 1
            continue
        c = name[i]
        if c in "(<{[":
            depth += 1
        elif c in ")>}]":
            depth -= 1
        elif c == " " and depth == 0 and not name[:i].endswith("operator"):
            cut = i
        i += 1
    if depth != 0:
        return full.strip()
    return name[cut + 1:] if cut >= 0 else name


class _Symbols:
    """Names of code addresses (from ELF symbols: `info symbol`), cached."""

    _CODE_SECTIONS = (".text", ".init", ".fini", ".plt", ".plt.got", ".plt.sec", ".iplt")

    def __init__(self):
        self.names = {}
        self.ranges = self._code_ranges()

    @classmethod
    def _code_ranges(cls):
        """The address ranges of code sections, from `info files`, to look
        up only the words that may be code; empty if it does not parse."""
        try:
            text = gdb.execute("info files", to_string=True)
        except gdb.error:
            return []
        ranges = []
        for line in text.splitlines():
            parts = line.split()
            # 0x... - 0x... is .text [in /path]
            if len(parts) >= 5 and parts[1] == "-" and parts[3] == "is" and parts[4] in cls._CODE_SECTIONS:
                try:
                    ranges.append((int(parts[0], 16), int(parts[2], 16)))
                except ValueError:
                    pass
        ranges.sort()
        return ranges

    def may_be_code(self, address):
        if not self.ranges:
            return True
        low, high = 0, len(self.ranges)
        while low < high:
            middle = (low + high) // 2
            if self.ranges[middle][0] <= address:
                low = middle + 1
            else:
                high = middle
        return low > 0 and address < self.ranges[low - 1][1]

    def function(self, address):
        """The short name of the function holding a code address, or None."""
        if address in self.names:
            return self.names[address]
        name = None
        try:
            text = gdb.execute("info symbol 0x%x" % address, to_string=True).strip()
        except gdb.error:
            text = ""
        if text and not text.startswith("No symbol"):
            symbol, _, section = text.partition(" in section ")
            section = section.split(" ", 1)[0]
            if section in self._CODE_SECTIONS or section.startswith(".text"):
                plus = symbol.rfind(" + ")
                if plus > 0:
                    symbol = symbol[:plus]
                name = _short_name(symbol)
        self.names[address] = name
        return name

    def caller(self, return_address):
        """The function a return address returns into (looked up one byte
        before it: a call that ends a function returns past its end)."""
        if return_address == 0 or not self.may_be_code(return_address - 1):
            return None
        return self.function(return_address - 1)


def _in_yield_path(name):
    """As cg-dump's is_yield_path (tools/cg-dump/describe.cpp): the name up
    to its first "(" or "<" is in namespace cg or one of _YIELD_PATH. Only
    the head counts: `acceptor(...)::{lambda(cg::Yielder<...>&)#1}` is not."""
    head = re.split(r"[(<]", name, maxsplit=1)[0]
    head = head[head.rfind(" ") + 1:]
    return head.startswith("cg::") or head in _YIELD_PATH


def _label_text(raw):
    text = raw.decode("utf-8", "backslashreplace")
    text = "".join(c if c.isprintable() else "\\x%02x" % ord(c) for c in text)
    if len(text) > _SHOWN_LABEL_CHARS:
        text = text[:_SHOWN_LABEL_CHARS - 3] + "..."
    return text


class _Walk:
    """One `info cg-generators`: the rows, and the problems met."""

    def __init__(self, reader, descriptor):
        self.reader = reader
        self.d = descriptor
        self.symbols = None  # made on the first suspended generator
        self.rows = []
        self.threads = set()
        self.warnings = []
        self.in_slabs = {}  # thread number -> its generators found in the slabs

    def run(self):
        d = self.d
        if d.table_entries > _MAX_TABLE_ENTRIES or d.chunk_entries > _MAX_TABLE_ENTRIES:
            raise gdb.GdbError(_PREFIX + "cg_debug_descriptor says %d x %d registries: corrupt"
                               % (d.table_entries, d.chunk_entries))
        try:
            table = self._pointers(d.registry_table, d.table_entries, "the registry table")
        except _Unreadable as error:
            raise gdb.GdbError(_PREFIX + str(error))
        self._slabs()
        # A real table names each chunk and registry once: a repeat is
        # corrupt memory, skipped (it would list the same generators again).
        seen = set()
        for i, chunk in enumerate(table):
            if chunk == 0 or chunk in seen:
                continue
            seen.add(chunk)
            try:
                registries = self._pointers(chunk, d.chunk_entries, "registry chunk %d" % i)
            except _Unreadable as error:
                self.warnings.append("%s: skipped" % error)
                continue
            for registry in registries:
                if registry != 0 and registry not in seen:
                    seen.add(registry)
                    self._registry(registry)

    def _slabs(self):
        """Every block of every slab that holds a generator, by its thread."""
        d = self.d
        r = self.reader
        seen = set()
        try:
            slab = r.u64(d.slab_list, "the list of slabs")
        except _Unreadable as error:
            self.warnings.append("%s: the generators in slabs skipped" % error)
            return
        while slab != 0:
            if slab in seen or len(seen) >= _MAX_SLABS:
                self.warnings.append("the list of slabs loops back to 0x%x: stopped there" % slab)
                return
            seen.add(slab)
            try:
                raw = r.bytes(slab, d.slab_span, "slab 0x%x" % slab)
                pages = struct.unpack_from("<I", raw, d.slab_pages)[0]
                header, per_page, last = (struct.unpack_from("<I", raw, offset)[0] for offset in
                                          (d.slab_header_blocks, d.slab_page_blocks, d.slab_last_page_blocks))
                first = struct.unpack_from("<I", raw, d.slab_first_offset)[0]
                block = struct.unpack_from("<I", raw, d.slab_block_bytes)[0]
                if (pages == 0 or pages > _MAX_SLAB_PAGES or block < 64 or per_page > 64 or header > per_page
                        or last > per_page or first + per_page * block > d.page_bytes):
                    self.warnings.append("slab 0x%x is corrupt: skipped, and the slabs after it" % slab)
                    return
                for page in range(pages):
                    start = slab + page * d.page_bytes
                    count = per_page if page + 1 < pages else last
                    blocks = r.bytes(start, first + count * block, "page %d of slab 0x%x" % (page, slab))
                    for index in range(header if page == 0 else 0, count):
                        offset = first + index * block
                        status = struct.unpack_from("<I", blocks, offset + d.control_status)[0]
                        if status != d.free_status:
                            self.in_slabs.setdefault(status >> d.state_bits, []).append(start + offset)
            except _Unreadable as error:
                self.warnings.append("slab 0x%x: %s: skipped, and the slabs after it" % (slab, error))
                return
            slab = struct.unpack_from("<Q", raw, d.slab_next)[0]

    def _pointers(self, address, count, what):
        raw = self.reader.bytes(address, 8 * count, what)
        return struct.unpack("<%dQ" % count, raw)

    def _registry(self, registry):
        d = self.d
        r = self.reader
        try:
            number = struct.unpack("<I", r.bytes(registry + d.registry_number, 4, "a registry's thread number"))[0]
            exited = r.bytes(registry + d.registry_exited, 1, "a registry's exit flag")[0] != 0
            first = r.u64(registry + d.registry_first, "a registry's first generator")
            labels_head = r.u64(registry + d.registry_labels, "a registry's labels")
        except _Unreadable as error:
            self.warnings.append("registry at 0x%x: %s: skipped" % (registry, error))
            return
        thread = "%d (exited)" % number if exited else "%d" % number
        labels = self._labels(labels_head, number)
        seen = set()
        g = first
        count = 0
        while g != 0:
            if g in seen:
                self.warnings.append("thread %d: its list of generators loops back to 0x%x: stopped there"
                                     % (number, g))
                break
            if count >= _MAX_GENERATORS_PER_REGISTRY:
                self.warnings.append("thread %d: more than %d generators: stopped there (corrupt list?)"
                                     % (number, _MAX_GENERATORS_PER_REGISTRY))
                break
            seen.add(g)
            count += 1
            try:
                self._add(g, registry, thread, labels)
                g = r.u64(g - d.control_next, "the next generator after 0x%x" % g)
            except _Unreadable as error:
                self.warnings.append("thread %d: %s: the rest of its list skipped" % (number, error))
                break
        for g in self.in_slabs.get(number, ()):
            try:
                self._add(g, registry, thread, labels)
            except _Unreadable as error:
                self.warnings.append("thread %d: %s: skipped" % (number, error))

    def _add(self, g, registry, thread, labels):
        """The row of generator g, of the registry at `registry`."""
        block = self.reader.bytes(g, self.d.control_span, "the control block of generator 0x%x" % g)
        self.rows.append(self._generator(g, block, thread, labels.get(g, "")))
        self.threads.add(registry)

    def _labels(self, entry, number):
        d = self.d
        r = self.reader
        span = max(d.label_next + 8, d.label_generator + 8, d.label_text + 8, d.label_size + 4)
        labels = {}
        seen = set()
        while entry != 0:
            if entry in seen or len(seen) >= _MAX_LABELS:
                self.warnings.append("thread %d: its list of labels loops or is too long: stopped" % number)
                break
            seen.add(entry)
            try:
                raw_entry = r.bytes(entry, span, "a label")
            except _Unreadable as error:
                self.warnings.append("thread %d: %s: the rest of its labels skipped" % (number, error))
                break
            generator = struct.unpack_from("<Q", raw_entry, d.label_generator)[0]
            text = struct.unpack_from("<Q", raw_entry, d.label_text)[0]
            size = struct.unpack_from("<I", raw_entry, d.label_size)[0]
            try:
                raw = r.bytes(text, min(size, _MAX_LABEL_BYTES), "a label's text") if size else b""
                label = _label_text(raw + (b"..." if size > _MAX_LABEL_BYTES else b""))
            except _Unreadable as error:
                self.warnings.append("thread %d: the label of generator 0x%x: %s" % (number, generator, error))
                label = "?"
            labels.setdefault(generator, label)
            entry = struct.unpack_from("<Q", raw_entry, d.label_next)[0]
        return labels

    def _generator(self, g, block, thread, label):
        d = self.d
        status = struct.unpack_from("<I", block, d.control_status)[0]
        state = status & ((1 << d.state_bits) - 1)
        ops = struct.unpack_from("<I", block, d.control_ops_number)[0] & d.ops_number_mask
        kind = "C" if ops == d.c_ops_number else "C++"
        state_name = _STATES[state] if state < len(_STATES) else "state %d" % state
        slice_bytes = "-"
        waits_in = "-"
        if state == _SUSPENDED:
            size = struct.unpack_from("<I", block, d.control_slice_size)[0]
            slice_bytes = "%d" % size
            try:
                waits_in = self._waits_in(g, block, size) or "-"
            except _Unreadable as error:
                self.warnings.append("generator 0x%x: %s" % (g, error))
                waits_in = "?"
        return ("0x%x" % g, thread, label, state_name, kind, slice_bytes, waits_in)

    def _waits_in(self, g, block, size):
        """Where a suspended generator continues: the function at its resume
        pc, or, when that is cg's own yield path, the first function outside
        it whose return address is in the saved slice (a heuristic)."""
        d = self.d
        if self.symbols is None:
            self.symbols = _Symbols()
        if block[d.control_heap_buffer] == 0:
            buffer = g + d.control_inline_bytes
            capacity = d.inline_capacity
        else:  # the heap buffer's address, then its capacity
            buffer, capacity = struct.unpack_from("<QI", block, d.control_inline_bytes)
        if size > capacity:
            raise _Unreadable("slice of %d bytes in a buffer of %d: corrupt" % (size, capacity))
        scanned = min(size, _MAX_SCANNED_SLICE) & ~7
        data = self.reader.bytes(buffer, scanned, "the saved slice") if scanned else b""
        first_word = 0
        if d.resume_pc_register == _PC_IN_SLICE:
            if scanned < 8:
                return None
            pc = struct.unpack_from("<Q", data, 0)[0]
            first_word = 1  # the resume pc's own word
        else:
            _, _, offset, width = d.registers[d.resume_pc_register]
            at = d.control_registers + offset
            pc = int.from_bytes(block[at:at + width], "little")
        name = self.symbols.caller(pc)
        if name is not None and not _in_yield_path(name):
            return name
        words = struct.unpack("<%dQ" % (scanned // 8), data)
        for word in words[first_word:]:
            caller = self.symbols.caller(word)
            if caller is not None and not _in_yield_path(caller):
                return caller
        return None


def _table(rows):
    header = ("id", "thread", "label", "state", "kind", "slice", "waits in")
    widths = [len(h) for h in header]
    for row in rows:
        for k, cell in enumerate(row):
            widths[k] = max(widths[k], len(cell))
    right = (False, True, False, False, False, True, False)
    lines = []
    for row in [header] + rows:
        cells = []
        for k, cell in enumerate(row):
            if k == len(row) - 1:
                cells.append(cell)
            elif right[k]:
                cells.append(cell.rjust(widths[k]))
            else:
                cells.append(cell.ljust(widths[k]))
        lines.append("  ".join(cells).rstrip())
    return lines


class InfoCgGenerators(gdb.Command):
    """The generators of cg (stack-copying coroutines) in this process or core.

One line per generator: its id (the address of its control block), the cg
thread number of its thread, its label, its state, its kind (C++ or C), the
bytes of its saved stack slice and, when suspended, the function it waits
in. That function is where it continues; when that is cg's own yield path,
it is the first function outside it with a return address in the saved
slice, a heuristic.

Needs no debug info: it follows cg_debug_descriptor (cg/debug.h)."""

    def __init__(self):
        super().__init__("info cg-generators", gdb.COMMAND_STATUS)

    def invoke(self, argument, from_tty):
        if argument.strip():
            raise gdb.GdbError(_PREFIX + "takes no arguments")
        address = _find_descriptor()
        try:
            pointer = gdb.lookup_type("void").pointer().sizeof
        except gdb.error:
            pointer = 8
        if pointer != 8:
            raise gdb.GdbError(_PREFIX + "cg is for 64-bit programs; this one has %d-byte addresses" % pointer)
        reader = _Reader()
        try:
            descriptor = _Descriptor(reader, address)
        except _Unreadable as error:
            raise gdb.GdbError(_PREFIX + "%s (is the program running, or a core file loaded?)" % error)
        walk = _Walk(reader, descriptor)
        walk.run()
        out = _table(walk.rows)
        generators = len(walk.rows)
        threads = len(walk.threads)
        out.append("%d generator%s in %d thread%s" % (generators, "" if generators == 1 else "s",
                                                      threads, "" if threads == 1 else "s"))
        gdb.write("\n".join(out) + "\n")
        for warning in walk.warnings:
            gdb.write(_PREFIX + "warning: " + warning + "\n", gdb.STDERR)


InfoCgGenerators()

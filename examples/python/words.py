"""words.py - drives the C generators of words.c from Python: words()
yields each word of a text to Python, which sends its length on to
tally(), whose counters live in a ctypes array; values flow both ways.

    python3 words.py LIBRARY [FILE]   (LIBRARY: the built words.c; FILE: a text, else the one below)
"""

import ctypes
import sys

import cg

TEXT = b"""It was the best of times, it was the worst of times, it was the age of
wisdom, it was the age of foolishness, it was the epoch of belief, it was
the epoch of incredulity."""


def main():
    library = ctypes.CDLL(sys.argv[1])
    text = open(sys.argv[2], "rb").read() if len(sys.argv) > 2 else TEXT
    buffer = ctypes.create_string_buffer(text, len(text))  # C reads it where it lies
    buckets = (ctypes.c_size_t * 16)()
    counted = 0

    with cg.Generator(library.words, ctypes.addressof(buffer), len(text)) as words, \
            cg.Generator(library.tally, ctypes.addressof(buckets), len(buckets)) as tally:
        tally.label = "tally of word lengths"
        next(tally)  # to its first cg_yield, where it waits for a length
        for token in words:
            length = token % 65536  # its offset in the text: token // 65536
            counted = tally.send(length)
        print(f"{words.result} words; tally has counted {counted}")
        try:
            tally.send(0)
        except StopIteration as stop:
            print(f"longest: {stop.value} letters")
    for length, count in enumerate(buckets):
        if count:
            print(f"{length:2} letters: {'#' * count} {count}")


if __name__ == "__main__":
    main()

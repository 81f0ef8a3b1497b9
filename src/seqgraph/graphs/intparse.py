"""Edge-list bytes read with numpy: the fast integer parser of plain ``u v [w]`` lines (eight
digits per 8-byte word at once, SWAR), the ids as written, and the byte checks that let pandas
take its fast paths (single spaces; integers written as ``str(int)`` writes them).

Each function reads the file's bytes as a ``uint8`` array; none loops over lines in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class _PlainLines:
    """What :func:`_plain_lines` reads: the edge ends ``(2E,)``, u1, v1, u2, v2, … in file order,
    where each end's text begins and the separator after it (byte offsets, ``(2E,)``), and the
    weights ``(E,)`` (None: the lines have none)."""

    ends: np.ndarray
    begin: np.ndarray
    stop: np.ndarray
    weight: np.ndarray | None


# the layouts _plain_lines reads, by the separators of a line ("u v", "u v w", "u v i.f"): the
# numbers per line (a weight i.f is two)
_PLAIN_LAYOUTS = {b" \n": 2, b"  \n": 3, b"  .\n": 4}
_POW10_INT = np.array([10**k for k in range(16)], np.uint64)
_POW10_FLOAT = np.array([float(10**k) for k in range(16)])  # exact in float64
_CHUNK = 1 << 17  # numbers parsed at once: the temporaries stay in cache
_ASCII_ZEROS = np.uint64(0x3030303030303030)
_PAIRS = np.uint64(0x000000FF000000FF)


def _plain_lines(raw: bytes) -> _PlainLines | None:
    """The edges of a file whose every line is ``f"{u} {v}\\n"``, or every line
    ``f"{u} {v} {w}\\n"`` with w written as digits or digits.digits (as ``np.savetxt`` writes
    ``"%d"`` and ``"%d %d %.4f"``), u and v ≥ 0 written as ``str(int)`` writes them; None for any
    other byte layout, numbers of over 16 digits or weights of over 15, which pandas then reads.

    Parsed with numpy, so a cold load skips importing pandas (0.3–0.45 s on the 2-core CI
    machine: most of a cold 1M-line load): each number is read as the 8-byte words that end at
    its separator, eight digits per word at once (:func:`_eight_digits`); a weight i.f is
    (i·10^k + f) / 10^k, one correctly rounded division of exact float64 numbers (k digits of
    f; Clinger's fast path), so it equals Python's ``float`` of the text."""
    if len(raw) < 4 or not raw.endswith(b"\n") or b"-" in raw:  # memchr: a quick refusal
        return None
    b = np.frombuffer(raw, np.uint8)
    if b.max() > ord("9"):  # letters, bytes of non-ASCII text: not these layouts
        return None
    sep = np.flatnonzero(b < ord("0"))  # the space after u, after v, the point in w, the newline
    if len(b) < 2**31 - 16:  # offsets as int32 (16: room for sep + 8 below): half the memory traffic
        sep = sep.astype(np.int32)
    first_line = raw[: raw.index(b"\n") + 1]
    per_line = _PLAIN_LAYOUTS.get(first_line.translate(None, b"0123456789"))
    if per_line is None or len(sep) % per_line:
        return None
    if not all((b[sep[j::per_line]] == first_line[sep[j]]).all() for j in range(per_line)):
        return None  # tabs, '\r', '#', blank lines, lines of other layouts than the first
    begin = np.empty_like(sep)
    begin[0], begin[1:] = 0, sep[:-1] + 1
    digits = sep - begin  # digits of each number (a weight i.f is two)

    def ends_of(a: np.ndarray) -> np.ndarray:  # the entries of the numbers that are u or v
        return a if per_line == 2 else a.reshape(-1, per_line)[:, :2].reshape(-1)

    if digits.min() < 1 or digits.max() > 16 or ((b[ends_of(begin)] == ord("0")) & (ends_of(digits) > 1)).any():
        return None  # two spaces, ".5", a number of over 16 digits, an id with a leading zero ("01")
    # 16 bytes of '0' in front, so that the two words before the first numbers exist
    padded = np.concatenate((np.full(16, ord("0"), np.uint8), b))
    words = np.ndarray((len(padded) - 7,), "<u8", padded, 0, (1,))  # the 8 bytes from each offset
    values = np.empty(len(sep), np.uint64)
    wide = digits.max() > 8
    for lo in range(0, len(sep), _CHUNK):  # in chunks: the temporaries stay in cache (1.5× on 4M numbers)
        chunk, d = sep[lo:lo + _CHUNK], digits[lo:lo + _CHUNK]
        v = _eight_digits(words[chunk + 8], 8 - np.minimum(d, 8))  # the last 8 digits
        if wide:
            v += _eight_digits(words[chunk], np.clip(16 - d, 0, 8)) * np.uint64(100_000_000)
        values[lo:lo + _CHUNK] = v
    weight = None
    if per_line > 2:
        whole = values[2::per_line]
        k = digits[3::4] if per_line == 4 else np.zeros(len(whole), np.int64)
        if (digits[2::per_line] + k).max() > 15:
            return None  # i·10^k + f might not be exact in float64
        scaled = whole * _POW10_INT[k]
        if per_line == 4:
            scaled += values[3::4]
        weight = scaled.astype(np.float64) / _POW10_FLOAT[k]
    return _PlainLines(ends_of(values).view(np.int64), ends_of(begin), ends_of(sep), weight)


def _eight_digits(words: np.ndarray, pad: np.ndarray) -> np.ndarray:
    """The numbers written in little-endian words ``(n,)`` of 8 ASCII digits (overwritten),
    whose first ``pad (n,)`` bytes (0–8) are not part of the number and count as '0'.

    SWAR: three multiplies combine all eight digits (Lemire, "Fast number parsing", the
    eight-digit step of simdjson); uint64 arithmetic wraps as the method requires."""
    u = np.uint64
    bits = pad.astype(u) * u(4)
    low = u(1) << bits  # two shifts: a shift by 64 (pad 8) is undefined, by 32 twice is 0
    low <<= bits
    low -= u(1)  # the pad bytes' mask (all ones for pad 8)
    words &= ~low
    low &= _ASCII_ZEROS
    words |= low
    words -= _ASCII_ZEROS  # bytes 0–9, the first digit lowest
    rest = words >> u(8)
    words *= u(10)
    words += rest  # each pair of digits as 10·a + b, in every other byte
    rest = words >> u(16)
    rest &= _PAIRS
    rest *= u(1 + (10_000 << 32))
    words &= _PAIRS
    words *= u(100 + (1_000_000 << 32))
    words += rest
    words >>= u(32)  # 10⁶·p1 + 10⁴·p2 + 10²·p3 + p4 in the high half
    return words


def _ids_as_written(raw: bytes, begin: np.ndarray, stop: np.ndarray) -> list[str]:
    """``raw[begin:stop]`` for each pair, as text (ASCII, each followed by a separator byte):
    gathered with their separators, made newlines, and split in one decode (~2× faster than
    ``str`` of each of 200k ints)."""
    lengths = stop + 1 - begin
    offsets = np.cumsum(lengths)
    chars = np.frombuffer(raw, np.uint8)[np.arange(offsets[-1]) + np.repeat(begin - (offsets - lengths), lengths)]
    chars[offsets - 1] = ord("\n")
    return chars.tobytes().decode("ascii").split("\n")[:-1]


def _single_spaced(data: bytes) -> bool:
    """Whether fields are separated by exactly one space, with none at a line's ends, no tabs and
    no comments (numpy over the bytes: ``b"  " in data`` is ~10× slower on a 13 MB file)."""
    if not data or b"\t" in data or b"#" in data:
        return False
    b = np.frombuffer(data, np.uint8)
    space = b == ord(" ")
    line_end = (b == ord("\n")) | (b == ord("\r"))
    if space[0] or space[-1]:
        return False
    return not ((space[1:] & (space[:-1] | line_end[:-1])) | (space[:-1] & line_end[1:])).any()


def _ints_read_back(data: bytes) -> bool:
    """Whether every field that pandas may read as an integer is written as ``str(int)`` writes
    it: no ``+1``, ``01``, ``00``, ``-01`` or ``-0``, and no quotes. Conservative (a weight
    ``+2`` or a comment ``# 007`` also says no): the ids are then read as text, only slower."""
    if b'"' in data:
        return False
    b = np.frombuffer(data, np.uint8)
    space = np.zeros(256, bool)
    space[[9, 10, 13, 32]] = True  # what pandas splits fields and lines on

    def starts_field(pos: np.ndarray) -> np.ndarray:
        return (pos == 0) | space[b[np.maximum(pos - 1, 0)]]

    if b"+" in data and starts_field(np.flatnonzero(b == ord("+"))).any():
        return False
    # a 0 followed by a digit (also inside numbers: the "05" of "105") that starts a field, or
    # follows a '-' that does: 01, 00, -01
    zero = np.flatnonzero((b[:-1] == ord("0")) & ((b[1:] - ord("0")) < 10))  # uint8: bytes below '0' wrap high
    before = b[np.maximum(zero - 1, 0)]
    signed = (zero > 0) & (before == ord("-")) & starts_field(zero - 1)
    if (starts_field(zero) | signed).any():
        return False
    if b"-" in data:  # "-0" as a whole field
        minus = np.flatnonzero((b[:-1] == ord("-")) & (b[1:] == ord("0")))
        after = b[np.minimum(minus + 2, len(b) - 1)]
        ends = (minus + 2 >= len(b)) | space[after] | (after == ord("#"))
        if (starts_field(minus) & ends).any():
            return False
    return True

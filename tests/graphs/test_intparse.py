"""The numpy reader of plain integer edge lists and the byte checks, against Python's own
int() and float() of the text."""

import numpy as np
import pytest

from seqgraph.graphs import intparse, load_graph


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_plain_lines_takes_only_its_layouts():
    read = intparse._plain_lines
    got = read(b"0 1\n12 3\n1234567890123 7\n")
    assert got.ends.tolist() == [0, 1, 12, 3, 1234567890123, 7] and got.weight is None
    assert got.begin.tolist() == [0, 2, 4, 7, 9, 23] and got.stop.tolist() == [1, 3, 6, 8, 22, 24]
    assert read(b"0 1 5\n2 3 17\n").weight.tolist() == [5.0, 17.0]
    got = read(b"0 1 0.5000\n20 3 12.25\n4 5 007.1\n")
    assert got.ends.tolist() == [0, 1, 20, 3, 4, 5] and got.weight.tolist() == [0.5, 12.25, 7.1]
    for other in [b"1 2", b"01 2\n", b"1 02\n", b"-1 2\n", b"+1 2\n", b"1\t2\n", b"1  2\n", b"1 2\r\n",
                  b"1 2\n\n", b"1 2 3 4\n", b"1\n", b"1 2\n3\n", b" 1 2\n", b"1 2 \n", b"# c\n1 2\n", b"1.0 2\n",
                  b"a b\n", b"1 2\n9999999999999999999 1\n", b"\xef\xbb\xbf1 2\n", b"", b"1 2 .5\n", b"1 2 5.\n",
                  b"1 2 -0.5\n", b"1 2 1e3\n", b"1 2 3\n4 5 0.5\n", b"1 2 0.5\n4 5\n", b"1 2 1234567890.123456\n",
                  b"01 2 0.5\n", b"1.5 2 3\n"]:
        assert read(other) is None, other


def test_plain_weights_equal_pythons_float():
    """i.f weights as (i·10^k + f) / 10^k: correctly rounded, as float() of the text, for any
    split of up to 15 digits between i and f."""
    rng = np.random.default_rng(4)
    texts = []
    for _ in range(3_000):
        k = int(rng.integers(1, 15))
        i = int(rng.integers(0, 10 ** int(rng.integers(1, 16 - k))))
        texts.append(f"{i}.{int(rng.integers(0, 10**k)):0{k}d}")
    text = "".join(f"{n} {n + 1} {w}\n" for n, w in enumerate(texts)).encode()
    got = intparse._plain_lines(text)
    assert got.weight.tolist() == [float(w) for w in texts]
    assert got.ends.tolist() == [n + d for n in range(len(texts)) for d in (0, 1)]
    assert [text[a:z].decode() for a, z in zip(got.begin, got.stop, strict=True)] == list(map(str, got.ends))
    assert intparse._plain_lines(text.replace(b"\n7 8 ", b"\n07 8 ")) is None  # a bad line further down


def test_plain_lines_reads_every_digit_count_exactly(tmp_path):
    """Numbers of 1 to 16 digits (one or two 8-byte words, any padding), next to numbers of
    every other length, against Python's int(); the node names are the numbers as written."""
    rng = np.random.default_rng(3)
    lengths = rng.integers(1, 17, 4_000)
    values = [int(rng.integers(10 ** (k - 1) if k > 1 else 0, 10**k)) for k in lengths.tolist()]
    values[:4] = [0, 9, 10**15, 10**16 - 1]
    text = "".join(f"{a} {b}\n" for a, b in zip(values[0::2], values[1::2], strict=True))
    assert intparse._plain_lines(text.encode()).ends.tolist() == values
    assert load_graph(write(tmp_path, "g.txt", text)).nodes == list(dict.fromkeys(map(str, values)))


@pytest.mark.parametrize("text, single", [
    (b"a b\nc d 2\r\n", True), (b"a  b\n", False), (b"a\tb\n", False), (b" a b\n", False), (b"a b \n", False),
    (b"a b\n c d\n", False), (b"a b # c\n", False), (b"a b\r\n c d\n", False), (b"a b ", False), (b"", False),
])
def test_single_spaced_layout(text, single):
    """Files that pandas may split on single spaces (else on runs of spaces and tabs)."""
    assert intparse._single_spaced(text) is single

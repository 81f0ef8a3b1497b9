"""Baum–Sweet labels against the 2020 template's own code, copied as the independent reference."""

import numpy as np
import pytest
import torch

from seqgraph.errors import ConfigError
from seqgraph.tasks.base import EVAL
from seqgraph.tasks.baum_sweet import baum_sweet_label, baum_sweet_label_rate, baum_sweet_ones
from seqgraph.tasks.registry import get_task

TASK = get_task("baum-sweet")


def palindrome_batch(batch, length, seed, stream=0):
    return TASK.batch(batch, length, seed, 0, stream)


# --- the 2020 course's other tasks -------------------------------------------------------------
# Reference: uvadlc/uvadlc_practicals_2020, assignment_2/2_recurrentnns_gnns/code/Part 1/datasets.py,
# copied as written (numpy as np, random from the standard library): the independent reference.

def check_even(length):
    if length % 2 == 0:
        return True
    return False


def check_baum_sweet(binary_string):
    zeros_list = binary_string.split('1')
    lengths = [check_even(len(block)) for block in zeros_list]
    if False not in lengths:
        return 1
    else:
        return 0


def gen_baum_sweet(max_len, random):
    stop_sampling = False
    while not stop_sampling:
        sampled_integer = random.randint(10, 10**max_len)
        binary_string = bin(sampled_integer).lstrip('0').lstrip('b')
        baum_sweet_label = check_baum_sweet(binary_string)
        if baum_sweet_label == 1:
            break
        if (random.random() < 0.016724):
            break
    return binary_string, baum_sweet_label


def encode_X(max_len, binary_string):
    length_string = len(binary_string)
    prepend = max_len - length_string
    datapoint = np.zeros((2, max_len))
    for x in range(0, length_string):
        datapoint[int(binary_string[x]), prepend + x] = 1
    return datapoint, prepend, length_string


def bss_symbols(seq_length, binary_string):
    """BaumSweetSequenceDataset.generate_baum_sweet after the draw: its symbols (1, 4L)."""
    max_len = 4 * seq_length
    encoding, prepend, length_string = encode_X(max_len, binary_string)
    none_values = np.concatenate([np.ones((1, prepend)), np.zeros((1, length_string))], 1)
    result_mat = np.concatenate([none_values, encoding], 0)
    result_mat = np.argmax(result_mat, 0)
    return torch.FloatTensor(np.expand_dims(result_mat, 1)).permute(1, 0)


@pytest.mark.parametrize("length", [2, 6, 11, 18])
def test_baum_sweet_rows_are_the_templates_encoding_of_their_integer(length):
    x, y = palindrome_batch(200, length, seed=3)
    assert x.shape == (200, 4 * length)
    assert (TASK.num_symbols(length), TASK.num_classes(length), TASK.input_length(length)) == (3, 2, 4 * length)
    for row, label in zip(x.tolist(), y.tolist(), strict=True):
        binary_string = "".join(str(v - 1) for v in row if v != 0)  # the integer seqgraph drew
        n = int(binary_string, 2)
        assert 10 <= n <= 10**length and bin(n)[2:] == binary_string
        assert row == bss_symbols(length, binary_string)[0].long().tolist()
        assert label == check_baum_sweet(binary_string)


def test_baum_sweet_labels_and_integers_are_distributed_as_the_templates_draws():
    import random

    length, n = 4, 4000
    rng = random.Random(0)
    ref = [gen_baum_sweet(length, rng) for _ in range(n)]
    ref_rate = sum(label for _, label in ref) / n
    _, y = palindrome_batch(n, length, seed=5)
    rate = float(y.float().mean())
    sigma = (ref_rate * (1 - ref_rate) / n) ** 0.5
    assert abs(rate - ref_rate) < 5 * 2**0.5 * sigma  # two samples of n: the difference's sd is √2σ
    # the integers labelled 0 are uniform over [10, 10^L]: their mean is about (10 + 10^L)/2
    x, y = palindrome_batch(4000, length, seed=6)
    ints = [int("".join(str(v - 1) for v in row if v != 0), 2)
            for row, t in zip(x.tolist(), y.tolist(), strict=True) if t == 0]
    mean, sd = (10 + 10**length) / 2, (10**length - 10) / 12**0.5
    assert abs(sum(ints) / len(ints) - mean) < 5 * sd / len(ints) ** 0.5


def test_baum_sweet_label_of_known_integers():
    # the Baum–Sweet sequence b(1..16) (OEIS A086747, from n = 1): 1 0 1 1 0 0 1 0 1 0 0 1 0 0 1 1
    n = torch.arange(1, 17)
    assert baum_sweet_label(n).tolist() == [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1]
    assert baum_sweet_label(n).tolist() == [check_baum_sweet(bin(v)[2:]) for v in range(1, 17)]


def test_baum_sweet_label_equals_the_templates_check_on_many_integers():
    rng = np.random.default_rng(0)
    uniform = rng.integers(1, 2**62, 20000).tolist()  # mostly short zero blocks
    # and integers built from blocks of zeros of every length 0..9 between ones: odd and even ones
    blocks = ["".join("1" + "0" * int(k) for k in rng.integers(0, 10, rng.integers(1, 12)))[:62]
              for _ in range(20000)]
    values = [*range(1, 4097), *uniform, *(int(b, 2) for b in blocks), 2**62 - 1, 2**62, 2**63 - 1]
    got = baum_sweet_label(torch.tensor(values)).tolist()
    assert got == [check_baum_sweet(bin(v)[2:]) for v in values]
    assert 0.01 < sum(got) / len(got) < 0.99  # both labels are exercised


def test_baum_sweet_label_reads_only_the_low_bits_asked_for():
    values = torch.randint(1, 2**62, (2000,), generator=torch.Generator().manual_seed(1))
    for bits in (4, 17, 40):
        low = [v & ((1 << bits) - 1) for v in values.tolist()]
        expected = [check_baum_sweet(bin(v)[2:]) if v else 1 for v in low]  # 0: no block at all
        assert baum_sweet_label(values, bits).tolist() == expected


def test_baum_sweet_batches_do_not_depend_on_how_many_draws_a_round_makes(monkeypatch):
    import seqgraph.tasks.baum_sweet as module

    lengths, seeds, counters = torch.tensor([3, 9, 18]), torch.tensor([1, 2, 3]), torch.tensor([0, 5, 7])
    x, y, _ = TASK.batches(lengths, seeds, counters, 64)
    for attempts in (3, 7, 200):
        monkeypatch.setattr(module, "_ATTEMPTS", attempts)
        x2, y2, _ = TASK.batches(lengths, seeds, counters, 64)
        assert torch.equal(x, x2) and torch.equal(y, y2)


def test_baum_sweet_ones_counts_as_the_templates_check_by_enumeration():
    running = 0
    for n in range(1, 2**13 + 1):
        running += check_baum_sweet(bin(n)[2:])
        assert baum_sweet_ones(n) == running, n
    assert baum_sweet_ones(0) == 0
    # larger N: enumerate a window above a known count
    for N in (10**5, 10**6 - 10, 2**20 + 12345):
        start = N - 3000
        assert baum_sweet_ones(N) - baum_sweet_ones(start) == sum(
            check_baum_sweet(bin(v)[2:]) for v in range(start + 1, N + 1))


@pytest.mark.parametrize("length", [2, 3, 4, 5])
def test_baum_sweet_baseline_is_exact_by_enumerating_the_templates_range(length):
    # random.randint(10, 10**max_len) is uniform on [10, 10^L] inclusive; a label-0 draw is
    # kept with probability 0.016724: P(label 1) = p / (p + 0.016724 (1 − p))
    labels = [check_baum_sweet(bin(v)[2:]) for v in range(10, 10**length + 1)]
    p = sum(labels) / len(labels)
    rate = p / (p + 0.016724 * (1 - p))
    assert baum_sweet_label_rate(length) == pytest.approx(rate, rel=1e-12)
    assert TASK.baseline(length) == pytest.approx(max(rate, 1 - rate), rel=1e-12)


def test_baum_sweet_baseline_matches_the_templates_draws_and_seqgraphs_generator():
    import random


    rng = random.Random(1)
    n = 4000
    template = sum(gen_baum_sweet(3, rng)[1] for _ in range(n)) / n
    p = baum_sweet_label_rate(3)
    assert abs(template - p) < 5 * (p * (1 - p) / n) ** 0.5
    for length in (2, 6, 9):
        _, y = palindrome_batch(4000, length, seed=8, stream=EVAL)
        p = baum_sweet_label_rate(length)
        assert abs(float(y.float().mean()) - p) < 5 * (p * (1 - p) / 4000) ** 0.5


def test_baum_sweet_length_is_capped():
    with pytest.raises(ConfigError, match="at most 18"):
        palindrome_batch(4, 19, seed=0)


def test_baselines_depend_on_the_length():
    assert TASK.baseline_by_length
    assert TASK.baseline(12) > 0.95  # long integers rarely have only even zero blocks
    bs = [TASK.baseline(L) for L in range(2, 19)]
    assert min(bs) == pytest.approx(0.504, abs=0.001) and bs[0] > 0.95 and bs[-1] > 0.999

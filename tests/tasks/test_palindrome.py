import numpy as np
import pytest
import torch

from seqgraph.errors import ConfigError
from seqgraph.tasks.palindrome import (
    EVAL,
    TRAIN,
    TaskSpec,
    binary_sequence_length,
    hash32,
    palindrome_batch,
    palindrome_batches,
    task_spec,
)


def hash32_reference(x: int) -> int:
    """lowbias32 in plain Python integers (the reference for the int64 tensor version)."""
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    return x ^ (x >> 16)


def test_hash_equals_the_32_bit_reference():
    values = [0, 1, 2, 12345, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF,
              *torch.randint(0, 2**32, (200,), generator=torch.Generator().manual_seed(0)).tolist()]
    got = hash32(torch.tensor(values, dtype=torch.long)).tolist()
    assert got == [hash32_reference(v) for v in values]


def decimal(length, batch=256, seed=0, counter=0, stream=TRAIN):
    return palindrome_batch("decimal", batch, length, seed, counter, stream)


@pytest.mark.parametrize("length", [2, 3, 5, 10, 11, 80])
def test_decimal_batches_are_palindromes_whose_last_digit_is_the_first(length):
    x, y = decimal(length)
    assert x.shape == (256, length - 1) and y.shape == (256,)
    full = torch.cat([x, y[:, None]], 1)
    assert torch.equal(full, full.flip(1))
    assert torch.equal(y, x[:, 0])
    assert x.min() >= 0 and x.max() <= 9


def test_digits_are_uniform_and_independent_of_position():
    x, _ = decimal(41, batch=4096)
    counts = torch.bincount(x[:, :20].reshape(-1), minlength=10).double()  # the drawn half
    expected = counts.sum() / 10
    assert ((counts - expected).abs() < 5 * expected.sqrt()).all()  # within 5 sigma
    # neighbouring positions are not correlated
    a, b = x[:, 0].double(), x[:, 1].double()
    corr = ((a - a.mean()) * (b - b.mean())).mean() / (a.std() * b.std())
    assert abs(float(corr)) < 0.06


def test_batches_depend_on_seed_counter_and_stream_only():
    base = decimal(12, seed=7, counter=3)
    assert torch.equal(decimal(12, seed=7, counter=3)[0], base[0])
    for other in (decimal(12, seed=8, counter=3), decimal(12, seed=7, counter=4),
                  decimal(12, seed=7, counter=3, stream=EVAL)):
        assert not torch.equal(other[0], base[0])
    big = 2**40 + 7  # seeds above 32 bits are distinct from their low half
    assert not torch.equal(decimal(12, seed=big)[0], decimal(12, seed=7)[0])


@pytest.mark.parametrize("task", ["decimal", "binary", "baum-sweet", "random-combinations"])
def test_a_run_gets_the_same_batch_alone_or_among_others(task):
    """K runs of different lengths in one call: each equals the run generated alone, right-padded."""
    lengths, seeds, counters = [9, 4, 14, 4], [1, 2, 3, 2], [0, 5, 2, 6]
    x, y, last = palindrome_batches(task, torch.tensor(lengths), torch.tensor(seeds), torch.tensor(counters), 32)
    for k in range(4):
        xa, ya = palindrome_batch(task, 32, lengths[k], seeds[k], counters[k])
        n = xa.shape[1]
        assert int(last[k]) == n - 1
        assert torch.equal(x[k, :, :n], xa) and torch.equal(y[k], ya)
        assert (x[k, :, n:] == 0).all()  # right padding
    # the order of the runs does not matter either
    order = [2, 0, 3, 1]
    _, y2, _ = palindrome_batches(task, torch.tensor(lengths)[order], torch.tensor(seeds)[order],
                                   torch.tensor(counters)[order], 32)
    assert torch.equal(y2, y[order])


def decode_binary(row):
    """Reference decoder, written independently: strip padding, check the mirror."""
    return [v - 1 for v in row if v != 0]


@pytest.mark.parametrize("length", [4, 10, 20, 7])
def test_binary_batches_follow_the_course_layout(length):
    x, y = palindrome_batch("binary", 300, length, seed=1)
    P = binary_sequence_length(length)
    assert x.shape == (300, P - 1)
    if length % 2 == 0:
        assert P == 4 * length + 2
    for row, target in zip(x.tolist(), y.tolist(), strict=True):
        n_pad = next(i for i, v in enumerate(row) if v != 0)
        assert n_pad >= 2 and all(v == 0 for v in row[:n_pad])  # left padding only
        bits = [*decode_binary(row), target]
        assert all(b in (0, 1) for b in bits)
        assert bits == bits[::-1]  # a palindrome
        assert len(bits) % 2 == 0 and len(bits) // 2 <= 4 * ((length + 1) // 2)
        assert target == bits[0]


def test_binary_left_half_decodes_into_digits_0_to_8_and_both_orders_occur():
    x, y = palindrome_batch("binary", 2000, 2, seed=2)  # one digit per sample
    values = set()
    for row, t in zip(x.tolist(), y.tolist(), strict=True):
        bits = [*decode_binary(row), t]
        half = bits[: len(bits) // 2]
        value = int("".join(map(str, half)), 2)
        rev = int("".join(map(str, half[::-1])), 2)
        assert value <= 8 or rev <= 8
        values.add(value)
    assert {1, 2, 4, 8} <= values  # 2 = "10", 4 = "100", 8 = "1000" unreversed ...
    assert values & {5, 3}  # ... and e.g. 6 = "110" reversed to "011" = 3 occurs


def test_task_spec():
    d = task_spec("decimal", 5)
    assert (d.num_symbols, d.num_classes, d.input_length) == (10, 10, 4)
    s = task_spec("binary", 10)
    assert (s.num_symbols, s.num_classes, s.input_length) == (3, 2, 41)
    assert task_spec("binary", 20).input_length == 81


@pytest.mark.parametrize("task, length", [("decimal", 1), ("decimal", 0), ("trinary", 5)])
def test_bad_task_or_length(task, length):
    with pytest.raises(ConfigError):
        palindrome_batch(task, 4, length, seed=0)


def test_baseline_is_one_tenth_for_decimal_and_the_majority_rate_two_thirds_for_binary():
    from seqgraph.tasks.palindrome import baseline_accuracy

    assert baseline_accuracy("decimal", 7) == 0.1
    # by hand (2020 datasets.py): unflipped, label = leading bit of a digit 0–8: 1 unless 0 (8/9);
    # flipped, label = parity of a digit 0–8 (4/9); the mean is 2/3
    for L in (4, 10, 21):
        assert baseline_accuracy("binary", L) == pytest.approx((8 / 9 + 4 / 9) / 2, abs=0.005)


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
    x, y = palindrome_batch("baum-sweet", 200, length, seed=3)
    assert x.shape == (200, 4 * length)
    assert task_spec("baum-sweet", length) == TaskSpec(num_symbols=3, num_classes=2, input_length=4 * length)
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
    _, y = palindrome_batch("baum-sweet", n, length, seed=5)
    rate = float(y.float().mean())
    sigma = (ref_rate * (1 - ref_rate) / n) ** 0.5
    assert abs(rate - ref_rate) < 5 * 2**0.5 * sigma  # two samples of n: the difference's sd is √2σ
    # the integers labelled 0 are uniform over [10, 10^L]: their mean is about (10 + 10^L)/2
    x, y = palindrome_batch("baum-sweet", 4000, length, seed=6)
    ints = [int("".join(str(v - 1) for v in row if v != 0), 2)
            for row, t in zip(x.tolist(), y.tolist(), strict=True) if t == 0]
    mean, sd = (10 + 10**length) / 2, (10**length - 10) / 12**0.5
    assert abs(sum(ints) / len(ints) - mean) < 5 * sd / len(ints) ** 0.5


def test_baum_sweet_label_of_known_integers():
    from seqgraph.tasks.palindrome import baum_sweet_label

    # the Baum–Sweet sequence b(1..16) (OEIS A086747, from n = 1): 1 0 1 1 0 0 1 0 1 0 0 1 0 0 1 1
    n = torch.arange(1, 17)
    assert baum_sweet_label(n).tolist() == [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1]
    assert baum_sweet_label(n).tolist() == [check_baum_sweet(bin(v)[2:]) for v in range(1, 17)]


def test_baum_sweet_label_equals_the_templates_check_on_many_integers():
    from seqgraph.tasks.palindrome import baum_sweet_label

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
    from seqgraph.tasks.palindrome import baum_sweet_label

    values = torch.randint(1, 2**62, (2000,), generator=torch.Generator().manual_seed(1))
    for bits in (4, 17, 40):
        low = [v & ((1 << bits) - 1) for v in values.tolist()]
        expected = [check_baum_sweet(bin(v)[2:]) if v else 1 for v in low]  # 0: no block at all
        assert baum_sweet_label(values, bits).tolist() == expected


def test_baum_sweet_batches_do_not_depend_on_how_many_draws_a_round_makes(monkeypatch):
    import seqgraph.tasks.palindrome as tasks

    lengths, seeds, counters = torch.tensor([3, 9, 18]), torch.tensor([1, 2, 3]), torch.tensor([0, 5, 7])
    x, y, _ = palindrome_batches("baum-sweet", lengths, seeds, counters, 64)
    for attempts in (3, 7, 200):
        monkeypatch.setattr(tasks, "_ATTEMPTS", attempts)
        x2, y2, _ = palindrome_batches("baum-sweet", lengths, seeds, counters, 64)
        assert torch.equal(x, x2) and torch.equal(y, y2)


def random_combination(seq_length, rng):
    """RandomCombinationsDataset.__getitem__ (with a seeded numpy generator)."""
    seq = rng.permutation(seq_length)
    return torch.FloatTensor(seq[:-1]), seq[-1]


@pytest.mark.parametrize("length", [2, 5, 12])
def test_random_combinations_rows_are_permutations_missing_their_label(length):
    x, y = palindrome_batch("random-combinations", 500, length, seed=4)
    ref_x, _ = random_combination(length, np.random.default_rng(0))
    assert x.shape == (500, ref_x.shape[0]) == (500, length - 1)
    assert task_spec("random-combinations", length) == TaskSpec(length, length, length - 1)
    for row, label in zip(x.tolist(), y.tolist(), strict=True):
        assert sorted([*row, label]) == list(range(length))  # a permutation of 0..L−1 ...
        assert label == (set(range(length)) - set(row)).pop()  # ... whose label is the missing number


def test_random_combinations_labels_and_positions_are_uniform():
    length, n = 6, 6000
    x, y = palindrome_batch("random-combinations", n, length, seed=7)
    expected = n / length
    for counts in (torch.bincount(y, minlength=length), torch.bincount(x[:, 0], minlength=length)):
        chi2 = float(((counts - expected) ** 2 / expected).sum())
        assert chi2 < 25  # 5 degrees of freedom: p ≈ 1e-4


def test_baselines_of_the_2020_tasks():
    from seqgraph.tasks.palindrome import baseline_accuracy

    assert baseline_accuracy("random-combinations", 8) == pytest.approx(1 / 8)
    assert baseline_accuracy("baum-sweet", 12) > 0.95  # long integers rarely have only even zero blocks


def test_baum_sweet_ones_counts_as_the_templates_check_by_enumeration():
    from seqgraph.tasks.palindrome import baum_sweet_ones

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
    from seqgraph.tasks.palindrome import baseline_accuracy, baum_sweet_label_rate

    # random.randint(10, 10**max_len) is uniform on [10, 10^L] inclusive; a label-0 draw is
    # kept with probability 0.016724: P(label 1) = p / (p + 0.016724 (1 − p))
    labels = [check_baum_sweet(bin(v)[2:]) for v in range(10, 10**length + 1)]
    p = sum(labels) / len(labels)
    rate = p / (p + 0.016724 * (1 - p))
    assert baum_sweet_label_rate(length) == pytest.approx(rate, rel=1e-12)
    assert baseline_accuracy("baum-sweet", length) == pytest.approx(max(rate, 1 - rate), rel=1e-12)


def test_baum_sweet_baseline_matches_the_templates_draws_and_seqgraphs_generator():
    import random

    from seqgraph.tasks.palindrome import baum_sweet_label_rate

    rng = random.Random(1)
    n = 4000
    template = sum(gen_baum_sweet(3, rng)[1] for _ in range(n)) / n
    p = baum_sweet_label_rate(3)
    assert abs(template - p) < 5 * (p * (1 - p) / n) ** 0.5
    for length in (2, 6, 9):
        _, y = palindrome_batch("baum-sweet", 4000, length, seed=8, stream=EVAL)
        p = baum_sweet_label_rate(length)
        assert abs(float(y.float().mean()) - p) < 5 * (p * (1 - p) / 4000) ** 0.5


def test_baselines_that_depend_on_the_length():
    from seqgraph.tasks.palindrome import BASELINE_BY_LENGTH, baseline_accuracy

    assert BASELINE_BY_LENGTH == {"baum-sweet", "random-combinations"}
    assert [baseline_accuracy("random-combinations", L) for L in (2, 5)] == [0.5, 0.2]
    bs = [baseline_accuracy("baum-sweet", L) for L in range(2, 19)]
    assert min(bs) == pytest.approx(0.504, abs=0.001) and bs[0] > 0.95 and bs[-1] > 0.999


def test_baum_sweet_length_is_capped():
    with pytest.raises(ConfigError, match="at most 18"):
        palindrome_batch("baum-sweet", 4, 19, seed=0)

"""The digits tasks against their anchor's definition, written out here: scikit-learn's 8×8
digits read pixel by pixel (row-major, or in one fixed permutation), ink/16 per step, the class
at the last step; a fixed split of default_rng(0).permutation(1797) into 1,437 and 360."""

import sys

import numpy as np
import pytest

from seqgraph.errors import ConfigError
from seqgraph.tasks import digits
from seqgraph.tasks.base import EVAL, TRAIN
from seqgraph.tasks.registry import get_task


@pytest.fixture(scope="module")
def data():
    datasets = pytest.importorskip("sklearn.datasets")
    d = datasets.load_digits()
    perm = np.random.default_rng(0).permutation(1797)
    return d.data, d.target, perm[:1437], perm[1437:]


def test_the_split_is_fixed_disjoint_and_covers_every_image(data):
    images, _, train, test = data
    assert images.shape == (1797, 64) and images.min() == 0 and images.max() == 16
    got_train, got_test = digits.split()
    assert len(got_train) == 1437 and len(got_test) == 360
    assert not set(got_train.tolist()) & set(got_test.tolist())
    assert sorted([*got_train.tolist(), *got_test.tolist()]) == list(range(1797))
    assert (got_train == train).all() and (got_test == test).all()


@pytest.mark.parametrize("name", ["digits", "digits-permuted"])
@pytest.mark.parametrize("stream", [TRAIN, EVAL])
def test_each_sample_is_an_image_of_its_streams_split_with_its_class(data, name, stream):
    images, labels, train, test = data
    order = np.random.default_rng(1).permutation(64) if name == "digits-permuted" else np.arange(64)
    x, y = get_task(name).batch(2000, 64, seed=9, counter=4, stream=stream)
    x, y = x.numpy(), y.numpy()
    assert x.shape == (2000, 64, 1) and x.dtype == np.float32 and y.shape == (2000,)
    index = train if stream == TRAIN else test
    reads = (images[:, order] / 16).astype(np.float32)  # step t reads pixel order[t]
    where = {reads[i].tobytes(): i for i in index}
    found = [where.get(row.tobytes()) for row in x[..., 0]]
    assert None not in found  # every sample is an image of the split, read in order
    assert (y == labels[found]).all()
    # uniform over the split: each class as often as the split holds it (5 standard errors)
    p = np.bincount(labels[index], minlength=10) / len(index)
    q = np.bincount(y, minlength=10) / len(y)
    assert (np.abs(q - p) < 5 * np.sqrt(p * (1 - p) / len(y)) + 1e-9).all()
    assert len(set(found)) > 0.6 * len(index)  # draws spread over the split


def test_the_permuted_variant_reads_the_same_image_in_one_fixed_order(data):
    order = np.random.default_rng(1).permutation(64)
    assert sorted(order.tolist()) == list(range(64)) and (order != np.arange(64)).any()
    x, y = get_task("digits").batch(300, 64, seed=2)
    xp, yp = get_task("digits-permuted").batch(300, 64, seed=2)
    assert (yp.numpy() == y.numpy()).all()
    assert (xp.numpy()[:, :, 0] == x.numpy()[:, order, 0]).all()


def test_the_baselines_come_from_the_split(data):
    _, labels, train, test = data
    majority = np.bincount(labels[test], minlength=10).max() / 360
    p = np.bincount(labels[train], minlength=10) / 1437
    for name in ("digits", "digits-permuted"):
        task = get_task(name)
        assert task.baseline(64) == majority  # exactly: the held-out split's majority-class rate
        assert task.baseline_loss(64) == pytest.approx(-(p * np.log(p)).sum())
        assert task.baseline_why == "majority class"


def test_the_sizes_and_the_one_length():
    task = get_task("digits")
    assert task.num_features(64) == 1 and task.num_classes(64) == 10 and task.input_length(64) == 64
    assert task.min_length == task.max_length == task.default_length == 64
    assert task.encodings == ("features",) and task.target == "class-at-last" and task.metric == "accuracy"
    with pytest.raises(ConfigError, match=r"digits takes one length, 64 \(pixels \(always 64\)\), not 63"):
        task.check_length(63)
    with pytest.raises(ConfigError, match="takes one length, 64"):
        get_task("digits-permuted").check_length(65)


def test_without_scikit_learn_the_tasks_say_which_extra_to_install(monkeypatch):
    digits.load.cache_clear()
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn now raises ImportError
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    try:
        for name in ("digits", "digits-permuted"):
            with pytest.raises(ConfigError, match=r"^the digits tasks need scikit-learn: pip install "
                                                  r"'seqgraph\[digits\]'$"):
                get_task(name).batch(4, 64, seed=0)
    finally:
        digits.load.cache_clear()

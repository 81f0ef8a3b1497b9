import pytest
import torch

from seqgraph.errors import DataError
from seqgraph.tasks.text import CharCorpus, Vocab, default_corpus, load_text


def test_vocab_is_sorted_set_and_round_trips():
    text = "hello, wörld\n"
    v = Vocab.from_text(text)
    assert v.chars == sorted(set(text))
    assert v.decode(v.encode(text)) == text


def test_unknown_character_is_named():
    v = Vocab.from_text("abc")
    with pytest.raises(DataError, match=r"character 'z' \(U\+007A\)"):
        v.encode("abz", "prompt")


def test_windows_are_shifted_by_one():
    text = "".join(chr(ord("a") + i % 26) for i in range(500))
    c = CharCorpus(text, val_fraction=0.1, seq_length=7)
    g = torch.Generator().manual_seed(0)
    x, y = c.batch(16, g)
    assert x.shape == y.shape == (16, 7)
    assert torch.equal(x[:, 1:], y[:, :-1])
    # y is the next character of x in the text
    nxt = (x + 1) % 26
    assert torch.equal(y, nxt)


def test_split_takes_the_end_for_validation():
    text = "a" * 900 + "b" * 100
    c = CharCorpus(text, val_fraction=0.1, seq_length=5)
    assert len(c.train) == 900 and len(c.val) == 100
    assert set(c.val.tolist()) == {c.vocab.stoi["b"]}
    for x, _y in c.val_batches(4, 3):
        assert (x == c.vocab.stoi["b"]).all()


def test_text_shorter_than_a_sequence():
    with pytest.raises(DataError, match="too short"):
        CharCorpus("abcdefgh" * 3, val_fraction=0.1, seq_length=30)


def test_load_text_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9\n")
    with pytest.raises(DataError, match=r"not UTF-8.*0xe9 at offset 3"):
        load_text(bad)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(DataError, match="empty"):
        load_text(empty)
    with pytest.raises(DataError, match="not found"):
        load_text(tmp_path / "none.txt")


def test_default_corpus_is_clean_kjv():
    text = default_corpus()
    assert text.startswith("In the beginning God created the heaven and the earth.")
    assert "[" not in text and "]" not in text
    assert "darkness was upon the face of the deep" in text
    assert len(text) > 4_000_000

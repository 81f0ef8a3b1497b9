import itertools
import math

import numpy as np
import pytest
import torch

from seqgraph.errors import ConfigError
from seqgraph.nn.charlm import CharLM, beam_search, choose_next, generate
from seqgraph.nn.registry import unidirectional_cells


@pytest.fixture(params=["lstm", "gru", "tglstm", "torch", "rnn", "peep", "course-gru"])
def model(request):
    torch.manual_seed(0)
    return CharLM(12, hidden=16, layers=2, cell=request.param).eval()


def refeed_greedy(model, prompt, length):
    """Independent reference: re-read the whole prefix for every new character."""
    seq = prompt.clone()
    out = []
    with torch.no_grad():
        for _ in range(length):
            logits, _ = model(seq.unsqueeze(0))
            nxt = logits[0, -1].argmax()
            out.append(int(nxt))
            seq = torch.cat([seq, nxt.view(1)])
    return out


def test_greedy_is_argmax_and_carried_state_equals_refeeding(model):
    prompt = torch.tensor([1, 5, 3])
    ids = generate(model, prompt, 15, temperature=0)
    assert ids[0].tolist() == refeed_greedy(model, prompt, 15)


def test_same_seed_same_samples(model):
    prompt = torch.tensor([2])
    a = generate(model, prompt, 20, num=3, temperature=1.0, generator=torch.Generator().manual_seed(7))
    b = generate(model, prompt, 20, num=3, temperature=1.0, generator=torch.Generator().manual_seed(7))
    c = generate(model, prompt, 20, num=3, temperature=1.0, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def entropy_of_samples(logits, T, n=20_000):
    g = torch.Generator().manual_seed(0)
    picks = choose_next(logits.expand(n, -1), T, g)
    p = torch.bincount(picks, minlength=logits.shape[-1]).float() / n
    p = p[p > 0]
    return float(-(p * p.log()).sum())


def test_higher_temperature_gives_higher_entropy():
    logits = torch.tensor([[3.0, 1.0, 0.5, 0.0, -1.0, -2.0]])
    h = [entropy_of_samples(logits, T) for T in (0.25, 0.5, 1.0, 2.0, 4.0)]
    assert all(a < b for a, b in itertools.pairwise(h))
    assert entropy_of_samples(logits, 0) == 0.0  # greedy: always the same


def test_temperature_one_samples_the_softmax():
    logits = torch.tensor([[2.0, 0.0, -1.0]])
    n = 40_000
    picks = choose_next(logits.expand(n, -1), 1.0, torch.Generator().manual_seed(1))
    freq = torch.bincount(picks, minlength=3).float() / n
    torch.testing.assert_close(freq, logits.softmax(-1)[0], atol=0.01, rtol=0)


def test_top_k_and_top_p_restrict_the_choices():
    logits = torch.tensor([[5.0, 4.0, 3.0, 0.0, -1.0]]).expand(5000, -1)
    g = torch.Generator().manual_seed(0)
    assert set(choose_next(logits, 5.0, g, top_k=2).tolist()) == {0, 1}
    p = logits[0].softmax(-1)  # ≈ .66, .24, .09, ...
    picks = set(choose_next(logits, 1.0, g, top_p=float(p[0] + 0.01)).tolist())
    assert picks == {0, 1}  # the smallest set reaching p: the top two
    assert set(choose_next(logits, 1.0, g, top_p=0.5).tolist()) == {0}


def test_bad_sampling_parameters(model):
    with pytest.raises(ConfigError, match="--temp must be ≥ 0"):
        generate(model, torch.tensor([1]), 3, temperature=-1)
    with pytest.raises(ConfigError, match="--top-p must be in"):
        generate(model, torch.tensor([1]), 3, top_p=0)
    with pytest.raises(ConfigError, match="--top-k must be ≥ 0"):
        generate(model, torch.tensor([1]), 3, top_k=-1)
    with pytest.raises(ConfigError, match="--beta must be positive"):
        generate(model, torch.tensor([1]), 3, beta=float("inf"))


def sequence_logprob(model, prompt, ids):
    seq = torch.cat([prompt, ids])
    with torch.no_grad():
        logits, _ = model(seq.unsqueeze(0))
    lp = logits[0, len(prompt) - 1 : -1].log_softmax(-1)
    return float(lp.gather(1, ids.unsqueeze(1)).sum())


def test_beam_search(model):
    prompt = torch.tensor([4, 2])
    seqs, scores = beam_search(model, prompt, 8, beams=1)
    assert seqs[0].tolist() == refeed_greedy(model, prompt, 8)  # width 1 = greedy
    seqs, scores = beam_search(model, prompt, 8, beams=4)
    assert seqs.shape == (4, 8)
    assert all(a >= b for a, b in zip(scores.tolist(), scores.tolist()[1:], strict=False))
    for s, sc in zip(seqs, scores, strict=True):
        assert sequence_logprob(model, prompt, s) == pytest.approx(float(sc), abs=1e-4)
    greedy = torch.tensor(refeed_greedy(model, prompt, 8))
    assert float(scores[0]) >= sequence_logprob(model, prompt, greedy) - 1e-5


def test_logits_shape_and_state_continuation(model):
    x = torch.randint(0, 12, (3, 10))
    logits, _state = model(x)
    assert logits.shape == (3, 10, 12)
    a, _ = model(x[:, :4])
    _, s = model(x[:, :4])
    b, _ = model(x[:, 4:], s, t0=4)  # continuing: the 5th token is at time 4
    torch.testing.assert_close(torch.cat([a, b], 1), logits, atol=1e-5, rtol=1e-5)
    assert math.isfinite(float(logits.detach().sum()))


def test_beta_samples_softmax_of_beta_times_logits_as_the_course_writes_it():
    """The 2019/2020 course: p = softmax(β · logits). Reference: the inverse of that
    distribution's CDF (numpy, float64) at the same uniforms the generator gives."""
    logits = torch.tensor([[2.0, 0.5, -1.0, 0.0]]).expand(500, -1)
    for beta in (0.5, 1.0, 2.0):
        ours = choose_next(logits, 1.0, torch.Generator().manual_seed(3), beta=beta)
        u = torch.rand(500, generator=torch.Generator().manual_seed(3)).double().numpy()
        z = beta * logits[0].double().numpy()
        cdf = np.cumsum(np.exp(z - z.max()) / np.exp(z - z.max()).sum())
        ref = np.searchsorted(cdf, u * cdf[-1], side="right")
        assert ours.tolist() == ref.tolist()
        assert len(set(ref.tolist())) >= 3  # not one id: a real draw


@pytest.mark.parametrize(("temperature", "beta"), [(0.7, None), (1.0, None), (2.0, None), (1.0, 3.0), (0.0, 3.0)])
def test_sampling_equals_refeeding_the_prefix_and_drawing_by_numpy(model, temperature, beta):
    """generate (carried state, the head scaled once, ids written in place) against an
    independent loop: re-read the whole prefix, softmax(logits / T) or softmax(β · logits) in
    float64 numpy, and the inverse CDF at the uniforms drawn up front, (length, num)."""
    model = model.double()
    prompt, length, num = torch.tensor([3, 1]), 12, 3
    ids = generate(model, prompt, length, num=num, temperature=temperature, beta=beta,
                   generator=torch.Generator().manual_seed(5))
    u = torch.rand(length, num, generator=torch.Generator().manual_seed(5)).double().numpy()
    seqs = prompt.unsqueeze(0).repeat(num, 1)
    with torch.no_grad():
        for t in range(length):
            logits = model(seqs)[0][:, -1].numpy()
            z = logits * beta if beta is not None else logits / temperature
            p = np.exp(z - z.max(-1, keepdims=True))
            cdf = np.cumsum(p / p.sum(-1, keepdims=True), -1)
            nxt = [int(np.searchsorted(cdf[b], u[t, b] * cdf[b, -1], side="right")) for b in range(num)]
            seqs = torch.cat([seqs, torch.tensor(nxt).unsqueeze(1)], 1)
    assert ids.tolist() == seqs[:, len(prompt):].tolist()
    assert len(set(ids.flatten().tolist())) >= 3  # a real draw, not one id


def test_uniforms_given_are_used_and_zero_probability_ids_never_drawn():
    logits = torch.tensor([[0.0, -math.inf, 0.0, -math.inf]]).expand(4, -1)
    u = torch.tensor([0.0, 0.49, 0.51, 0.999999])
    assert choose_next(logits, 1.0, None, uniform=u).tolist() == [0, 0, 2, 2]


def test_beta_is_one_over_the_temperature():
    logits = torch.tensor([[3.0, 1.0, 0.5, 0.0, -1.0]]).expand(20_000, -1)
    for beta in (0.5, 2.0):
        a = choose_next(logits, 1 / beta, torch.Generator().manual_seed(1))
        b = choose_next(logits, 123.0, torch.Generator().manual_seed(2), beta=beta)  # beta wins
        pa, pb = (torch.bincount(x, minlength=5).float() / len(x) for x in (a, b))
        assert torch.allclose(pa, pb, atol=0.02)


def test_generate_refuses_a_beta_that_is_not_positive():
    torch.manual_seed(0)
    model = CharLM(5, 8, 1)
    for beta in (0.0, -1.0, float("inf")):
        with pytest.raises(ConfigError, match="beta must be positive"):
            generate(model, torch.tensor([1]), 3, beta=beta)


@pytest.mark.parametrize("cell", unidirectional_cells())
def test_one_step_at_a_time_equals_reading_the_whole_sequence(cell):
    """RecurrentStack.stepper (sampling's path) against the training forward over a sequence."""
    torch.manual_seed(0)
    model = CharLM(12, hidden=16, layers=2, cell=cell, kernel="seqgraph").double().eval()
    x = torch.randint(0, 12, (3, 9))
    logits, _ = model(x)
    stack = model.rnn
    step = stack.stepper()
    state = [tuple(torch.zeros(3, 16, dtype=torch.float64) for _ in range(c.state_size)) for c in stack.cells]
    for t in range(9):
        h, state = step(x[:, t], state, t)
        torch.testing.assert_close(model.head(h), logits[:, t], atol=1e-12, rtol=0)


def test_the_stepper_takes_float_inputs_and_works_with_gradients_enabled():
    """A stack reading vectors (B, I), not ids; called outside no_grad, it neither fails on
    its in-place gates nor records a graph."""
    from seqgraph.nn.models import RecurrentStack

    torch.manual_seed(0)
    for cell in ("lstm", "rnn", "gru"):
        stack = RecurrentStack(cell, 5, 8, 2).double()
        x = torch.randn(6, 2, 5, dtype=torch.float64)
        out, _ = stack(x)
        step = stack.stepper()
        state = [tuple(torch.zeros(2, 8, dtype=torch.float64) for _ in range(c.state_size)) for c in stack.cells]
        for t in range(6):
            h, state = step(x[t], state, t)
            assert not h.requires_grad
            torch.testing.assert_close(h, out[t], atol=1e-12, rtol=0)


def test_the_stepper_keeps_earlier_states_across_batch_sizes_and_inference_mode():
    """Its gate buffers (one per batch size) are reused: a state it returned is never
    overwritten by a later step, whatever the batch size, and the same stepper runs inside
    torch.inference_mode and outside it."""
    from seqgraph.nn.models import RecurrentStack

    torch.manual_seed(0)
    for cell in ("lstm", "rnn"):
        stack = RecurrentStack(cell, 6, 8, 2).double().eval()
        step = stack.stepper()
        zeros = [tuple(torch.zeros(3, 8, dtype=torch.float64) for _ in range(c.state_size)) for c in stack.cells]
        with torch.inference_mode():
            _, state3 = step(torch.tensor([1, 2, 3]), zeros)
        kept = [s.clone() for layer in state3 for s in layer]
        h2, _ = step(torch.tensor([4, 5]), [tuple(s[:2] for s in layer) for layer in zeros])  # outside
        h3_again, _ = step(torch.tensor([3, 2, 1]), state3)
        assert all(torch.equal(a, b) for a, b in zip(kept, [s for layer in state3 for s in layer], strict=True))
        ref, _ = stack(torch.tensor([[1, 2, 3], [3, 2, 1]]))
        torch.testing.assert_close(h3_again, ref[1], atol=1e-12, rtol=0)
        torch.testing.assert_close(h2, stack(torch.tensor([[4, 5]]))[0][0], atol=1e-12, rtol=0)


def test_the_character_model_refuses_a_bidirectional_cell():
    with pytest.raises(ConfigError, match="reads each sequence both ways"):
        CharLM(10, 8, 1, cell="bilstm")

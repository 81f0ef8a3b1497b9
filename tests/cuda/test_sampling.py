"""Sampling a character model on CUDA: greedy and beam search give the CPU's texts, seeded sampling repeats,
and a model trained briefly on CUDA samples from its checkpoint."""

import copy

import pytest
import torch

from seqgraph.nn.charlm import CharLM, beam_search, generate
from seqgraph.nn.registry import char_cells

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

PROMPT = torch.tensor([1, 5, 3, 7])


def pair(cell):
    """The same character model (float64: argmax ties stay out of reach) on the CPU and on CUDA."""
    torch.manual_seed(0)
    cpu = CharLM(12, hidden=16, layers=2, cell=cell).double().eval()
    return cpu, copy.deepcopy(cpu).cuda()


@pytest.mark.parametrize("cell", char_cells())
def test_greedy_on_cuda_equals_greedy_on_the_cpu(cell):
    cpu, gpu = pair(cell)
    ids = generate(gpu, PROMPT, 40, temperature=0)
    assert ids.is_cuda
    assert ids.cpu().tolist() == generate(cpu, PROMPT, 40, temperature=0).tolist()


@pytest.mark.parametrize("cell", ["lstm", "gru", "mingru", "lru", "torch"])
def test_beam_search_on_cuda_equals_the_cpu(cell):
    cpu, gpu = pair(cell)
    ids_gpu, scores_gpu = beam_search(gpu, PROMPT, 12, 4)
    ids_cpu, scores_cpu = beam_search(cpu, PROMPT, 12, 4)
    assert ids_gpu.cpu().tolist() == ids_cpu.tolist()
    torch.testing.assert_close(scores_gpu.cpu(), scores_cpu, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cell", ["lstm", "minlstm", "torch"])
def test_seeded_sampling_on_cuda_repeats_and_depends_on_the_seed(cell):
    _, gpu = pair(cell)

    def draw(seed):
        return generate(gpu, PROMPT, 60, num=8, temperature=1.0,
                        generator=torch.Generator(device="cuda").manual_seed(seed)).cpu()

    a, b, c = draw(7), draw(7), draw(8)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == (8, 60) and int(a.min()) >= 0 and int(a.max()) < 12
    assert len(set(a.flatten().tolist())) > 3  # drawn, not stuck on one character


def test_a_model_trained_on_cuda_samples_from_its_checkpoint(tmp_path):
    """Training on cuDNN (kernel auto), the log's held-out loss falling, then ``seqgraph sample``'s core on
    CUDA reading the checkpoint."""
    import pandas as pd

    from seqgraph.experiments.charlm.loop import train_charlm
    from seqgraph.experiments.charlm.sample import Sampling, sample_checkpoint
    from seqgraph.experiments.charlm.spec import CharLMRun, TrainOptions
    from seqgraph.sweep.grid import resolve_sweep

    text = tmp_path / "book.txt"
    text.write_text(("the quick brown fox jumps over the lazy dog. " * 40 + "a stitch in time saves nine. " * 40) * 2)
    spec = resolve_sweep(CharLMRun, TrainOptions, None, text=str(text), hidden=32, layers=2, seq_length=16,
                         batch_size=16, steps=150, eval_every=50, eval_batches=2, sample_every=0, lr=0.01).single()
    summary = train_charlm(spec, tmp_path / "run", device="cuda")
    log = pd.read_csv(tmp_path / "run" / "log.csv")
    assert summary.step == 150 and log.val_loss.iloc[-1] < log.val_loss.iloc[0]
    got = sample_checkpoint(summary.last, Sampling(), length=50, num=3, seed=1, device="cuda")
    assert len(got.texts) == 3 and all(len(t) >= 50 for t in got.texts)
    assert set("".join(got.texts)) <= set(text.read_text())

"""Shared by the CUDA tests (``pytest -m cuda``; each module is marked ``cuda`` and skips without a GPU).

float32 on CUDA is compared in true float32: TF32 (the matrix units' ~10-bit-mantissa mode, which cuDNN
may use by default) is turned off for every test here, so the tolerances below are float32's.
Tolerances are norm-relative, ‖ours − ref‖ ≤ rtol·‖ref‖ + atol·√n, and a failure names the error measured.
"""

import pytest
import torch

FLOAT32 = dict(rtol=1e-4, atol=1e-6)  # float32 lands far under 1e-4 here; TF32 would be near 3e-4
FLOAT64 = dict(rtol=1e-10, atol=1e-12)


@pytest.fixture(autouse=True)
def _true_float32():
    if not torch.cuda.is_available():
        yield
        return
    matmul, cudnn = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = matmul, cudnn


@pytest.fixture
def close():
    """``close(ours, ref, what, rtol=None, atol=None)``: ‖ours − ref‖ ≤ rtol·‖ref‖ + atol·√n, computed on
    the CPU in float64; the defaults are float64's when ``ref`` is float64, else float32's."""

    def check(ours, ref, what="", rtol=None, atol=None):
        tol = FLOAT64 if ref.dtype == torch.float64 else FLOAT32
        rtol = tol["rtol"] if rtol is None else rtol
        atol = tol["atol"] if atol is None else atol
        ours, ref = ours.detach().cpu().to(torch.float64), ref.detach().cpu().to(torch.float64)
        assert ours.shape == ref.shape, f"{what}: shape {tuple(ours.shape)} != {tuple(ref.shape)}"
        assert torch.isfinite(ours).all(), f"{what}: not finite"
        err, norm = float((ours - ref).norm()), float(ref.norm())
        assert err <= rtol * norm + atol * ref.numel() ** 0.5, f"{what}: ‖Δ‖/‖ref‖ = {err / max(norm, 1e-300):.2e}"

    return check

"""``torch.backends.cuda``: no CUDA here; ``matmul.allow_tf32`` and friends are settable flags
that change nothing (as on a CPU-only torch)."""


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: TF32 / reduced-precision switches, stored only."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built():
    return False


def flash_sdp_enabled():
    return False


def enable_flash_sdp(enabled):
    pass


def mem_efficient_sdp_enabled():
    return False


def enable_mem_efficient_sdp(enabled):
    pass


def math_sdp_enabled():
    return True


def enable_math_sdp(enabled):
    pass

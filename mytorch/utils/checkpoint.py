"""torch.utils.checkpoint: activation checkpointing, as an API.

mytorch keeps every activation: ``checkpoint(fn, *args)`` calls ``fn(*args)`` once and returns its result with
the ordinary graph, so gradients (and create_graph=True) are exactly those of the plain call. torch instead
frees the activations inside ``fn`` and recomputes them in the backward, trading compute for memory; here the
memory saving is not made. Programs written for torch run unchanged and compute the same numbers (the RNG
state matters only to a recomputation, so ``preserve_rng_state`` has nothing to preserve).
"""
import warnings

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, preserve_rng_state=True, **kwargs):
    """Runs ``function(*args, **kwargs)`` and returns its output (no recomputation: see the module docstring).

    Args:
        function: what to run.
        use_reentrant (bool): torch's choice of implementation; accepted for compatibility. Default: None,
            which warns (UserWarning) as torch 2 does (pass it explicitly).
        preserve_rng_state (bool): accepted for compatibility. Default: True

    Example::

        >>> y = checkpoint(block, x, use_reentrant=False)
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default "
                      "behavior, you can pass use_reentrant=True.", UserWarning, stacklevel=2)
        use_reentrant = True
    if use_reentrant and (context_fn is not None or kwargs):
        raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False."
                         if context_fn is not None else "Unexpected keyword arguments: " + ",".join(kwargs))
    return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Runs a Sequential (or a list of modules) on ``input`` in ``segments`` checkpointed chunks, as torch;
    here each chunk simply runs (see the module docstring).

    Args:
        functions: a ``nn.Sequential`` or a list of modules/functions run in order.
        segments (int): how many chunks torch would checkpoint (at least 1).
        input: the input of the first function.
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
                      "explicitly. use_reentrant=False is recommended.", UserWarning, stacklevel=2)
        use_reentrant = True
    if isinstance(segments, bool) or not isinstance(segments, int) or segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be a positive int, got {segments!r}")
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    size = max(len(functions) // segments, 1)
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1

        def run(x, lo=start, hi=end):
            for f in functions[lo:hi + 1]:
                x = f(x)
            return x

        input = checkpoint(run, input, use_reentrant=use_reentrant, **kwargs)
    for f in functions[end + 1:]:
        input = f(input)
    return input

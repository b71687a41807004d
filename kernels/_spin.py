"""A bounded spin-wait that runs without the GIL: how the kernel threads hand work to each other
without paying for a sleeping thread's wake-up.

A thread blocked on a lock on this VM takes 60-250 us to run again once woken (the idle virtual
CPU has to be woken too), and a training step hands work to the pool thread and back several
times. Watching a counter for a while before blocking avoids that cost when the next hand-off
comes soon, which it does inside a training step. The watch is a numba loop of atomic loads and
sched_yield() calls, so it holds no GIL, and a thread that is ready to run on the same CPU gets it
at once (with x86's ``pause`` instead, two threads stacked on one CPU ran a 2-thread conv at half
the 1-thread speed: see kernels/_threads.py); it gives up after SPIN_ROUNDS rounds (a fraction of a
millisecond) and the caller then blocks.

numba is imported here, not in kernels/_threads.py: the numpy implementation uses the threads
too and must work where numba is missing.
"""
from llvmlite import ir
from numba import config, njit, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["AVAILABLE", "SPIN_ROUNDS", "wait_while_equal"]

# Rounds of (atomic load, sched_yield) before giving up (docs/DECISIONS.md: about 0.2 ms on the 2-core VM).
SPIN_ROUNDS = 1200

# Under NUMBA_DISABLE_JIT=1 the intrinsics below cannot run: callers block at once instead.
AVAILABLE = not config.DISABLE_JIT


@intrinsic
def _load_acquire(typingctx, address):
    """The int64 at ``address``, read with an acquire load: the compiler may neither hoist it out of
    the loop nor reorder later reads before it."""
    def codegen(context, builder, signature, args):
        pointer = builder.inttoptr(args[0], ir.PointerType(ir.IntType(64)))
        return builder.load_atomic(pointer, "acquire", 8)
    return types.int64(types.intp), codegen


@intrinsic
def _yield_cpu(typingctx):
    """libc's sched_yield(): lets another thread that is ready to run on this CPU go first."""
    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), []), "sched_yield")
        builder.call(fn, [])
        return context.get_dummy_value()
    return types.none(), codegen


@njit(cache=True, nogil=True)
def _wait_while_equal(address, value, rounds):
    for _ in range(rounds):
        if _load_acquire(address) != value:
            return True
        _yield_cpu()
    return False


def wait_while_equal(address, value, rounds=SPIN_ROUNDS):
    """Spins while the int64 at ``address`` equals ``value``, at most ``rounds`` rounds, without the
    GIL. True if it changed, False on giving up."""
    return _wait_while_equal(address, value, rounds)

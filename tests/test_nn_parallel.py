"""nn.parallel (DataParallel / DistributedDataParallel run their module on one process), SyncBatchNorm
(BatchNorm on one process) and convert_sync_batchnorm, against torch where installed."""
import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
import mytorch.nn.parallel

from conftest import requires_torch, torch


def _net(lib):
    return lib.nn.Sequential(lib.nn.Conv2d(2, 3, 1), lib.nn.BatchNorm2d(3), lib.nn.ReLU(),
                             lib.nn.Sequential(lib.nn.Flatten(), lib.nn.BatchNorm1d(12, affine=False)),
                             lib.nn.InstanceNorm1d(12))


@requires_torch
def test_convert_sync_batchnorm_matches_torch():
    mine = nn.SyncBatchNorm.convert_sync_batchnorm(_net(mytorch))
    theirs = torch.nn.SyncBatchNorm.convert_sync_batchnorm(_net(torch))
    assert repr(mine) == repr(theirs)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    assert [type(m).__name__ for m in mine.modules()] == [type(m).__name__ for m in theirs.modules()]


def test_convert_keeps_parameters_buffers_and_mode():
    bn = nn.BatchNorm2d(3).eval()
    bn.running_mean.fill_(2.0)
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(bn)
    assert isinstance(sync, nn.SyncBatchNorm) and not sync.training
    assert sync.weight is bn.weight and sync.running_mean.tolist() == [2.0, 2.0, 2.0]


@requires_torch
def test_sync_batchnorm_is_batchnorm_on_one_process():
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 5)).astype(np.float32)
    mine, ref = nn.SyncBatchNorm(3), torch.nn.BatchNorm2d(3)
    a, b = mytorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = mine(a), ref(b)
    (ya * ya).sum().backward()
    (yb * yb).sum().backward()
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-5, atol=1e-5)  # float32
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mine.running_var.numpy(), ref.running_var.numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="expected at least 2D input"):
        mine(mytorch.ones(3))


def test_wrappers_run_the_module_with_torch_state_dict_keys():
    lin = nn.Linear(2, 3)
    x = mytorch.ones(4, 2)
    for wrapper in (nn.parallel.DistributedDataParallel(lin), nn.parallel.DataParallel(lin), nn.DataParallel(lin)):
        assert wrapper(x).tolist() == lin(x).tolist()
        assert list(wrapper.state_dict()) == ["module.weight", "module.bias"]
    ddp = nn.parallel.DistributedDataParallel(lin)
    with ddp.no_sync():
        ddp(x).sum().backward()
    assert lin.weight.grad.tolist() == [[4.0, 4.0]] * 3
    assert nn.parallel.data_parallel(lin, x).tolist() == lin(x).tolist()
    with pytest.raises(RuntimeError, match="doesn't have any parameter"):
        nn.parallel.DistributedDataParallel(nn.ReLU())

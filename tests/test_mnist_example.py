"""The MNIST program: trains, writes its run folder, resumes exactly, scores a checkpoint."""
import json
import os

import numpy as np
import pytest

import mytorch
from mytorch.examples import mnist
from conftest import requires_torch, torch

QUICK = ["--model", "mlp", "--train-size", "1024", "--batch-size", "64", "--no-progress"]


def test_run_folder_and_resume_reproduce_an_uninterrupted_run(tmp_path):
    full, part = str(tmp_path / "full"), str(tmp_path / "part")
    mnist.main(QUICK + ["--epochs", "2", "--out", full])
    mnist.main(QUICK + ["--epochs", "1", "--out", part])          # "interrupted" after epoch 1
    mnist.main(QUICK + ["--epochs", "2", "--out", part, "--resume"])
    a = json.load(open(os.path.join(full, "metrics.json")))
    b = json.load(open(os.path.join(part, "metrics.json")))
    assert [r["test_loss"] for r in a] == [r["test_loss"] for r in b]
    assert [r["train_loss"] for r in a] == [r["train_loss"] for r in b]
    for name in ("checkpoint.pt", "metrics.csv", "curves.png", "confusion.png", "misclassified.png"):
        assert os.path.getsize(os.path.join(full, name)) > 0
    fa = mytorch.load(os.path.join(full, "checkpoint.pt"))["model"]
    fb = mytorch.load(os.path.join(part, "checkpoint.pt"))["model"]
    for key in fa:
        np.testing.assert_array_equal(fa[key].numpy(), fb[key].numpy())
    result = mnist.main(QUICK + ["--out", full, "--eval-only"])
    assert result["test_accuracy"] == a[-1]["test_accuracy"]
    if torch is not None:
        state = torch.load(os.path.join(full, "checkpoint.pt"), weights_only=True)
        assert state["epoch"] == 2 and state["model"]["1.weight"].shape == (256, 784)


@requires_torch
def test_the_same_code_runs_on_torch(tmp_path):
    result = mnist.main(QUICK + ["--framework", "torch", "--epochs", "1", "--out", str(tmp_path)])
    assert result["test_accuracy"] > 0.5  # 16 SGD steps of the MLP: 0.65 measured
    assert mytorch.load(str(tmp_path / "checkpoint.pt"))["epoch"] == 1  # torch's checkpoint, read by mytorch


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(SystemExit):
        mnist.main(["--epochs", "0"])
    with pytest.raises(SystemExit):
        mnist.main(["--resume"])
    with pytest.raises(SystemExit, match="no checkpoint"):
        mnist.main(QUICK + ["--out", str(tmp_path), "--eval-only"])

"""MNIST classification with mytorch (Part II) or PyTorch (Part I): the same model and training
code, switched only by which module is imported.

    python -m mytorch.examples.mnist                                  # LeNet-5, mytorch, Adadelta, 10 epochs
    python -m mytorch.examples.mnist --framework torch --model cnn --epochs 3
    python -m mytorch.examples.mnist --model lstm --optimizer adam    # rows as a sequence: LSTM(28, 128) -> Linear
    python -m mytorch.examples.mnist --out runs/lenet --resume        # continue an interrupted run
    python -m mytorch.examples.mnist --out runs/lenet --eval-only     # score the saved checkpoint

A run folder (``--out``) receives ``checkpoint.pt`` (readable by mytorch.load and torch.load),
``metrics.csv``/``metrics.json`` (one row per epoch) and, with matplotlib installed, ``curves.png``,
``confusion.png`` and ``misclassified.png``. Every epoch reseeds the generators from (seed, epoch),
so a resumed run reproduces an uninterrupted one exactly.
"""
import argparse
import csv
import importlib
import json
import os
import sys
import time

import numpy as np

from mytorch.vision.idx import find, read_idx

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "data", "mnist")
MEAN, STD = 0.1307, 0.3081
DEFAULT_LR = {"sgd": 0.01, "adam": 1e-3, "adadelta": 1.0}


def load_split(root, train):
    """Normalised float32 images (N, 1, 28, 28) and int64 labels, read once with NumPy."""
    prefix = "train" if train else "t10k"
    paths = [find(root, f"{prefix}-images-idx3-ubyte"), find(root, f"{prefix}-labels-idx1-ubyte")]
    if None in paths:
        raise FileNotFoundError(f"MNIST {prefix} files not found in {root} or {os.path.join(root, 'MNIST', 'raw')}")
    images, labels = (read_idx(p) for p in paths)
    x = ((images.astype(np.float32) * np.float32(1 / 255) - np.float32(MEAN)) / np.float32(STD))[:, None]
    return np.ascontiguousarray(x), labels.astype(np.int64)


def build_model(lib, name):
    """The four models, built from ``lib`` (mytorch or torch): identical code for both."""
    nn = lib.nn
    if name == "lstm":
        return _row_lstm(nn)
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    if name == "lenet":
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    if name == "cnn":  # the canonical PyTorch MNIST example's network
        return nn.Sequential(nn.Conv2d(1, 32, 3, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 1), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(),
                             nn.Dropout(0.5), nn.Linear(128, 10))
    raise ValueError(f"unknown model {name!r}; choose mlp, lenet, cnn or lstm")


def _row_lstm(nn):
    """An LSTM reading each image as 28 steps of 28 pixels (its rows); the last hidden state goes
    through one Linear layer to the 10 classes."""

    class RowLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 128, batch_first=True)
            self.fc = nn.Linear(128, 10)

        def forward(self, x):
            _, (h, _) = self.lstm(x.reshape(x.shape[0], 28, 28))
            return self.fc(h[-1])

    return RowLSTM()


def build_optimizer(lib, name, params, lr):
    if name == "sgd":
        return lib.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return lib.optim.Adam(params, lr=lr)
    if name == "adadelta":
        return lib.optim.Adadelta(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose sgd, adam or adadelta")


def progress(iterable, total, desc, enabled):
    try:
        from tqdm import tqdm
    except ImportError:
        enabled = False
    if not enabled:
        return iterable, None
    bar = tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True)
    return bar, bar


def train_epoch(lib, model, loader, optimizer, epoch, show):
    F = lib.nn.functional
    model.train()
    total_loss, correct, seen, start = 0.0, 0, 0, time.perf_counter()
    batches, bar = progress(loader, len(loader), f"epoch {epoch} train", show)
    losses = []
    for data, target in batches:
        optimizer.zero_grad()
        output = model(data)
        loss = F.cross_entropy(output, target)
        loss.backward()
        optimizer.step()
        value = loss.item()
        losses.append(value)
        total_loss += value * len(target)
        correct += int((output.argmax(dim=1) == target).sum().item())
        seen += len(target)
        if bar is not None:
            bar.set_postfix(loss=f"{value:.4f}", acc=f"{correct / seen:.4f}",
                            img_s=f"{seen / (time.perf_counter() - start):.0f}")
    elapsed = time.perf_counter() - start
    return dict(train_loss=total_loss / seen, train_accuracy=correct / seen, seconds=elapsed,
                images_per_second=seen / elapsed), losses


def evaluate(lib, model, loader, show):
    F = lib.nn.functional
    model.eval()
    total_loss, predictions, targets = 0.0, [], []
    batches, _ = progress(loader, len(loader), "evaluate", show)
    with lib.no_grad():
        for data, target in batches:
            output = model(data)
            total_loss += F.cross_entropy(output, target, reduction="sum").item()
            predictions.append(output.argmax(dim=1).numpy())
            targets.append(target.numpy())
    predictions, targets = np.concatenate(predictions), np.concatenate(targets)
    return dict(test_loss=total_loss / len(targets), test_accuracy=float((predictions == targets).mean())), predictions


def save_checkpoint(lib, path, state):
    """Written to a temporary file and renamed: an interrupted run keeps its last complete checkpoint."""
    tmp = path + ".tmp"
    lib.save(state, tmp)
    os.replace(tmp, path)


def write_metrics(out, rows):
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(rows, f, indent=1)
    with open(os.path.join(out, "metrics.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_figures(out, rows, step_losses, predictions, x_test, y_test):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figures written")
        return
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    a.plot(np.arange(1, len(step_losses) + 1) / max(len(step_losses) // max(len(rows), 1), 1), step_losses, lw=0.5)
    a.set(xlabel="epoch", ylabel="training loss", yscale="log", title="training loss per step")
    b.plot([r["epoch"] for r in rows], [100 * r["test_accuracy"] for r in rows], marker="o")
    b.set(xlabel="epoch", ylabel="test accuracy (%)", title="test accuracy")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "curves.png"), dpi=120)
    plt.close(fig)
    confusion = np.zeros((10, 10), np.int64)
    np.add.at(confusion, (y_test, predictions), 1)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(np.log1p(confusion), cmap="Blues")
    for i in range(10):
        for j in range(10):
            ax.text(j, i, confusion[i, j], ha="center", va="center", fontsize=6)
    ax.set(xlabel="predicted", ylabel="true", xticks=range(10), yticks=range(10), title="confusion matrix")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "confusion.png"), dpi=120)
    plt.close(fig)
    wrong = np.flatnonzero(predictions != y_test)[:32]
    fig, axes = plt.subplots(4, 8, figsize=(8, 4.6))
    for ax, i in zip(axes.ravel(), list(wrong) + [None] * (32 - len(wrong))):
        ax.axis("off")
        if i is not None:
            ax.imshow(x_test[i, 0] * STD + MEAN, cmap="gray")
            ax.set_title(f"{y_test[i]} as {predictions[i]}", fontsize=7)
    fig.suptitle("misclassified test digits (true as predicted)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "misclassified.png"), dpi=120)
    plt.close(fig)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--framework", choices=["mytorch", "torch"], default="mytorch")
    p.add_argument("--model", choices=["mlp", "lenet", "cnn", "lstm"], default="lenet")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--test-batch-size", type=int, default=1000)
    p.add_argument("--optimizer", choices=["sgd", "adam", "adadelta"], default="adadelta",
                   help="default: adadelta with StepLR(gamma) per epoch, the PyTorch example's recipe")
    p.add_argument("--lr", type=float, help="default: sgd 0.01 (momentum 0.9), adam 1e-3, adadelta 1.0")
    p.add_argument("--gamma", type=float, default=0.7, help="StepLR factor per epoch (adadelta only, as torch's example)")
    p.add_argument("--kernels", choices=["auto", "numpy", "numba", "reference"], default="auto")
    p.add_argument("--threads", type=int, help="BLAS/kernel threads (torch.set_num_threads); default: all cores")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data", default=DATA, help="folder with the MNIST idx files")
    p.add_argument("--train-size", type=int, help="use only the first N training images (quick runs, tests)")
    p.add_argument("--out", help="run folder for checkpoint, metrics and figures")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--eval-only", action="store_true", help="only score OUT/checkpoint.pt on the test set")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        p.error(f"--epochs and --batch-size must be positive, got {args.epochs} and {args.batch_size}")
    if (args.resume or args.eval_only) and not args.out:
        p.error("--resume and --eval-only need --out (the run folder holding checkpoint.pt)")
    return args


def main(argv=None):
    args = parse_args(argv)
    lib = importlib.import_module(args.framework)
    if args.framework == "mytorch":
        lib.backends.set_kernels(args.kernels)
    if args.threads:
        lib.set_num_threads(args.threads)
    show = not args.no_progress and sys.stderr.isatty()
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]

    x_train, y_train = load_split(args.data, train=True)
    x_test, y_test = load_split(args.data, train=False)
    if args.train_size:
        x_train, y_train = x_train[:args.train_size], y_train[:args.train_size]
    data = lib.utils.data
    train_set = data.TensorDataset(lib.from_numpy(x_train), lib.from_numpy(y_train))
    test_loader = data.DataLoader(data.TensorDataset(lib.from_numpy(x_test), lib.from_numpy(y_test)),
                                  batch_size=args.test_batch_size)

    lib.manual_seed(args.seed)
    model = build_model(lib, args.model)
    optimizer = build_optimizer(lib, args.optimizer, model.parameters(), lr)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, 1, args.gamma) if args.optimizer == "adadelta" else None
    checkpoint = os.path.join(args.out, "checkpoint.pt") if args.out else None
    rows, step_losses, first_epoch = [], [], 1
    if args.resume or args.eval_only:
        if not os.path.exists(checkpoint):
            raise SystemExit(f"no checkpoint at {checkpoint}")
        state = lib.load(checkpoint) if args.framework == "mytorch" else lib.load(checkpoint, weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        rows, step_losses, first_epoch = state["metrics"], state["step_losses"], state["epoch"] + 1
    if args.eval_only:
        result, _ = evaluate(lib, model, test_loader, show)
        print(f"test accuracy {100 * result['test_accuracy']:.2f}% (loss {result['test_loss']:.4f}) "
              f"of {checkpoint}")
        return result

    if args.out:
        os.makedirs(args.out, exist_ok=True)
    print(f"{args.framework} {args.model} {args.optimizer} lr={lr} batch={args.batch_size} seed={args.seed} "
          f"threads={lib.get_num_threads()}" + (f" kernels={args.kernels}" if args.framework == "mytorch" else ""))
    predictions = None
    for epoch in range(first_epoch, args.epochs + 1):
        # Reseeded from (seed, epoch): shuffling and dropout of epoch k do not depend on history,
        # which is what makes --resume reproduce an uninterrupted run.
        lib.manual_seed(args.seed * 1000 + epoch)
        generator = lib.Generator().manual_seed(args.seed * 1000 + epoch)
        loader = data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True, generator=generator)
        train_stats, losses = train_epoch(lib, model, loader, optimizer, epoch, show)
        test_stats, predictions = evaluate(lib, model, test_loader, show)
        if scheduler is not None:
            scheduler.step()
        step_losses.extend(losses)
        row = dict(epoch=epoch, **train_stats, **test_stats)
        rows.append(row)
        print(f"epoch {epoch:2d}: train loss {row['train_loss']:.4f} acc {100 * row['train_accuracy']:.2f}% | "
              f"test loss {row['test_loss']:.4f} acc {100 * row['test_accuracy']:.2f}% | "
              f"{row['seconds']:.1f} s, {row['images_per_second']:.0f} images/s", flush=True)
        if checkpoint:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
                     "metrics": rows, "step_losses": step_losses, "args": vars(args)}
            if scheduler is not None:
                state["scheduler"] = scheduler.state_dict()
            save_checkpoint(lib, checkpoint, state)
            write_metrics(args.out, rows)
    if args.out and predictions is not None:
        write_figures(args.out, rows, step_losses, predictions, x_test, y_test)
    final = dict(rows[-1], peak_memory_mib=_peak_memory_mib())
    print(f"test accuracy {100 * final['test_accuracy']:.2f}% after {final['epoch']} epochs "
          f"({args.framework}, {args.model}); peak memory {final['peak_memory_mib']:.0f} MiB")
    return final


def _peak_memory_mib():
    """The process's peak resident memory (Linux reports KiB, macOS bytes)."""
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2 ** 20 if sys.platform == "darwin" else 2 ** 10)


if __name__ == "__main__":
    main()

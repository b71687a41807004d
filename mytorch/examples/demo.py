"""A small demo that trains something real: a LeNet-style CNN on MNIST, written with mytorch's
tensors and functional ops only (no nn.Module yet), on the repository's own copy of MNIST.

    python -m mytorch.examples.demo [--train 12000] [--epochs 1] [--kernels auto]
"""
import argparse
import time

import numpy as np

import mytorch
import mytorch.nn.functional as F
from mytorch.examples.mnist import DATA, load_split


def uniform(shape, fan_in):
    """torch's default layer initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / np.sqrt(fan_in)
    return (mytorch.rand(*shape) * (2 * bound) - bound).requires_grad_()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", type=int, default=12000, help="training images to use")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--kernels", default="auto", choices=mytorch.backends.CHOICES)
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    mytorch.manual_seed(args.seed)
    mytorch.backends.set_kernels(args.kernels)

    x_train, y_train = load_split(args.data, train=True)
    x_test, y_test = load_split(args.data, train=False)
    x_train, y_train = x_train[:args.train], y_train[:args.train]
    params = {
        "conv1.w": uniform((6, 1, 5, 5), 25), "conv1.b": uniform((6,), 25),
        "conv2.w": uniform((16, 6, 5, 5), 150), "conv2.b": uniform((16,), 150),
        "fc1.w": uniform((120, 400), 400), "fc1.b": uniform((120,), 400),
        "fc2.w": uniform((10, 120), 120), "fc2.b": uniform((10,), 120),
    }
    p = params

    def model(x):
        x = F.max_pool2d(F.relu(F.conv2d(x, p["conv1.w"], p["conv1.b"], padding=2)), 2)
        x = F.max_pool2d(F.relu(F.conv2d(x, p["conv2.w"], p["conv2.b"])), 2)
        x = F.relu(F.linear(mytorch.flatten(x, 1), p["fc1.w"], p["fc1.b"]))
        return F.linear(x, p["fc2.w"], p["fc2.b"])

    velocity = {k: mytorch.zeros_like(v) for k, v in params.items()}
    for epoch in range(args.epochs):
        order = mytorch.randperm(len(x_train)).numpy()
        start, seen, total_loss = time.perf_counter(), 0, 0.0
        for i in range(0, len(order) - args.batch_size + 1, args.batch_size):
            batch = order[i:i + args.batch_size]
            loss = F.cross_entropy(model(mytorch.from_numpy(x_train[batch])), mytorch.from_numpy(y_train[batch]))
            loss.backward()
            with mytorch.no_grad():
                for name, param in params.items():  # SGD with momentum 0.9, torch's update rule
                    velocity[name].mul_(0.9).add_(param.grad)
                    param.sub_(velocity[name] * args.lr)
                    param.grad = None
            total_loss += loss.item() * len(batch)
            seen += len(batch)
        elapsed = time.perf_counter() - start
        print(f"epoch {epoch + 1}: train loss {total_loss / seen:.4f}, {seen / elapsed:.0f} images/s")

    correct = 0
    with mytorch.no_grad():
        for i in range(0, len(x_test), 1000):
            logits = model(mytorch.from_numpy(x_test[i:i + 1000]))
            correct += int((logits.argmax(dim=1) == mytorch.from_numpy(y_test[i:i + 1000])).sum().item())
    print(f"test accuracy {100.0 * correct / len(x_test):.2f}% ({correct}/{len(x_test)}) "
          f"with {args.kernels} kernels")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Every run behind docs/REPORT.md, one after another (about 75 minutes on 2 cores). All use the
# program's default optimizer: Adadelta (lr 1.0) with StepLR(gamma 0.7) per epoch, batch 64.
# Each writes runs/<name>/ (checkpoint, metrics, figures) and runs/<name>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
run() {  # name, then the program's arguments
    local name=$1; shift
    python -m mytorch.examples.mnist --no-progress --out "runs/$name" "$@" > "runs/$name.log" 2>&1
    tail -1 "runs/$name.log"
}
mkdir -p runs
if [ "${1:-}" != "--speed-only" ]; then
for seed in 1 2 3; do
    for fw in mytorch torch; do
        run "lenet-$fw-s$seed" --framework "$fw" --model lenet --epochs 10 --seed "$seed"
        run "mlp-$fw-s$seed" --framework "$fw" --model mlp --epochs 10 --seed "$seed"
        run "cnn-$fw-s$seed" --framework "$fw" --model cnn --epochs 4 --seed "$seed"
    done
done
# The CNN trained longer (its 4-epoch runs above hover at 99.0 %; the PyTorch example trains 14).
for seed in 1 2 3; do
    run "cnn-mytorch-s$seed-8ep" --framework mytorch --model cnn --epochs 8 --seed "$seed"
done
for kernels in numpy numba reference; do
    run "lenet-mytorch-$kernels" --framework mytorch --model lenet --epochs 1 --kernels "$kernels"
done
fi
# Speed of the current code (SPEED=1 bash scripts/experiments.sh --speed-only): two epochs per run,
# the frameworks alternating, three rounds for LeNet and the MLP (this machine's speed drifts by
# 10-20 % over minutes; compare runs made side by side), one for the CNN.
if [ "${SPEED:-0}" = 1 ]; then
    for model in lenet mlp cnn; do
        rounds=3; [ "$model" = cnn ] && rounds=1
        for round in $(seq "$rounds"); do
            for fw in mytorch torch; do
                run "speed-$model-$fw-r$round" --framework "$fw" --model "$model" --epochs 2
            done
        done
    done
fi

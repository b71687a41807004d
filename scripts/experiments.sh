#!/usr/bin/env bash
# Every run behind docs/REPORT.md, one after another (about 25 minutes on 2 cores). All use the
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
for kernels in numpy numba reference; do
    run "lenet-mytorch-$kernels" --framework mytorch --model lenet --epochs 1 --kernels "$kernels"
done
fi
# Speed of the current code: two epochs each (SPEED=1 bash scripts/experiments.sh --speed-only).
if [ "${SPEED:-0}" = 1 ]; then
    for model in mlp lenet cnn; do
        for fw in mytorch torch; do
            run "speed-$model-$fw" --framework "$fw" --model "$model" --epochs 2
        done
    done
fi

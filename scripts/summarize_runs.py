"""Tables for docs/REPORT.md from runs/*/metrics.json (written by scripts/experiments.sh).

    python scripts/summarize_runs.py [runs]
"""
import glob
import json
import os
import re
import sys

import numpy as np


def main(folder="runs"):
    runs = {}
    for path in sorted(glob.glob(os.path.join(folder, "*", "metrics.json"))):
        name = os.path.basename(os.path.dirname(path))
        rows = json.load(open(path))
        log = open(os.path.join(folder, name + ".log")).read() if os.path.exists(os.path.join(folder, name + ".log")) else ""
        peak = re.search(r"peak memory (\d+) MiB", log)
        runs[name] = dict(rows=rows, peak=int(peak.group(1)) if peak else None)
    print("| model | framework | kernels | seeds | epochs | test accuracy % (mean ± sd) | s/epoch (median) "
          "| images/s | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    groups = {}
    for name, run in runs.items():
        m = re.match(r"(\w+)-(mytorch|torch)-s(\d+)$", name)
        if m:
            groups.setdefault((m.group(1), m.group(2), "auto" if m.group(2) == "mytorch" else "-"), []).append(run)
        m = re.match(r"(\w+)-mytorch-(numpy|numba|reference)$", name)
        if m:
            groups.setdefault((m.group(1), "mytorch", m.group(2)), []).append(run)
    for (model, fw, kernels), members in sorted(groups.items()):
        acc = [100 * r["rows"][-1]["test_accuracy"] for r in members]
        secs = [row["seconds"] for r in members for row in r["rows"]]
        ips = [row["images_per_second"] for r in members for row in r["rows"]]
        peaks = [r["peak"] for r in members if r["peak"]]
        epochs = members[0]["rows"][-1]["epoch"]
        sd = f" ± {np.std(acc, ddof=1):.2f}" if len(acc) > 1 else ""
        print(f"| {model} | {fw} | {kernels} | {len(members)} | {epochs} | {np.mean(acc):.2f}{sd} | "
              f"{np.median(secs):.1f} | {np.median(ips):.0f} | {max(peaks) if peaks else '-'} |")


if __name__ == "__main__":
    main(*sys.argv[1:])

#!/usr/bin/env python3
"""Training curves for docs/ from the programs' loss logs (needs python3-matplotlib).

    plot_curves.py --out docs/images/curves.png --title "pix2pixHD, scenes 128x256" \
        "G1 global: G_GAN_Feat=runs/p2phd/scenes_global/loss_log.txt:G_GAN_Feat" ...

Each series is [PANEL/]LABEL=LOG:KEY; series with the same PANEL share a plot, panels stand side by side. A log line contributes a point when it has "KEY: <number>", "KEY=<number>"
or "KEY <number>". The x value is the line's iteration: "(epoch: E, iters: I, ...)" lines (pix2pixHD's
format) give (E - 1) * per_epoch + I, where per_epoch is the largest I seen in epoch 1 (or --per-epoch);
lines with "iter N" / "iteration N" / "it N" use N; other lines count up from 1. --smooth K averages
over K points (the logs print one sample, not an average, so GAN losses are noisy).
"""
import argparse
import re
import sys

NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)"


def read_series(path, key, per_epoch, iters_total=False):
    rows = []
    with open(path) as f:
        for line in f:
            m = re.search(r"(?<![\w])" + re.escape(key) + r"\s*[:=]?\s+" + NUM, line) or \
                re.search(r"(?<![\w])" + re.escape(key) + r"\s*[:=]\s*" + NUM, line)
            if not m:
                continue
            e = re.search(r"epoch:\s*(\d+),\s*iters:\s*(\d+)", line)
            it = re.search(r"\b(?:iter|iteration|it|t)\s*[=:]?\s*(\d+)", line)
            if e and iters_total:
                rows.append(("iter", 0, int(e.group(2)), float(m.group(1))))
            elif e:
                rows.append(("epoch", int(e.group(1)), int(e.group(2)), float(m.group(1))))
            elif it:
                rows.append(("iter", 0, int(it.group(1)), float(m.group(1))))
            else:
                rows.append(("count", 0, len(rows) + 1, float(m.group(1))))
    if not rows:
        sys.exit(f"plot_curves: no '{key}' values in {path}")
    if rows[0][0] == "epoch" and per_epoch is None:
        per_epoch = max(r[2] for r in rows if r[1] == rows[0][1])
    xs = [(r[1] - 1) * per_epoch + r[2] if r[0] == "epoch" else r[2] for r in rows]
    return xs, [r[3] for r in rows]


def smooth(v, k):
    if k <= 1:
        return v
    out, acc = [], []
    for x in v:
        acc.append(x)
        if len(acc) > k:
            acc.pop(0)
        out.append(sum(acc) / len(acc))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("series", nargs="+", help="[PANEL/]LABEL=LOG:KEY")
    ap.add_argument("--out", required=True)
    ap.add_argument("--title", default="")
    ap.add_argument("--per-epoch", type=int)
    ap.add_argument("--smooth", type=int, default=5)
    ap.add_argument("--logy", action="store_true")
    ap.add_argument("--iters-total", action="store_true",
                    help="the logs' 'iters:' field counts all iterations, not those of the epoch")
    a = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = {}
    for s in a.series:
        label, rest = s.split("=", 1)
        panel, _, label = label.rpartition("/")
        panels.setdefault(panel, []).append((label, rest))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.4), dpi=110, squeeze=False)
    for ax, (panel, series) in zip(axes[0], panels.items()):
        for label, rest in series:
            path, key = rest.rsplit(":", 1)
            xs, ys = read_series(path, key, a.per_epoch, a.iters_total)
            ax.plot(xs, smooth(ys, a.smooth), label=label, linewidth=1.2)
        ax.set_xlabel("iteration")
        ax.set_title(panel or a.title, fontsize=9)
        if a.logy:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if a.title and len(panels) > 1:
        fig.suptitle(a.title, fontsize=10)
    fig.tight_layout()
    fig.savefig(a.out)
    print("wrote", a.out)


if __name__ == "__main__":
    main()

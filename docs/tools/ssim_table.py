#!/usr/bin/env python3
"""The SSIM table of docs/egscit.md from egscit_evaluate's JSON files.

    ssim_table.py runs/egscit_table [stem ...]   # <dir>/<row>.json for the rows below (+ stems), reference.json

Prints a Markdown table: mean ± std per direction, then the held-out combinations (digits 5-9 in a
domain-B scheme other than R/G) per direction, and the training iterations.
"""
import json
import os
import sys

ROWS = [
    ("EGSC-IT", "egscit_none"),
    ("EGSC-IT w/o feature mask", "egscit_no_mask"),
    ("EGSC-IT w/o AdaIN", "egscit_no_adain"),
    ("EGSC-IT w/o perceptual loss", "egscit_no_perceptual"),
    ("UNIT", "unit"),
    ("CycleGAN", "cyclegan"),
    ("MUNIT", "munit"),
]


def cell(d, key="ssim"):
    s = d.get(key)
    return "–" if not s else f"{s['mean']:.3f} ± {s['std']:.3f}"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "runs/egscit_table"
    extra = [(f, f) for f in sys.argv[2:]]  # more rows: JSON stems, labelled by their stem
    print("| Model | A→B SSIM | B→A SSIM | A→B held-out | B→A held-out | iterations |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, f in ROWS + extra:
        p = os.path.join(root, f + ".json")
        if not os.path.exists(p):
            continue
        d = json.load(open(p))
        print(f"| {label} | {cell(d['ab'])} | {cell(d['ba'])} | {cell(d['ab'], 'held_out')} | "
              f"{cell(d['ba'], 'held_out')} | {d['iterations']} |")
    p = os.path.join(root, "reference.json")
    if os.path.exists(p):
        d = json.load(open(p))
        for label, key in (("reference: source vs GT", "source_vs_gt"), ("reference: exemplar vs GT", "exemplar_vs_gt")):
            print(f"| {label} | {cell(d['ab'], key)} | {cell(d['ba'], key)} | | | – |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Tiny data for the studio's browser test (tests/studio/run_browser_test.sh), in pure Python (no numpy or
OpenCV needed) within a second:

  make_fixture.py OUT [W H]   (default 128 64)

  OUT/p2p:    pix2pixHD layout, label_nc 12 with the photo scenes' classes.txt, W x H: sky (1) over
              ground (3), two or three things (mammal 4, vehicle 11) as filled ellipses; instance ids
              class*1000+k for things (16-bit PNG), the class for stuff; images coloured per class
              (each thing in its own shade: a style for the features to learn) + noise.
  OUT/egscit: trainA/trainB (egscit_train's layout) and test/testA, test/testB (the studio's picker) of 32x32 RGB stripes in two palettes, for egscit_train.
PNGs are written with zlib (8-bit grey, 16-bit grey, 8-bit RGB).
"""
import os
import random
import struct
import sys
import zlib

CLASSES = ["unlabelled", "sky", "vegetation", "ground", "mammal", "bird", "fish", "insect", "flower", "plant",
           "fruit_veg", "vehicle"]
COLOURS = {1: (90, 150, 200), 3: (140, 110, 60), 4: (160, 40, 40), 11: (30, 60, 180)}  # RGB


def write_png(path, w, h, rows, colour_type, depth):
    raw = b"".join(b"\0" + r for r in rows)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour_type, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def scene(rng, h, w):
    horizon = rng.randint(h * 3 // 8, h * 5 // 8 - 1)
    label = [[1 if y < horizon else 3 for x in range(w)] for y in range(h)]
    inst = [row[:] for row in label]
    counts, colour = {}, {}
    for _ in range(rng.randint(2, 3)):
        cls = rng.choice([4, 11])
        counts[cls] = counts.get(cls, 0) + 1
        # Each object's own colour: the "style" that the encoder's features and the clusters can capture.
        colour[cls * 1000 + counts[cls]] = tuple(max(0, min(255, c + rng.randint(-70, 70))) for c in COLOURS[cls])
        cx, cy, ax, ay = rng.randint(16, w - 17), rng.randint(horizon - 6, h - 13), rng.randint(w // 12, w // 7), rng.randint(h // 9, h // 6)
        for y in range(h):
            for x in range(w):
                if ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 <= 1:
                    label[y][x], inst[y][x] = cls, cls * 1000 + counts[cls]
    img = [[tuple(max(0, min(255, int(c + rng.gauss(0, 12)))) for c in colour.get(inst[y][x], COLOURS[label[y][x]]))
            for x in range(w)] for y in range(h)]
    return label, inst, img


def main(out, w=128, h=64):
    rng = random.Random(0)
    p2p = os.path.join(out, "p2p")
    for phase, n in (("train", 6), ("test", 3)):
        for kind in ("label", "inst", "img"):
            os.makedirs(os.path.join(p2p, f"{phase}_{kind}"), exist_ok=True)
        for i in range(n):
            label, inst, img = scene(rng, h, w)
            h, w, stem = len(label), len(label[0]), f"{phase}_{i:03d}.png"
            write_png(os.path.join(p2p, f"{phase}_label", stem), w, h, [bytes(r) for r in label], 0, 8)
            write_png(os.path.join(p2p, f"{phase}_inst", stem), w, h, [struct.pack(f">{w}H", *r) for r in inst], 0, 16)
            write_png(os.path.join(p2p, f"{phase}_img", stem), w, h, [bytes(c for px in r for c in px) for r in img], 2, 8)
    with open(os.path.join(p2p, "classes.txt"), "w") as f:
        f.writelines(f"{i} {c}\n" for i, c in enumerate(CLASSES))
    for split, n in (("train", 8), ("test", 4)):
        for dom, pal in (("A", [(255, 255, 255), (0, 0, 0)]), ("B", [(30, 200, 30), (200, 30, 200)])):
            d = os.path.join(out, "egscit", *(["test"] if split == "test" else []), split + dom)
            os.makedirs(d, exist_ok=True)
            for i in range(n):
                k = rng.randint(3, 7)
                rows = [bytes(c for x in range(32) for c in pal[0 if (x + y // 8) % k == 0 else 1]) for y in range(32)]
                write_png(os.path.join(d, f"{i:03d}.png"), 32, 32, rows, 2, 8)


if __name__ == "__main__":
    main(sys.argv[1], *[int(a) for a in sys.argv[2:4]])

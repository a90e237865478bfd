#!/usr/bin/env python3
"""Side-by-side sample rows for docs/ from result folders (needs python3-pil).

    sample_grid.py --out docs/images/pix2pixhd_samples.png --stems 0003,0010 \
        "label=results/scenes_local/test_latest/images/{stem}_input_label.png" \
        "pix2pix=results/scenes_pix2pix/test_latest/images/{stem}_synthesized_image.png" \
        "pix2pixHD=results/scenes_local/test_latest/images/{stem}_synthesized_image.png" \
        "real=data/pix2pixhd/scenes/test_img/{stem}.png"

Each column is TITLE=PATTERN with {stem} replaced per row; the first row is the column titles.
"""
import argparse

from PIL import Image, ImageDraw


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("columns", nargs="+", help="TITLE=PATTERN")
    ap.add_argument("--stems", required=True, help="comma-separated file stems, one row each")
    ap.add_argument("--out", required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--gap", type=int, default=4)
    a = ap.parse_args()
    cols = [c.split("=", 1) for c in a.columns]
    stems = [s for s in a.stems.split(",") if s]
    rows = [[Image.open(p.format(stem=s)).convert("RGB") for _, p in cols] for s in stems]
    w, h = rows[0][0].size
    w, h = int(w * a.scale), int(h * a.scale)
    title_h, g = 18, a.gap
    grid = Image.new("RGB", (len(cols) * (w + g) - g, title_h + len(rows) * (h + g)), "white")
    d = ImageDraw.Draw(grid)
    for j, (title, _) in enumerate(cols):
        d.text((j * (w + g) + 4, 3), title, fill="black")
    for i, row in enumerate(rows):
        for j, im in enumerate(row):
            grid.paste(im.resize((w, h), Image.NEAREST), (j * (w + g), title_h + i * (h + g)))
    grid.save(a.out, quality=88) if a.out.lower().endswith((".jpg", ".jpeg")) else grid.save(a.out)
    print("wrote", a.out, grid.size)


if __name__ == "__main__":
    main()

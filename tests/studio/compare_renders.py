#!/usr/bin/env python3
"""Drives two running pix2pixhd_studio servers (same model and data) through the same edits over HTTP and
compares what they render, byte by byte (Python's standard library only):

  compare_renders.py URL_A URL_B [--max-diff N] [--mean-diff X]

The edits: open sample 0, a brush stroke, a style change of the first object whose class has clusters,
that object's cluster thumbnails, and an EGSC-IT translation with two exemplars when both serve one.
Every image must have the same size on both, with max |a - b| <= N and mean |a - b| <= X (levels of
0..255; default 0 and 0: byte-identical). Prints one line per image; exit 1 when one differs too much.
Used by run_gpu_test.sh (CPU vs --gpu).
"""
import argparse
import base64
import json
import sys
import urllib.request


def post(url, path, body):
    req = urllib.request.Request(url.rstrip("/") + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.loads(r.read())


def get(url, path):
    with urllib.request.urlopen(url.rstrip("/") + path, timeout=60) as r:
        return json.loads(r.read())


def renders(url):
    """[(what, w, h, bytes)] of the edits above on the server at url."""
    out = []
    sid = post(url, "/api/session", {})["session"]
    act = lambda a, body: post(url, f"/api/s/{sid}/{a}", body)
    st = act("open", {"sample": 0})
    assert st["render_ms"] > 0, "open: no render time"
    out.append(("open", st["w"], st["h"], base64.b64decode(st["image"])))
    w, h = st["w"], st["h"]
    st = act("stroke", {"points": [[w // 4, h // 2], [3 * w // 4, h // 2]], "radius": max(2, h // 16), "label": 3})
    out.append(("stroke", w, h, base64.b64decode(st["image"])))
    styled = sorted((o for o in st["objects"] if o["n_clusters"] > 1), key=lambda o: o["id"] < 1000)  # things first
    if styled:
        o = styled[0]
        st = act("style", {"id": o["id"], "cluster": (max(o["cluster"], 0) + 1) % o["n_clusters"]})
        out.append((f"style of {o['id']}", w, h, base64.b64decode(st["image"])))
        for k, t in enumerate(act("thumbs", {"id": o["id"]})["thumbs"]):
            out.append((f"thumbnail {k} of {o['id']}", t["w"], t["h"], base64.b64decode(t["rgb"])))
    if get(url, "/api/info")["egscit"]["available"]:
        r = post(url, "/api/egscit/translate", {"source": {"index": 0}, "exemplars": [{"index": 1}, {"index": 2}]})
        for k, t in enumerate(r["translations"]):
            out.append((f"egscit exemplar {k}", t["w"], t["h"], base64.b64decode(t["rgb"])))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url_a")
    ap.add_argument("url_b")
    ap.add_argument("--max-diff", type=int, default=0)
    ap.add_argument("--mean-diff", type=float, default=0.0)
    o = ap.parse_args()
    a, b = renders(o.url_a), renders(o.url_b)
    ok = len(a) == len(b) and len(a) >= 2
    if not ok:
        print(f"the servers rendered {len(a)} and {len(b)} images")
    for (what, wa, ha, pa), (_, wb, hb, pb) in zip(a, b):
        if (wa, ha, len(pa)) != (wb, hb, len(pb)):
            print(f"{what}: {wa}x{ha} ({len(pa)} bytes) vs {wb}x{hb} ({len(pb)} bytes) FAILED")
            ok = False
            continue
        d = [abs(x - y) for x, y in zip(pa, pb)]
        worst, mean = max(d), sum(d) / len(d)
        good = worst <= o.max_diff and mean <= o.mean_diff
        ok = ok and good
        print(f"{what}: {wa}x{ha}, max |diff| {worst}, mean |diff| {mean:.3f} {'ok' if good else 'FAILED'}")
    print("same renders" if ok else f"renders differ beyond max {o.max_diff} / mean {o.mean_diff}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

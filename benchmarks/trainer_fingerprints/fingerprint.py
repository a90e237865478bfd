#!/usr/bin/env python3
"""Fingerprints of short training runs, to prove that a refactoring left the CPU arithmetic alone.

  fingerprint.py collect RUNS_DIR OUT.json   # every *.safetensors under RUNS_DIR: sha256 + sum/abs-sum of
                                             # each tensor; every *.log file (the printed losses)
  fingerprint.py compare OLD.json NEW.json [--rtol 1e-6]

compare prints, per run, whether tensors are bit-identical, within rtol (by their sums, which a changed
order of float operations moves by rounding only), or different, and exits 1 on any difference beyond
rtol or any missing run, file, tensor or loss.
"""
import hashlib
import json
import math
import os
import struct
import sys

DTYPES = {"F32": ("f", 4), "F64": ("d", 8), "I64": ("q", 8), "I32": ("i", 4), "U8": ("B", 1), "F16": ("e", 2)}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in sorted(header.items()):
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = blob[base + a:base + b]
        fmt, size = DTYPES.get(info["dtype"], (None, 1))
        s = sa = 0.0
        if fmt and fmt != "e":
            vals = struct.unpack("<%d%s" % (len(raw) // size, fmt), raw)
            s = math.fsum(float(v) for v in vals)
            sa = math.fsum(abs(float(v)) for v in vals)
        out[name] = {"sha256": hashlib.sha256(raw).hexdigest()[:16], "sum": s, "abs_sum": sa,
                     "shape": info["shape"]}
    return out


def collect(root, out_path):
    result = {}
    for dirpath, _, files in sorted(os.walk(root)):
        for fn in sorted(files):
            p = os.path.join(dirpath, fn)
            rel = os.path.relpath(p, root)
            if fn.endswith(".safetensors"):
                result[rel] = {"tensors": read_safetensors(p)}
            elif fn.endswith(".log"):
                with open(p) as f:
                    result[rel] = {"log": [line.rstrip("\n") for line in f]}
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print("fingerprint.py: %d files from %s -> %s" % (len(result), root, out_path))


def close(a, b, rtol):
    return a == b or abs(a - b) <= rtol * max(abs(a), abs(b), 1e-30)


def compare(old_path, new_path, rtol):
    old = json.load(open(old_path))
    new = json.load(open(new_path))
    bad = 0
    counts = {"identical": 0, "within": 0, "different": 0}
    for rel in sorted(set(old) | set(new)):
        if rel not in new or rel not in old:
            print("MISSING %s in %s" % (rel, "new" if rel not in new else "old"))
            bad += 1
            continue
        o, n = old[rel], new[rel]
        if "log" in o:
            # Printed losses (timings stripped by run.sh): the same text, or the first line that differs.
            ol, nl = o["log"], n.get("log", [])
            diff = [(a, b) for a, b in zip(ol, nl) if a != b]
            if ol == nl:
                counts["identical"] += 1
            else:
                counts["different"] += 1
                bad += 1
                a, b = diff[0] if diff else ("%d lines" % len(ol), "%d lines" % len(nl))
                print("DIFFERENT log %s:\n  old: %s\n  new: %s" % (rel, a, b))
            continue
        ot, nt = o["tensors"], n.get("tensors", {})
        for name in sorted(set(ot) | set(nt)):
            if name not in ot or name not in nt:
                print("MISSING tensor %s:%s" % (rel, name))
                bad += 1
                continue
            a, b = ot[name], nt[name]
            if a["sha256"] == b["sha256"]:
                counts["identical"] += 1
            elif a["shape"] == b["shape"] and close(a["sum"], b["sum"], rtol) and close(a["abs_sum"], b["abs_sum"], rtol):
                counts["within"] += 1
                print("WITHIN %s:%s (sum %.9g vs %.9g)" % (rel, name, a["sum"], b["sum"]))
            else:
                counts["different"] += 1
                bad += 1
                print("DIFFERENT %s:%s (sum %.9g vs %.9g)" % (rel, name, a["sum"], b["sum"]))
    print("compare: %(identical)d bit-identical, %(within)d within rtol, %(different)d different" % counts
          + ("" if not bad else "; %d problems" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "collect":
        collect(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 4 and sys.argv[1] == "compare":
        rtol = float(sys.argv[sys.argv.index("--rtol") + 1]) if "--rtol" in sys.argv else 1e-6
        sys.exit(compare(sys.argv[2], sys.argv[3], rtol))
    else:
        print(__doc__)
        sys.exit(2)

#!/usr/bin/env python3
"""run_all.sh's reports (standard library only, any python3).

  bench_report.py summary --i2i I2I.json --torch TORCH.json --parts PARTS.tsv --env ENV.json
                          --json OUT.json --md OUT.md
      One combined JSON (both sides' files, the parts' status, every row's ratios against the targets)
      and a markdown table; prints the table. Missing or partial inputs are fine: what exists is reported.
  bench_report.py ncu-kernels NCU.csv ROW OUT.txt
      Per-kernel time of one profiled iteration from `ncu --csv --metrics gpu__time_duration.sum`.

Targets (the GPU issue, item 4; reported, not asserted): training step <= 0.8x PyTorch's best time in
bf16 and <= 0.9x in TF32 at 512x1024 and 1024x2048; forward only <= 0.7x; peak memory <= 0.5x PyTorch's
in every row. Memory ratios compare the peaks over the timed iterations ("steady"), which both sides
measure the same way (the whole-row peaks, models and warm-up included, are in the JSON as well).
"""
import csv
import json
import os
import re
import sys
from collections import defaultdict

TIME_TARGET = {  # row id prefix: {precision: target}; None: no time target (the 256x256 rows)
    "step_g256": None,
    "step_g512": {"bf16_mixed": 0.8, "fp32_tf32": 0.9},
    "step_l1024": {"bf16_mixed": 0.8, "fp32_tf32": 0.9},
    "fwd_g1024": {"bf16_mixed": 0.7, "fp32_tf32": 0.7},
}
MEMORY_TARGET = 0.5


def load(path):
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return {"unreadable": f"{path}: {e}"}


def row_key(r):
    return r.get("id") or f"{r.get('name')}|{r.get('precision')}"


def base_row(row_id):
    """The row a variant measures (nchw_<row>: NCHW convolutions; graph_<row>: replayed as a CUDA graph)."""
    return (row_id or "").removeprefix("nchw_").removeprefix("graph_")


def time_target(row_id, precision):
    # Variants are held to their row's target: each is a configuration the library offers.
    row_id = base_row(row_id)
    prefix = row_id.rsplit("_", 1)[0] if row_id else ""
    t = TIME_TARGET.get(prefix)
    return None if t is None else t.get(precision)


def fmt(v, spec=".2f", none="—"):
    return none if v is None else format(v, spec)


def compare(i2i_row, torch_row):
    """One row's comparison record."""
    rid = i2i_row.get("id") if i2i_row else torch_row.get("id")
    base = i2i_row or torch_row
    c = {"id": rid, "kind": base.get("kind"), "name": base.get("name"), "precision": base.get("precision"),
         "time_target": time_target(rid, base.get("precision")), "memory_target": MEMORY_TARGET}
    ok_i = bool(i2i_row) and i2i_row.get("status", "ok") == "ok" and i2i_row.get("ms", 0) > 0
    ok_t = bool(torch_row) and torch_row.get("status", "ok") == "ok" and torch_row.get("ms", 0) > 0
    c["i2i_status"] = "missing" if not i2i_row else (i2i_row.get("status", "ok") + (
        f": {i2i_row.get('error')}" if i2i_row.get("error") else ""))
    c["torch_status"] = "missing" if not torch_row else (torch_row.get("status", "ok") + (
        f": {torch_row.get('error')}" if torch_row.get("error") else ""))
    if ok_i:
        c.update(i2i_ms=i2i_row["ms"], i2i_pct_peak=i2i_row.get("pct_peak"), i2i_peak_mib=i2i_row.get("peak_mib"),
                 i2i_steady_peak_mib=i2i_row.get("steady_peak_mib"))
    if ok_t:
        c.update(torch_ms=torch_row["ms"], torch_variant=torch_row.get("variant"),
                 torch_pct_peak=torch_row.get("pct_peak"), torch_peak_mib=torch_row.get("peak_mib"),
                 torch_steady_peak_mib=torch_row.get("steady_peak_mib"), torch_compile=torch_row.get("compile"))
        vs = torch_row.get("variants") or []
        c["torch_variants"] = {v["variant"]: (round(v["ms"], 3) if v.get("status") == "ok" else
                                              f"{v.get('status')}: {v.get('error', '')}"[:200]) for v in vs}
    if not (ok_i and ok_t):
        c["verdict"] = "no comparison (" + ("i2i " + c["i2i_status"] if not ok_i else "PyTorch " + c["torch_status"]) + ")"
        return c
    c["time_ratio"] = c["i2i_ms"] / c["torch_ms"]
    si, st = c.get("i2i_steady_peak_mib"), c.get("torch_steady_peak_mib")
    c["memory_ratio"] = si / st if si and st else None
    pi, pt = c.get("i2i_peak_mib"), c.get("torch_peak_mib")
    c["memory_ratio_whole_row"] = pi / pt if pi and pt else None
    notes = []
    if c["time_target"] is None:
        notes.append("time: no target")
    elif c["time_ratio"] <= c["time_target"]:
        c["time_met"] = True
        notes.append("time met")
    else:
        c["time_met"] = False
        need = c["time_target"] * c["torch_ms"]
        notes.append(f"time MISSED by {100 * (c['time_ratio'] / c['time_target'] - 1):.0f} % "
                     f"({c['i2i_ms']:.1f} ms against a target of {need:.1f} ms: {c['i2i_ms'] - need:.1f} ms to find)")
    if c["memory_ratio"] is None:
        notes.append("memory: not measured")
    elif c["memory_ratio"] <= MEMORY_TARGET:
        c["memory_met"] = True
        notes.append("memory met")
    else:
        c["memory_met"] = False
        need = MEMORY_TARGET * st
        notes.append(f"memory MISSED by {100 * (c['memory_ratio'] / MEMORY_TARGET - 1):.0f} % "
                     f"({si:,.0f} MiB against a target of {need:,.0f} MiB)")
    comp = str(c.get("torch_compile") or "")
    if not comp.startswith("ok"):
        notes.append(f"PyTorch's best is eager only (compile {comp or 'not run'})")
    c["verdict"] = "; ".join(notes)
    return c


def summary(args):
    opts = dict(zip(args[::2], args[1::2]))
    i2i, torch_doc, env = load(opts.get("--i2i")), load(opts.get("--torch")), load(opts.get("--env")) or {}
    parts = []
    if opts.get("--parts") and os.path.exists(opts["--parts"]):
        with open(opts["--parts"]) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) >= 4:
                    parts.append({"part": fields[0], "status": fields[1], "rc": fields[2], "seconds": fields[3],
                                  "note": fields[4] if len(fields) > 4 else ""})
    i_rows = {row_key(r): r for r in (i2i or {}).get("rows", []) if r.get("kind") in ("step", "forward")}
    t_rows = {row_key(r): r for r in (torch_doc or {}).get("rows", [])}
    order = list(i_rows) + [k for k in t_rows if k not in i_rows]
    # A variant row is set against PyTorch's row of the same work.
    comparisons = [compare(i_rows.get(k), t_rows.get(k) or t_rows.get(base_row(k))) for k in order]
    doc = {"tool": "benchmarks/gpu/run_all.sh", "environment": env, "parts": parts, "targets": {
        "step_time": "<= 0.8x PyTorch's best in bf16, <= 0.9x in TF32, at 512x1024 and 1024x2048",
        "forward_time": "<= 0.7x", "memory": "<= 0.5x PyTorch's (peak over the timed iterations), every row"},
        "comparisons": comparisons, "i2i": i2i, "pytorch": torch_doc}
    if opts.get("--json"):
        tmp = opts["--json"] + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=2)
        os.replace(tmp, opts["--json"])

    md = []
    dev = (i2i or {}).get("device") or (torch_doc or {}).get("device") or env.get("gpu") or "unknown device"
    md.append(f"# GPU benchmark: i2i against PyTorch, {env.get('date', '')}\n")
    md.append(f"Device: {dev}. " + (f"i2i: cuDNN {i2i.get('cudnn')}, measured peak TF32 "
                                     f"{fmt((i2i.get('peak_tflops') or {}).get('fp32_tf32'), '.0f')} / bf16 "
                                     f"{fmt((i2i.get('peak_tflops') or {}).get('bf16_mixed'), '.0f')} TFLOP/s, median of "
                                     f"{i2i.get('reps')} after {i2i.get('warmup')} warm-up. " if i2i and i2i.get("device") else "")
              + (f"PyTorch {torch_doc.get('torch')}, cuDNN {torch_doc.get('cudnn')}, median of {torch_doc.get('reps')} "
                 f"after {torch_doc.get('warmup')} warm-up. " if torch_doc and torch_doc.get("torch") else ""))
    md.append("\nTime ratio = i2i ms / PyTorch's best ms (the fastest of eager channels_last, eager NCHW (TF32) and "
              "torch.compile). Memory ratio = peak device memory over the timed iterations, i2i / PyTorch's best "
              "variant. Targets: step <= 0.8 (bf16) / 0.9 (TF32) at 512x1024 and 1024x2048, forward <= 0.7, "
              "memory <= 0.5.\n")
    md.append("| row | precision | i2i ms | PyTorch ms (variant) | time ratio | target | i2i % peak | PyTorch % peak "
              "| i2i MiB | PyTorch MiB | memory ratio | verdict |")
    md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for c in comparisons:
        md.append(f"| {c['id']} | {c['precision']} | {fmt(c.get('i2i_ms'))} | {fmt(c.get('torch_ms'))}"
                  f"{' (' + str(c.get('torch_variant')) + ')' if c.get('torch_variant') else ''} | "
                  f"{fmt(c.get('time_ratio'), '.3f')} | {fmt(c['time_target'], '.1f', 'none')} | "
                  f"{fmt(c.get('i2i_pct_peak'), '.1f')} | {fmt(c.get('torch_pct_peak'), '.1f')} | "
                  f"{fmt(c.get('i2i_steady_peak_mib'), ',.0f')} | {fmt(c.get('torch_steady_peak_mib'), ',.0f')} | "
                  f"{fmt(c.get('memory_ratio'), '.3f')} | {c['verdict']} |")
    if i2i and i2i.get("cpu_step_256_ms_one_iteration", -1) > 0:
        md.append(f"\nCPU backend, one 256x256 step (one iteration): {i2i['cpu_step_256_ms_one_iteration']:.0f} ms.")
    conv = [r for r in (i2i or {}).get("rows", []) if r.get("kind") == "conv" and r.get("status", "ok") == "ok"]
    if conv:
        md.append("\n## i2i convolutions\n\n| shape | precision | pass | ms | TFLOP/s | % peak |\n| --- | --- | --- | --- | --- | --- |")
        for r in conv:
            md.append(f"| {r['name']} | {r['precision']} | {r['pass']} | {r['ms']:.3f} | {r['tflops']:.1f} | "
                      f"{r['pct_peak']:.1f} |")
    md.append("\n## Parts\n\n| part | status | exit | seconds | note |\n| --- | --- | --- | --- | --- |")
    for p in parts:
        md.append(f"| {p['part']} | {p['status']} | {p['rc']} | {p['seconds']} | {p['note']} |")
    if i2i and i2i.get("error"):
        md.append(f"\ngpu_bench stopped: {i2i['error']}")
    if i2i and i2i.get("cudnn_check", "ok") != "ok":
        md.append(f"\ngpu_bench cuDNN check: {i2i['cudnn_check']}")
    text = "\n".join(md) + "\n"
    if opts.get("--md"):
        with open(opts["--md"], "w") as f:
            f.write(text)
    print(text)


# ---- ncu ----------------------------------------------------------------------------------------------

# Rough categories, by kernel name (first match wins): i2i's own kernels by their namespace, the
# libraries' (cuDNN, cuBLAS) by the usual name parts.
I2I_CATEGORIES = [
    ("i2i precision casts", r"cast"),
    ("i2i normalisation", r"norm"),
    ("i2i padding, conv windows, concat", r"pad_detail|conv_detail|window|concat|block_copy|shifted_copy"),
    ("i2i activations", r"act_detail|activ"),
    ("i2i optimizer", r"adam|sgd|optim"),
    ("i2i losses and reductions", r"loss|reduce|final_sum|partial_sum|nonfinite"),
    ("i2i pooling and resampling", r"pool|resample|bilinear|nearest"),
    ("i2i elementwise", r"pointwise|scalar|fill|scale|binary|add_|bias"),
]
LIBRARY_CATEGORIES = [
    ("cuDNN/cuBLAS layout transforms", r"nchwtonhwc|nhwctonchw|transpose|tensor_transform|reorder"),
    ("conv/GEMM (cuDNN, cuBLAS)", r"xmma|cudnn|cutlass|sm\d\d_|gemm|conv|dgrad|wgrad|fprop|winograd|fft|implicit"),
]


def category(name):
    low = name.lower()
    table = I2I_CATEGORIES if "i2i::" in name else LIBRARY_CATEGORIES
    return next((c for c, rx in table if re.search(rx, low)), "i2i other" if "i2i::" in name else "other")


def short_name(name):
    """The kernel's name without its parameter list (templates kept)."""
    depth, out = 0, []
    for i, ch in enumerate(name):
        if ch == "(" and depth == 0 and i > 0:
            break
        depth += ch == "<"
        depth -= ch == ">"
        out.append(ch)
    return "".join(out).strip()


def ncu_kernels(args):
    src, row, dst = args
    with open(src, errors="replace") as f:
        lines = f.readlines()
    start = next((i for i, l in enumerate(lines) if l.startswith('"ID"')), None)
    per = defaultdict(lambda: [0, 0.0])
    total = 0.0
    records = list(csv.DictReader(lines[start:])) if start is not None else []
    if records and "Metric Name" not in records[0] and "gpu__time_duration.sum" in records[0]:
        # the raw page: one column per metric, the first record holds the units
        unit_row, records = records[0], records[1:]
        records = [{"Kernel Name": r.get("Kernel Name", "?"), "Metric Name": "gpu__time_duration.sum",
                    "Metric Unit": unit_row.get("gpu__time_duration.sum", "ns"),
                    "Metric Value": r.get("gpu__time_duration.sum", "")} for r in records]
    if records:
        for rec in records:
            if rec.get("Metric Name") != "gpu__time_duration.sum":
                continue
            try:
                v = float(rec["Metric Value"].replace(",", ""))
            except (KeyError, ValueError, AttributeError):
                continue
            unit = rec.get("Metric Unit") or "ns"
            ns = v * {"ns": 1, "nsecond": 1, "us": 1e3, "usecond": 1e3, "ms": 1e6, "msecond": 1e6}.get(unit, 1)
            k = short_name(rec.get("Kernel Name", "?"))
            per[k][0] += 1
            per[k][1] += ns
            total += ns
    out = [f"# i2i {row}: one iteration under ncu (gpu__time_duration.sum per kernel, kernels serialised, clocks "
           f"and caches as found); {sum(c for c, _ in per.values())} kernels, {total * 1e-6:.2f} ms of kernel time"]
    if not per:
        out.append("# no kernel records found in the ncu output; its first lines:")
        out += [l.rstrip() for l in lines[:40]]
    else:
        cats = defaultdict(lambda: [0, 0.0])
        for k, (n, ns) in per.items():
            cat = category(k)
            cats[cat][0] += n
            cats[cat][1] += ns
        out.append("\n## by category (by kernel name, rough)\n")
        out.append(f"{'category':<36} {'kernels':>8} {'ms':>10} {'%':>6}")
        for cat, (n, ns) in sorted(cats.items(), key=lambda kv: -kv[1][1]):
            out.append(f"{cat:<36} {n:8d} {ns * 1e-6:10.3f} {100 * ns / total:6.1f}")
        out.append("\n## kernels by total time\n")
        out.append(f"{'ms':>10} {'%':>6} {'calls':>6}  kernel")
        for k, (n, ns) in sorted(per.items(), key=lambda kv: -kv[1][1])[:60]:
            out.append(f"{ns * 1e-6:10.3f} {100 * ns / total:6.1f} {n:6d}  {k[:160]}")
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("summary", "ncu-kernels"):
        sys.exit(__doc__)
    (summary if sys.argv[1] == "summary" else ncu_kernels)(sys.argv[2:])


if __name__ == "__main__":
    main()

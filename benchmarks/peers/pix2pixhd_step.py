#!/usr/bin/env python3
"""PyTorch peer of benchmarks/gpu/gpu_bench.cu: the same pix2pixHD networks, training step and forward.

Networks (pix2pixHD's networks.py, no VGG, InstanceNorm without affine, reflection padding):
  GlobalGenerator(36 -> 3, ngf 64, 4 downsamplings, 9 blocks)                     182,546,755 parameters
  LocalEnhancer(36 -> 3, ngf 32, 1 enhancer, 3 local blocks, G1 = GlobalGenerator at ngf 64 without its
  last three modules)                                                             182,857,059 parameters
  2-scale NLayerDiscriminator (39 inputs = label|image, ndf 64, 3 layers, intermediate features)
                                                                                    5,603,202 parameters
(the counts of i2i's specs, checked here for every row's models). Step as gpu_bench: fake = G(x);
A = D(x|fake); B = D(x|real); loss_G = GAN(A, real) + FM(A, B.detach) (lambda_feat 10) with gradients
for G's parameters only (through D, no D weight gradients); loss_D = 0.5 (GAN(A, fake) + GAN(B, real))
with gradients for D's parameters only (the fake is thereby detached); Adam(2e-4, 0.5/0.999) on both.
Forward: G(x) under torch.inference_mode().

Rows (ids as gpu_bench's): step_g256, step_g512 (global G at 256x256, 512x1024), step_l1024 (local
enhancer at 1024x2048), fwd_g1024 (global G forward at 1024x2048), each _tf32 (fp32 with TF32) and _bf16
(autocast bf16). Variants of each row: "eager" (channels_last), "compile" (channels_last, torch.compile
of G and D, default mode) and, for TF32, "eager_nchw" (the layout of the first peer). The fastest variant
that ran counts; a variant that fails (torch.compile absent or failing, out of memory) is recorded with
its reason. Eager variants of every row run first, then the compiled ones in the order of
COMPILE_PRIORITY while the time budget lasts. Times: CUDA events, median of --reps after --warmup
untimed iterations (a compiled variant's first warm-up iteration compiles). Memory:
torch.cuda.max_memory_allocated over the whole variant (models built, warm-up, timed) as "peak_mib", and
over the timed iterations alone as "steady_peak_mib".

  python3 pix2pixhd_step.py [--json FILE] [--rows LIST] [--reps 20] [--warmup 3] [--variants LIST]
                            [--time-budget S | --deadline UNIX_TIME] [--profile ROW --profile-out FILE]
  python3 pix2pixhd_step.py --device cpu --tiny     # every row at a tiny size on the CPU: a logic check

--rows: comma-separated ids, prefixes or globs ('all'), as gpu_bench. --tiny: ngf 8 (local 4), ndf 8 and
sizes 32x32 .. 64x128, 3 reps after 1 warm-up, and the full-size models are built once on the CPU to
check their parameter counts.
"""
import argparse
import fnmatch
import gc
import json
import os
import statistics
import sys
import time
import traceback

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---- networks (pix2pixHD networks.py) ---------------------------------------------------------------


class ResnetBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim))

    def forward(self, x):
        return x + self.conv_block(x)


def global_layers(input_nc=36, output_nc=3, ngf=64, n_down=4, n_blocks=9):
    m = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU(True)]
    for i in range(n_down):
        mult = 2 ** i
        m += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, 2, 1), nn.InstanceNorm2d(ngf * mult * 2), nn.ReLU(True)]
    mult = 2 ** n_down
    m += [ResnetBlock(ngf * mult) for _ in range(n_blocks)]
    for i in range(n_down):
        mult = 2 ** (n_down - i)
        m += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, 2, 1, 1), nn.InstanceNorm2d(ngf * mult // 2),
              nn.ReLU(True)]
    m += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7), nn.Tanh()]
    return m


class GlobalGenerator(nn.Module):
    def __init__(self, input_nc=36, output_nc=3, ngf=64, n_down=4, n_blocks=9):
        super().__init__()
        self.model = nn.Sequential(*global_layers(input_nc, output_nc, ngf, n_down, n_blocks))

    def forward(self, x):
        return self.model(x)


class LocalEnhancer(nn.Module):
    """pix2pixHD's LocalEnhancer: G1 (a GlobalGenerator at ngf 2^K without its last three modules) on the
    K-times pooled input, then per enhancer n: model{n}_2(model{n}_1(I_{K-n}) + y)."""

    def __init__(self, input_nc=36, output_nc=3, ngf=32, n_down_global=4, n_blocks_global=9, n_local=1,
                 n_blocks_local=3):
        super().__init__()
        self.n_local = n_local
        self.model = nn.Sequential(*global_layers(input_nc, output_nc, ngf * 2 ** n_local, n_down_global,
                                                  n_blocks_global)[:-3])
        for n in range(1, n_local + 1):
            nf = ngf * 2 ** (n_local - n)
            down = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, nf, 7), nn.InstanceNorm2d(nf), nn.ReLU(True),
                    nn.Conv2d(nf, nf * 2, 3, 2, 1), nn.InstanceNorm2d(nf * 2), nn.ReLU(True)]
            up = [ResnetBlock(nf * 2) for _ in range(n_blocks_local)]
            up += [nn.ConvTranspose2d(nf * 2, nf, 3, 2, 1, 1), nn.InstanceNorm2d(nf), nn.ReLU(True)]
            if n == n_local:
                up += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7), nn.Tanh()]
            setattr(self, f"model{n}_1", nn.Sequential(*down))
            setattr(self, f"model{n}_2", nn.Sequential(*up))
        self.downsample = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)

    def forward(self, x):
        pyramid = [x]
        for _ in range(self.n_local):
            pyramid.append(self.downsample(pyramid[-1]))
        y = self.model(pyramid[-1])
        for n in range(1, self.n_local + 1):
            y = getattr(self, f"model{n}_2")(getattr(self, f"model{n}_1")(pyramid[self.n_local - n]) + y)
        return y


class NLayerD(nn.Module):
    def __init__(self, input_nc=39, ndf=64, n_layers=3):
        super().__init__()
        seqs = [[nn.Conv2d(input_nc, ndf, 4, 2, 2), nn.LeakyReLU(0.2, True)]]
        nf = ndf
        for _ in range(1, n_layers):
            prev, nf = nf, min(nf * 2, 512)
            seqs.append([nn.Conv2d(prev, nf, 4, 2, 2), nn.InstanceNorm2d(nf), nn.LeakyReLU(0.2, True)])
        prev, nf = nf, min(nf * 2, 512)
        seqs.append([nn.Conv2d(prev, nf, 4, 1, 2), nn.InstanceNorm2d(nf), nn.LeakyReLU(0.2, True)])
        seqs.append([nn.Conv2d(nf, 1, 4, 1, 2)])
        self.stages = nn.ModuleList(nn.Sequential(*s) for s in seqs)

    def forward(self, x):
        feats = []
        for s in self.stages:
            x = s(x)
            feats.append(x)
        return feats


class MultiscaleD(nn.Module):
    def __init__(self, num_d=2, **kw):
        super().__init__()
        self.ds = nn.ModuleList(NLayerD(**kw) for _ in range(num_d))

    def forward(self, x):
        out = []
        for i, d in enumerate(self.ds):
            out.append(d(x))
            if i + 1 < len(self.ds):
                x = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
        return out


# i2i's parameter counts of the full-size specs (include/i2i/models/pix2pixhd/*.hpp).
EXPECTED_PARAMS = {"global": 182_546_755, "local": 182_857_059, "D": 5_603_202}


def build(model, tiny):
    """The row's generator and D at full size, or at the --tiny widths."""
    if model == "local":
        G = LocalEnhancer(ngf=4 if tiny else 32)
    else:
        G = GlobalGenerator(ngf=8 if tiny else 64)
    D = MultiscaleD(input_nc=39, ndf=8 if tiny else 64)
    for m in list(G.modules()) + list(D.modules()):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
    return G, D


def n_params(m):
    return sum(p.numel() for p in m.parameters())


# ---- rows ---------------------------------------------------------------------------------------------

ROWS = {  # id prefix: (kind, model, full size, tiny size)
    "step_g256": ("step", "global", (256, 256), (32, 32)),
    "step_g512": ("step", "global", (512, 1024), (32, 64)),
    "step_l1024": ("step", "local", (1024, 2048), (64, 128)),
    "fwd_g1024": ("forward", "global", (1024, 2048), (64, 128)),
}
PRECISIONS = {"tf32": "fp32_tf32", "bf16": "bf16_mixed"}
ROW_IDS = [f"{r}_{p}" for r in ROWS for p in PRECISIONS]
COMPILE_PRIORITY = ["step_l1024_bf16", "step_g512_bf16", "fwd_g1024_bf16", "step_l1024_tf32", "step_g512_tf32",
                    "fwd_g1024_tf32", "step_g256_bf16", "step_g256_tf32"]


def selected(patterns, row_id):
    """gpu_bench's --rows rule: 'all', a glob with '*', else a prefix of the id."""
    for p in (s for s in patterns.split(",") if s):
        if p == "all" or (fnmatch.fnmatchcase(row_id, p) if "*" in p else row_id.startswith(p)):
            return True
    return False


def lsgan(pred, real):
    return F.mse_loss(pred, torch.full_like(pred, 1.0 if real else 0.0))


def conv_flops(G, D, x, with_d):
    """Forward FLOPs (2 x MACs of the convs) from hooks: (G's, D's on label|G(x))."""
    total = {"v": 0.0}

    def hook(mod, inp, out):
        t = inp[0] if isinstance(mod, nn.ConvTranspose2d) else out
        total["v"] += 2.0 * t.shape[0] * mod.in_channels * mod.out_channels * mod.kernel_size[0] * \
            mod.kernel_size[1] * t.shape[2] * t.shape[3]

    mods = list(G.modules()) + (list(D.modules()) if with_d else [])
    hs = [m.register_forward_hook(hook) for m in mods if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    try:
        with torch.no_grad():
            fake = G(x)
            g = total["v"]
            total["v"] = 0.0
            if with_d:
                D(torch.cat([x, fake], 1))
            d = total["v"]
    finally:
        for hk in hs:
            hk.remove()
    return g, d


class Timer:
    """CUDA events on a GPU, the host clock (after nothing to synchronise) on the CPU."""

    def __init__(self, device):
        self.cuda = device == "cuda"

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def time(self, fn, reps):
        ts = []
        for _ in range(reps):
            if self.cuda:
                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                s.record()
                fn()
                e.record()
                e.synchronize()
                ts.append(s.elapsed_time(e))
            else:
                t0 = time.perf_counter()
                fn()
                ts.append((time.perf_counter() - t0) * 1e3)
        return ts


def make_runner(kind, G, D, x, real, bf16, device, fm_w):
    """The function one iteration calls: the training step or the inference forward."""
    if kind == "forward":
        def forward():
            with torch.inference_mode(), torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
                return G(x)
        return forward

    g_params, d_params = list(G.parameters()), list(D.parameters())
    opt_g = torch.optim.Adam(g_params, lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d_params, lr=2e-4, betas=(0.5, 0.999))

    def step():
        # One G forward and two D forwards, as i2i: the fake pass A serves both the G loss and (its
        # gradient taken w.r.t. D's parameters only, i.e. with the fake detached) the D loss.
        with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
            fake = G(x)
            A = D(torch.cat([x, fake], 1))
            B = D(torch.cat([x, real], 1))
        loss_g = sum(lsgan(a[-1].float(), True) for a in A) + \
            sum(fm_w * F.l1_loss(a[j].float(), b[j].detach().float()) for a, b in zip(A, B) for j in range(len(a) - 1))
        loss_d = 0.5 * (sum(lsgan(a[-1].float(), False) for a in A) + sum(lsgan(b[-1].float(), True) for b in B))
        # G's gradients go through D without D weight gradients; D's gradients do not enter G.
        gg = torch.autograd.grad(loss_g, g_params, retain_graph=True)
        gd = torch.autograd.grad(loss_d, d_params)
        for p, g in zip(g_params, gg):
            p.grad = g
        for p, g in zip(d_params, gd):
            p.grad = g
        opt_g.step()
        opt_d.step()
        return loss_g, loss_d

    return step


def free(device):
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()


def run_variant(row_id, variant, a, peaks, flops_cache):
    """One (row, variant): builds the models, warms up, times. Returns the variant's record."""
    prefix, prec = row_id.rsplit("_", 1)
    kind, model, full, tiny_size = ROWS[prefix]
    h, w = tiny_size if a.tiny else full
    precision = PRECISIONS[prec]
    bf16 = precision == "bf16_mixed"
    layout = "nchw" if variant == "eager_nchw" else "channels_last"
    rec = {"variant": variant, "layout": layout, "status": "ok", "error": ""}
    if variant == "compile" and not hasattr(torch, "compile"):
        rec.update(status="unavailable", error=f"torch {torch.__version__} has no torch.compile")
        return rec
    dev = a.device
    cuda = dev == "cuda"
    t_start = time.time()
    G = D = Gr = Dr = run = x = real = None
    try:
        torch.manual_seed(1)
        free(dev)
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        G, D = build(model, a.tiny)
        rec["g_params"], rec["d_params"] = n_params(G), n_params(D)
        fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
        G = G.to(dev).to(memory_format=fmt)
        D = D.to(dev).to(memory_format=fmt)
        x = torch.rand(1, 36, h, w, device=dev).to(memory_format=fmt)
        real = (torch.rand(1, 3, h, w, device=dev) * 1.8 - 0.9).to(memory_format=fmt)
        if row_id not in flops_cache:
            g, d = conv_flops(G, D, x, kind == "step")
            flops_cache[row_id] = 3.0 * g + 5.0 * d if kind == "step" else g
        rec["gflop"] = flops_cache[row_id] * 1e-9
        Gr, Dr = G, D
        graphs0 = breaks0 = 0
        if variant == "compile":
            import torch._dynamo as dynamo  # binds dynamo only: `import torch._dynamo` would make torch local
            from torch._dynamo.utils import counters
            dynamo.reset()  # fresh caches: no recompile limit reached by earlier rows' models
            graphs0, breaks0 = counters["stats"]["unique_graphs"], sum(counters["graph_break"].values())
            Gr, Dr = torch.compile(G), torch.compile(D)
        run = make_runner(kind, Gr, Dr, x, real, bf16, dev, 10.0 / 2 * 4.0 / 4)
        timer = Timer(dev)
        t0 = time.time()
        run()
        timer.sync()
        rec["first_iteration_s"] = time.time() - t0
        for _ in range(a.warmup - 1):
            run()
        timer.sync()
        if variant == "compile":  # graphs made and graph breaks met by this variant (0 graphs: ran eager)
            rec["compiled_graphs"] = int(counters["stats"]["unique_graphs"] - graphs0)
            rec["graph_breaks"] = int(sum(counters["graph_break"].values()) - breaks0)
            if rec["compiled_graphs"] <= 0:
                rec["note"] = "dynamo counted no new graph: this variant may have run eager"
        if cuda:
            rec["peak_warmup_mib"] = torch.cuda.max_memory_allocated() / 2 ** 20
            torch.cuda.reset_peak_memory_stats()
        ts = timer.time(run, a.reps)
        rec["ms"] = statistics.median(ts)
        rec["ms_min"], rec["ms_max"] = min(ts), max(ts)
        if cuda:
            rec["steady_peak_mib"] = torch.cuda.max_memory_allocated() / 2 ** 20
            rec["peak_mib"] = max(rec["peak_warmup_mib"], rec["steady_peak_mib"])
            rec["reserved_mib"] = torch.cuda.max_memory_reserved() / 2 ** 20
        rec["tflops"] = flops_cache[row_id] / (rec["ms"] * 1e-3) * 1e-12
        peak = peaks.get(precision) or 0
        rec["pct_peak"] = 100.0 * rec["tflops"] / peak if peak else 0.0
    except Exception as e:  # out of memory, a compile failure, ...: recorded, the next variant runs
        rec["status"] = "failed"
        rec["error"] = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"[:500]
        rec["traceback"] = traceback.format_exc(limit=4)[-2000:]
    finally:
        del G, D, Gr, Dr, run, x, real
        if variant == "compile":
            try:
                torch._dynamo.reset()
            except Exception:
                pass
        free(dev)
    rec["wall_s"] = time.time() - t_start
    return rec


def row_record(row_id, a, variants):
    """The row as gpu_bench writes it, from its best variant, with every variant listed."""
    prefix, prec = row_id.rsplit("_", 1)
    kind, model, full, tiny_size = ROWS[prefix]
    h, w = tiny_size if a.tiny else full
    name = (f"pix2pixHD global G forward {h}x{w}" if kind == "forward" else f"pix2pixHD {model} {h}x{w}")
    r = {"kind": kind, "id": row_id, "name": name, "model": model, "h": h, "w": w, "precision": PRECISIONS[prec],
         "pass": "forward" if kind == "forward" else "train step", "reps": a.reps, "variants": variants}
    ok = [v for v in variants if v["status"] == "ok"]
    if not ok:
        r.update(status="failed", error="; ".join(f"{v['variant']}: {v['error']}" for v in variants) or "not run")
        return r
    best = min(ok, key=lambda v: v["ms"])
    r.update(status="ok", error="", variant=best["variant"], layout=best["layout"])
    for k in ("ms", "ms_min", "ms_max", "gflop", "tflops", "pct_peak", "peak_mib", "steady_peak_mib",
              "reserved_mib", "g_params", "d_params"):
        if k in best:
            r[k] = best[k]
    expected = EXPECTED_PARAMS[model] if not a.tiny else None
    if expected is not None:
        r["params_match_i2i"] = best.get("g_params") == expected and best.get("d_params") == EXPECTED_PARAMS["D"]
    r["compile"] = next((f"{v['status']}{': ' + v['error'] if v['error'] else ''}" for v in variants
                         if v["variant"] == "compile"), "not run")
    return r


def measured_peak(dtype):
    n = 8192
    a = torch.randn(n, n, device="cuda", dtype=dtype)
    b = torch.randn(n, n, device="cuda", dtype=dtype)
    for _ in range(2):
        a @ b
    torch.cuda.synchronize()
    ts = Timer("cuda").time(lambda: a @ b, 10)
    return 2.0 * n ** 3 / (statistics.median(ts) * 1e-3) * 1e-12


def check_full_size_params():
    """Builds the full-size models on the CPU once and compares their parameter counts with i2i's."""
    out = {}
    for model in ("global", "local"):
        G, D = build(model, tiny=False)
        out[model] = n_params(G)
        out["D"] = n_params(D)
        del G, D
    gc.collect()
    ok = all(out[k] == EXPECTED_PARAMS[k] for k in EXPECTED_PARAMS)
    return out, ok


def profile_row(row_id, a, path):
    """torch.profiler over one iteration of the row's eager channels_last variant, after warm-up: the
    per-kernel/op table sorted by device time, written to `path`."""
    from torch.profiler import ProfilerActivity, profile
    prefix, prec = row_id.rsplit("_", 1)
    kind, model, full, tiny_size = ROWS[prefix]
    h, w = tiny_size if a.tiny else full
    bf16 = prec == "bf16"
    dev = a.device
    torch.manual_seed(1)
    G, D = build(model, a.tiny)
    G = G.to(dev).to(memory_format=torch.channels_last)
    D = D.to(dev).to(memory_format=torch.channels_last)
    x = torch.rand(1, 36, h, w, device=dev).to(memory_format=torch.channels_last)
    real = (torch.rand(1, 3, h, w, device=dev) * 1.8 - 0.9).to(memory_format=torch.channels_last)
    run = make_runner(kind, G, D, x, real, bf16, dev, 10.0 / 2 * 4.0 / 4)
    timer = Timer(dev)
    for _ in range(max(a.warmup, 1)):
        run()
    timer.sync()
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev == "cuda" else [])
    with profile(activities=acts) as prof:
        run()
        timer.sync()
    table = None
    keys = (["self_device_time_total", "self_cuda_time_total", "device_time_total", "cuda_time_total"]
            if dev == "cuda" else []) + ["self_cpu_time_total"]
    for key in keys:
        try:
            table = prof.key_averages().table(sort_by=key, row_limit=60)
            break
        except Exception:
            continue
    with open(path, "w") as f:
        f.write(f"# PyTorch {torch.__version__}, {row_id}, eager channels_last, one iteration after "
                f"{max(a.warmup, 1)} warm-up, sorted by {key}\n")
        f.write(table or "(no table)\n")
    print(f"# wrote {path} (torch.profiler, {row_id})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json")
    ap.add_argument("--rows", default="all", help="comma-separated ids, prefixes or globs; 'all'")
    ap.add_argument("--reps", type=int, default=None, help="timed iterations (default 20; --tiny 3)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed iterations first (default 3; --tiny 1)")
    ap.add_argument("--quick", action="store_true", help="only the 256x256 rows (when --rows is not given)")
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--tiny", action="store_true", help="tiny widths and sizes: a logic check")
    ap.add_argument("--variants", default="eager,eager_nchw,compile",
                    help="of eager, eager_nchw (TF32 rows only), compile")
    ap.add_argument("--time-budget", type=float, default=None, help="seconds from now for the whole run")
    ap.add_argument("--deadline", type=float, default=None, help="Unix time by which to be done")
    ap.add_argument("--compile-min-s", type=float, default=75.0,
                    help="a compiled variant starts only with this many seconds left")
    ap.add_argument("--profile", help="row id: profile one iteration (torch.profiler) instead of timing")
    ap.add_argument("--profile-out", default="torch_profile.txt")
    a = ap.parse_args()
    if a.reps is None:
        a.reps = 3 if a.tiny else 20
    if a.warmup is None:
        a.warmup = 1 if a.tiny else 3
    if a.quick and a.rows == "all":
        a.rows = "step_g256"
    deadline = a.deadline if a.deadline is not None else (
        time.time() + a.time_budget if a.time_budget is not None else float("inf"))
    if a.device == "cuda" and not torch.cuda.is_available():
        sys.exit("pix2pixhd_step.py: no CUDA device visible to PyTorch (use --device cpu --tiny for a logic check)")
    if a.device == "cuda":
        torch.backends.cudnn.benchmark = True  # pix2pixHD's train.py
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        if hasattr(torch, "set_float32_matmul_precision"):
            torch.set_float32_matmul_precision("high")

    if a.profile:
        if a.profile not in ROW_IDS:
            sys.exit(f"pix2pixhd_step.py: --profile {a.profile}: not a row id ({', '.join(ROW_IDS)})")
        profile_row(a.profile, a, a.profile_out)
        return

    rows_wanted = [r for r in ROW_IDS if selected(a.rows, r)]
    variants_wanted = [v for v in a.variants.split(",") if v]
    if a.device == "cuda":
        peaks = {}
        for key, dtype in (("fp32_tf32", torch.float32), ("bf16_mixed", torch.bfloat16)):
            try:
                peaks[key] = measured_peak(dtype)
            except Exception as e:  # no peak: % of peak stays 0, the rows still run
                print(f"# measured peak {key} failed: {type(e).__name__}: {e}", flush=True)
                peaks[key] = 0.0
            free("cuda")
        name = torch.cuda.get_device_name(0)
    else:
        peaks, name = {}, "cpu"
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    has_compile = hasattr(torch, "compile")
    print(f"# pix2pixhd_step.py: PyTorch {torch.__version__}, cuDNN {cudnn}, {name}"
          + (f"; measured peak TF32 {peaks['fp32_tf32']:.0f}, bf16 {peaks['bf16_mixed']:.0f} TFLOP/s" if peaks else "")
          + f"; median of {a.reps} after {a.warmup} warm-up; rows {','.join(rows_wanted)}", flush=True)
    if "compile" in variants_wanted and not has_compile:
        print(f"# torch.compile is not in PyTorch {torch.__version__}: the compiled variants are recorded as "
              "unavailable and the eager times count", flush=True)
    meta = {"tool": "pytorch pix2pixhd_step.py", "date": time.strftime("%Y-%m-%dT%H:%M:%S"), "device": name,
            "torch": torch.__version__, "cudnn": cudnn, "peak_tflops": peaks, "reps": a.reps, "warmup": a.warmup,
            "tiny": a.tiny, "rows_filter": a.rows, "torch_compile_available": has_compile, "complete": False}
    if a.tiny:
        counts, ok = check_full_size_params()
        meta["full_size_params"] = counts
        meta["full_size_params_match_i2i"] = ok
        print(f"# full-size parameter counts {counts}: {'equal to' if ok else 'DIFFERENT FROM'} i2i's "
              f"{EXPECTED_PARAMS}", flush=True)

    results = {r: [] for r in rows_wanted}
    flops_cache = {}

    def write():
        if not a.json:
            return
        doc = dict(meta, rows=[row_record(r, a, results[r]) for r in rows_wanted])
        tmp = a.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=2)
        os.replace(tmp, a.json)

    def attempt(row_id, variant, min_left):
        left = deadline - time.time()
        if left < min_left:
            results[row_id].append({"variant": variant, "status": "skipped",
                                    "error": f"time budget ({left:.1f} s left, needs {min_left:.0f} s)"})
            print(f"{row_id:<16} {variant:<10} skipped: time budget", flush=True)
            write()
            return
        rec = run_variant(row_id, variant, a, peaks, flops_cache)
        results[row_id].append(rec)
        if rec["status"] == "ok":
            mem = f"  peak {rec['peak_mib']:8.0f} MiB, steady {rec['steady_peak_mib']:8.0f} MiB" if "peak_mib" in rec else ""
            extra = (f"  [first iteration {rec['first_iteration_s']:.1f} s, {rec.get('compiled_graphs')} graphs, "
                     f"{rec.get('graph_breaks')} breaks]" if variant == "compile" else "")
            print(f"{row_id:<16} {variant:<10} {rec['ms']:9.2f} ms (min {rec['ms_min']:.2f}, max {rec['ms_max']:.2f}) "
                  f"{rec['tflops']:8.2f} TFLOP/s {rec['pct_peak']:6.1f} %peak{mem}{extra}", flush=True)
        else:
            print(f"{row_id:<16} {variant:<10} {rec['status']}: {rec['error']}", flush=True)
        write()

    write()
    # Eager variants of every row first (fast), then the compiled ones, most important first.
    for r in rows_wanted:
        for v in ("eager", "eager_nchw"):
            if v in variants_wanted and not (v == "eager_nchw" and r.endswith("_bf16")):
                attempt(r, v, 5.0)
    if "compile" in variants_wanted:
        order = [r for r in COMPILE_PRIORITY if r in rows_wanted]
        for r in order:
            attempt(r, "compile", a.compile_min_s if has_compile else 0.0)
    meta["complete"] = True
    write()
    print("\nrow              precision   counted     ms        TFLOP/s  %peak   peak MiB  steady MiB  compile")
    for r in rows_wanted:
        rec = row_record(r, a, results[r])
        if rec["status"] != "ok":
            print(f"{r:<16} {rec['precision']:<11} FAILED: {rec['error']}")
            continue
        print(f"{r:<16} {rec['precision']:<11} {rec['variant']:<10} {rec['ms']:9.2f} {rec['tflops']:9.2f} "
              f"{rec['pct_peak']:6.1f} {rec.get('peak_mib', 0):10.0f} {rec.get('steady_peak_mib', 0):11.0f}  "
              f"{rec['compile'][:60]}")
    if a.json:
        print(f"# wrote {a.json}")


if __name__ == "__main__":
    main()

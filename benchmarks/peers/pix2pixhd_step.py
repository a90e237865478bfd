#!/usr/bin/env python3
"""PyTorch peer of benchmarks/gpu/gpu_bench.cu: the same pix2pixHD networks and training step.

GlobalGenerator(36 -> 3, ngf 64, 4 downsamplings, 9 blocks, InstanceNorm, reflection padding) and a
2-scale NLayerDiscriminator (39 inputs, ndf 64, 3 layers, intermediate features) with LSGAN and
feature matching (lambda_feat 10), no VGG, no image pool; Adam(lr 2e-4, betas 0.5/0.999). Step as
gpu_bench: fake = G(x); A = D(x|fake); B = D(x|real); loss_G = GAN(A, real) + FM(A, B.detach) with
gradients for G's parameters only (through D, no D weight gradients); loss_D = 0.5 (GAN(A, fake) +
GAN(B, real)) with gradients for D's parameters only (the fake is thereby detached); Adam on both. Modes: fp32 with TF32 (NCHW) and AMP bf16 + channels_last.

  python3 pix2pixhd_step.py [--json FILE] [--reps N] [--quick]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ResnetBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim))

    def forward(self, x):
        return x + self.conv_block(x)


class GlobalGenerator(nn.Module):
    def __init__(self, input_nc=36, output_nc=3, ngf=64, n_down=4, n_blocks=9):
        super().__init__()
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
        self.model = nn.Sequential(*m)

    def forward(self, x):
        return self.model(x)


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


def lsgan(pred, real):
    return F.mse_loss(pred, torch.full_like(pred, 1.0 if real else 0.0))


def step_flops(G, D, h, w):
    """Forward FLOPs (2 x MACs of convs) from hooks, then 3x G + 5x D as gpu_bench counts."""
    total = {"v": 0.0}

    def hook(mod, inp, out):
        x = inp[0]
        if isinstance(mod, nn.ConvTranspose2d):
            total["v"] += 2.0 * x.shape[0] * mod.in_channels * mod.out_channels * mod.kernel_size[0] * \
                mod.kernel_size[1] * x.shape[2] * x.shape[3]
        else:
            total["v"] += 2.0 * out.shape[0] * mod.in_channels * mod.out_channels * mod.kernel_size[0] * \
                mod.kernel_size[1] * out.shape[2] * out.shape[3]

    hs = [m.register_forward_hook(hook) for m in list(G.modules()) + list(D.modules())
          if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        total["v"] = 0.0
        G(torch.zeros(1, 36, h, w, device="cuda"))
        g = total["v"]
        total["v"] = 0.0
        D(torch.zeros(1, 39, h, w, device="cuda"))
        d = total["v"]
    for hk in hs:
        hk.remove()
    return 3.0 * g + 5.0 * d


def measured_peak(dtype):
    n = 8192
    a = torch.randn(n, n, device="cuda", dtype=dtype)
    b = torch.randn(n, n, device="cuda", dtype=dtype)
    for _ in range(2):
        a @ b
    torch.cuda.synchronize()
    ts = []
    for _ in range(10):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        a @ b
        e.record()
        e.synchronize()
        ts.append(s.elapsed_time(e))
    return 2.0 * n ** 3 / (statistics.median(ts) * 1e-3) * 1e-12


def bench_step(h, w, mode, reps, peak):
    torch.manual_seed(1)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    G = GlobalGenerator().cuda()
    D = MultiscaleD(input_nc=39).cuda()
    for m in list(G.modules()) + list(D.modules()):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
    bf16 = mode == "bf16_mixed"
    fmt = torch.channels_last if bf16 else torch.contiguous_format
    G = G.to(memory_format=fmt)
    D = D.to(memory_format=fmt)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    x = torch.rand(1, 36, h, w, device="cuda").to(memory_format=fmt)
    real = (torch.rand(1, 3, h, w, device="cuda") * 1.8 - 0.9).to(memory_format=fmt)
    fm_w = 10.0 / 2 * 4.0 / 4

    g_params, d_params = list(G.parameters()), list(D.parameters())

    def step():
        # One G forward and two D forwards, as i2i: the fake pass A serves both the G loss and (its
        # gradient taken w.r.t. D's parameters only, i.e. with the fake detached) the D loss.
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
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

    for _ in range(3):
        step()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        step()
        e.record()
        e.synchronize()
        ts.append(s.elapsed_time(e))
    ms = statistics.median(ts)
    flop = step_flops(G, D, h, w)
    return {"kind": "step", "name": f"pix2pixHD {h}x{w}", "precision": mode, "pass": "train step", "ms": ms,
            "tflops": flop / (ms * 1e-3) * 1e-12, "pct_peak": 100.0 * flop / (ms * 1e-3) * 1e-12 / peak,
            "peak_mib": torch.cuda.max_memory_allocated() / 2 ** 20,
            "reserved_mib": torch.cuda.max_memory_reserved() / 2 ** 20}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    torch.backends.cudnn.benchmark = True  # pix2pixHD's train.py
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    peaks = {"fp32_tf32": measured_peak(torch.float32), "bf16_mixed": measured_peak(torch.bfloat16)}
    name = torch.cuda.get_device_name(0)
    print(f"# pix2pixhd_step.py: PyTorch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, {name}; "
          f"measured peak TF32 {peaks['fp32_tf32']:.0f}, bf16 {peaks['bf16_mixed']:.0f} TFLOP/s")
    rows = []
    sizes = [(256, 256)] + ([] if a.quick else [(512, 1024)])
    for h, w in sizes:
        for mode in ("fp32_tf32", "bf16_mixed"):
            r = bench_step(h, w, mode, a.reps, peaks[mode])
            rows.append(r)
            print(f"{r['name']:<30} {mode:<11} {r['ms']:9.2f} ms {r['tflops']:8.1f} TFLOP/s {r['pct_peak']:6.1f} %peak"
                  f"  peak memory {r['peak_mib']:8.0f} MiB (reserved {r['reserved_mib']:8.0f} MiB)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"tool": "pytorch pix2pixhd_step.py", "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
                       "device": name, "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(),
                       "peak_tflops": peaks, "rows": rows}, f, indent=2)
        print(f"# wrote {a.json}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch peer for the precision tolerances of tests/parity/test_step_parity.cu.

Builds the whole-step test's networks (small_gan.hpp: pix2pixHD GlobalGenerator ngf 8, 2 downsamplings,
1 residual block; 2-scale NLayer D, ndf 8, 2 layers, feature-matching taps) and its step (LSGAN + 10 FM
+ 10 L1 for G through D; 0.5 LSGAN for D), and measures how far PyTorch's own reduced-precision modes
move every parameter gradient from a float64 reference, with the metric the C++ test uses: per tensor
||g - g_ref|| / max(||g_ref||, 1e-3 * largest ||g_ref||).

Modes: fp32 with TF32 convolutions (torch.backends.cudnn.allow_tf32) and autocast bf16, both on the GPU;
the reference is float64 on the CPU. The numbers say what error a correct bf16 implementation of this
step shows, so the C++ test's bf16 tolerance can be set from a peer instead of from a guess.

  python3 peer_bf16_gradients.py [--seeds 5] [--json FILE]
"""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F


def generator():
    def block(c):
        return nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c), nn.ReLU(True),
                             nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c))

    class Res(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.b = block(c)

        def forward(self, x):
            return x + self.b(x)

    return nn.Sequential(
        nn.ReflectionPad2d(3), nn.Conv2d(3, 8, 7), nn.InstanceNorm2d(8), nn.ReLU(True),
        nn.Conv2d(8, 16, 3, 2, 1), nn.InstanceNorm2d(16), nn.ReLU(True),
        nn.Conv2d(16, 32, 3, 2, 1), nn.InstanceNorm2d(32), nn.ReLU(True),
        Res(32),
        nn.ConvTranspose2d(32, 16, 3, 2, 1, 1), nn.InstanceNorm2d(16), nn.ReLU(True),
        nn.ConvTranspose2d(16, 8, 3, 2, 1, 1), nn.InstanceNorm2d(8), nn.ReLU(True),
        nn.ReflectionPad2d(3), nn.Conv2d(8, 3, 7), nn.Tanh())


class NLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([
            nn.Sequential(nn.Conv2d(6, 8, 4, 2, 2), nn.LeakyReLU(0.2, True)),
            nn.Sequential(nn.Conv2d(8, 16, 4, 2, 2), nn.InstanceNorm2d(16), nn.LeakyReLU(0.2, True)),
            nn.Sequential(nn.Conv2d(16, 32, 4, 1, 2), nn.InstanceNorm2d(32), nn.LeakyReLU(0.2, True)),
            nn.Sequential(nn.Conv2d(32, 1, 4, 1, 2))])

    def forward(self, x):
        out = []
        for l in self.layers:
            x = l(x)
            out.append(x)
        return out


class Multiscale(nn.Module):
    def __init__(self):
        super().__init__()
        self.scales = nn.ModuleList([NLayer(), NLayer()])

    def forward(self, x):
        res = []
        for i, s in enumerate(self.scales):
            res.append(s(x))
            if i + 1 < len(self.scales):
                x = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
        return res


def init(m, seed):
    g = torch.Generator().manual_seed(seed)
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):
            with torch.no_grad():
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g, dtype=torch.float64) * 0.02)
                mod.bias.zero_()


def step(G, D, x, real):
    """Returns the G and D parameter gradients of small_gan.hpp's step."""
    fake = G(x)
    A = D(torch.cat([x, fake], 1))
    B = D(torch.cat([x, real], 1))
    n_fm = sum(len(s) - 1 for s in A)
    loss_g = 0
    for a, b in zip(A, B):
        loss_g = loss_g + ((a[-1].float() - 1) ** 2).mean()
        for fa, fb in zip(a[:-1], b[:-1]):
            loss_g = loss_g + 10.0 / n_fm * (fa.float() - fb.detach().float()).abs().mean()
    loss_g = loss_g + 10.0 * (fake.float() - real.float()).abs().mean()
    gG = torch.autograd.grad(loss_g, list(G.parameters()))
    A = D(torch.cat([x, fake.detach()], 1))
    loss_d = 0
    for a, b in zip(A, B):
        loss_d = loss_d + 0.5 * ((a[-1].float()) ** 2).mean() + 0.5 * ((b[-1].float() - 1) ** 2).mean()
    gD = torch.autograd.grad(loss_d, list(D.parameters()))
    return [g.detach().double().cpu() for g in gG], [g.detach().double().cpu() for g in gD]


def errors(got, ref):
    largest = max(r.norm().item() for r in ref)
    floor = 1e-3 * largest
    return [(g - r).norm().item() / max(r.norm().item(), floor) for g, r in zip(got, ref)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--json")
    a = ap.parse_args()
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    rows = []
    for seed in range(a.seeds):
        G, D = generator().double(), Multiscale().double()
        init(G, seed)
        init(D, seed + 1)
        g = torch.Generator().manual_seed(seed + 10)
        x = torch.rand((2, 3, 32, 32), generator=g, dtype=torch.float64) * 2 - 1
        real = (torch.rand((2, 3, 32, 32), generator=g, dtype=torch.float64) * 2 - 1) * 0.9
        ref_g, ref_d = step(G, D, x, real)
        Gf, Df = G.float().to(dev), D.float().to(dev)
        xf, rf = x.float().to(dev), real.float().to(dev)
        res = {"seed": seed}
        for mode in ("fp32_tf32", "bf16_mixed"):
            torch.backends.cudnn.allow_tf32 = True
            torch.backends.cuda.matmul.allow_tf32 = True
            if mode == "bf16_mixed":
                with torch.autocast(dev, dtype=torch.bfloat16):
                    gg, gd = step(Gf, Df, xf, rf)
            else:
                gg, gd = step(Gf, Df, xf, rf)
            eg, ed = errors(gg, ref_g), errors(gd, ref_d)
            ng = [n for n, _ in Gf.named_parameters()]
            nd = [n for n, _ in Df.named_parameters()]
            res[mode] = {"G_max": max(eg), "G_median": sorted(eg)[len(eg) // 2], "D_max": max(ed),
                         "D_median": sorted(ed)[len(ed) // 2], "G_worst": ng[eg.index(max(eg))],
                         "D_worst": nd[ed.index(max(ed))]}
        rows.append(res)
        print(json.dumps(res))
    summary = {m: {k: max(r[m][k] for r in rows) for k in ("G_max", "G_median", "D_max", "D_median")}
               for m in ("fp32_tf32", "bf16_mixed")}
    print("worst over seeds:", json.dumps(summary))
    if a.json:
        json.dump({"torch": torch.__version__, "device": torch.cuda.get_device_name() if dev == "cuda" else "cpu", "rows": rows,
                   "worst": summary}, open(a.json, "w"), indent=2)


if __name__ == "__main__":
    main()

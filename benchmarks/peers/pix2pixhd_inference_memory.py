#!/usr/bin/env python3
"""PyTorch peer of benchmarks/inference_memory/inference_memory.cpp: peak RSS and time of one pix2pixHD
generator forward on the CPU under torch.no_grad() (libtorch's NoGradGuard), with the same layer sizes:
GlobalGenerator(36 -> 3, ngf 64, 4 downsamplings, 9 blocks) or LocalEnhancer(36 -> 3, ngf 32, 4
downsamplings, 9 global blocks, 1 enhancer, 3 local blocks), InstanceNorm, reflection padding (the
reference's networks.py), random weights (PyTorch's default init). One configuration per process.

  python3 pix2pixhd_inference_memory.py --net global|local [--height 1024 --width 2048 --threads 2]
"""
import argparse
import json
import os
import time

import torch
import torch.nn as nn

# The same GlobalGenerator and ResnetBlock as the training-step peer (reference networks.py).
from pix2pixhd_step import GlobalGenerator, ResnetBlock


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib():
    """High-water mark since the last reset_peak_rss()."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return -1


def reset_peak_rss():
    with open("/proc/self/clear_refs", "w") as f:  # Linux >= 4.0: VmHWM = VmRSS
        f.write("5")


class LocalEnhancer(nn.Module):
    """networks.py's LocalEnhancer with n_local_enhancers = 1."""

    def __init__(self, input_nc=36, output_nc=3, ngf=32, n_down=4, n_blocks_global=9, n_blocks_local=3):
        super().__init__()
        self.model = GlobalGenerator(input_nc, output_nc, ngf * 2, n_down, n_blocks_global).model[:-3]  # no last conv
        self.model1_1 = nn.Sequential(
            nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU(True),
            nn.Conv2d(ngf, ngf * 2, 3, 2, 1), nn.InstanceNorm2d(ngf * 2), nn.ReLU(True))
        self.model1_2 = nn.Sequential(
            *[ResnetBlock(ngf * 2) for _ in range(n_blocks_local)],
            nn.ConvTranspose2d(ngf * 2, ngf, 3, 2, 1, 1), nn.InstanceNorm2d(ngf), nn.ReLU(True),
            nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7), nn.Tanh())
        self.downsample = nn.AvgPool2d(3, stride=2, padding=[1, 1], count_include_pad=False)

    def forward(self, x):
        return self.model1_2(self.model1_1(x) + self.model(self.downsample(x)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--net", choices=["global", "local"], default="global")
    ap.add_argument("--height", type=int, default=1024)
    ap.add_argument("--width", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    g = GlobalGenerator() if a.net == "global" else LocalEnhancer()
    g.eval()
    x = torch.zeros(1, 36, a.height, a.width)
    cls = torch.randint(0, 35, (a.height // 64 + 1, a.width // 64 + 1))
    x.scatter_(1, cls.repeat_interleave(64, 0).repeat_interleave(64, 1)[: a.height, : a.width][None, None], 1.0)
    weights = sum(p.numel() for p in g.parameters()) * 4 / 2**20
    before, peak_before = rss_mib(), peak_rss_mib()
    reset_peak_rss()  # the forward's own peak, not construction's
    t0 = time.perf_counter()
    with torch.no_grad():
        y = g(x)
    secs = time.perf_counter() - t0
    print(json.dumps({"impl": "torch " + torch.__version__, "net": a.net, "mode": "no_grad", "height": a.height,
                      "width": a.width, "threads": a.threads, "weights_mib": round(weights, 1),
                      "rss_before_forward_mib": round(before, 1), "peak_rss_before_forward_mib": round(peak_before, 1),
                      "peak_rss_mib": round(peak_rss_mib(), 1), "forward_growth_mib": round(peak_rss_mib() - before, 1),
                      "seconds": round(secs, 2), "out0": float(y.flatten()[0])}))


if __name__ == "__main__":
    main()

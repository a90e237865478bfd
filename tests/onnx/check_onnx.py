#!/usr/bin/env python3
"""Checks the ONNX files that the test onnx_export wrote (manifest.txt in the folder given).

For every case: onnx.checker.check_model passes, then OpenCV DNN (cv2.dnn.readNetFromONNX), a runtime
independent of i2i, runs the file on the recorded inputs, and every output must match our CPU forward:
|ours - opencv| <= 1e-4 * (|ours| + max|ours|) element-wise, i.e. 1e-4 relative to the element, with an
absolute floor of 1e-4 of the output's largest magnitude (elements near zero have no relative scale).

Exits 77 (CTest: skipped) when Python's onnx, cv2 or numpy is missing (Debian python3-onnx,
python3-opencv), 1 on any failure.
"""
import os
import sys

try:
    import numpy as np
    import onnx
    import cv2
except ImportError as e:  # the tools are optional here; CI installs them
    print(f"skipped: {e} (install Debian python3-onnx and python3-opencv)")
    sys.exit(77)

RTOL = 1e-4


def read_manifest(folder):
    cases, current = [], None
    with open(os.path.join(folder, "manifest.txt")) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "case":
                current = {"name": parts[1], "file": parts[2], "opencv": parts[3], "inputs": [], "outputs": []}
                cases.append(current)
            else:
                current[parts[0] + "s"].append((parts[1], parts[2]))
    return cases


def check(folder, case):
    path = os.path.join(folder, case["file"])
    if case["opencv"] == "cli" and not os.path.exists(path):
        return "skipped: i2i_export did not write this file (examples not built)"
    model = onnx.load(path)
    onnx.checker.check_model(model)
    ops = sorted({n.op_type for n in model.graph.node})
    net = cv2.dnn.readNetFromONNX(path)
    for name, file in case["inputs"]:
        net.setInput(np.load(os.path.join(folder, file)), name)
    names = [n for n, _ in case["outputs"]]
    got = net.forward(names)
    worst = 0.0
    for (name, file), y in zip(case["outputs"], got):
        want = np.load(os.path.join(folder, file))
        if y.shape != want.shape:
            raise AssertionError(f"output {name}: OpenCV gives shape {y.shape}, ours {want.shape}")
        scale = float(np.abs(want).max()) or 1.0
        err = np.abs(y - want) / (np.abs(want) + scale)
        if not np.all(np.isfinite(y)) or err.max() > RTOL:
            i = np.unravel_index(np.argmax(err), err.shape)
            raise AssertionError(f"output {name}: relative error {err.max():.3g} > {RTOL} at {i} "
                                 f"(OpenCV {y[i]:.7g}, ours {want[i]:.7g})")
        worst = max(worst, float(err.max()))
    return f"checker ok; OpenCV matches, max relative error {worst:.2g}; ops {ops}"


def main():
    folder = sys.argv[1]
    print(f"onnx {onnx.__version__}, OpenCV {cv2.__version__}")
    failed = 0
    for case in read_manifest(folder):
        try:
            print(f"{case['name']}: {check(folder, case)}")
        except Exception as e:  # report every case, then fail
            failed += 1
            print(f"{case['name']}: FAILED: {e}")
    if failed:
        print(f"{failed} case(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks the ONNX files that the test onnx_export wrote (manifest.txt in the folder given).

For every case: onnx.checker.check_model passes, then two runtimes independent of i2i run the file on
the recorded inputs, and every output must match our CPU forward: |ours - theirs| <= 1e-4 * (|ours| +
max|ours|) element-wise, i.e. 1e-4 relative to the element, with an absolute floor of 1e-4 of the
output's largest magnitude (elements near zero have no relative scale).

1. OpenCV DNN (cv2.dnn.readNetFromONNX), except for cases marked "reference": graphs that OpenCV 4.6
   runs wrongly (batches of more than one sample through AdaIN or an affine InstanceNormalization).
2. The numpy evaluator of reference_ops.py, op by op, after each op it implements has reproduced ONNX's
   own node test data (Debian libonnx-testdata) for every op the graphs use. Without that data this
   part is skipped (and so are the "reference" cases).

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

import reference_ops

RTOL = 1e-4


def read_manifest(folder):
    cases, current = [], None
    with open(os.path.join(folder, "manifest.txt")) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "case":
                current = {"name": parts[1], "file": parts[2], "mode": parts[3], "inputs": [], "outputs": []}
                cases.append(current)
            else:
                current[parts[0] + "s"].append((parts[1], parts[2]))
    return cases


def compare(runtime, case, folder, got):
    worst = 0.0
    for (name, file), y in zip(case["outputs"], got):
        want = np.load(os.path.join(folder, file))
        if y.shape != want.shape:
            raise AssertionError(f"output {name}: {runtime} gives shape {y.shape}, ours {want.shape}")
        scale = float(np.abs(want).max()) or 1.0
        err = np.abs(y - want) / (np.abs(want) + scale)
        if not np.all(np.isfinite(y)) or err.max() > RTOL:
            i = np.unravel_index(np.argmax(err), err.shape)
            raise AssertionError(f"output {name}: {runtime} relative error {err.max():.3g} > {RTOL} at {i} "
                                 f"({runtime} {y[i]:.7g}, ours {want[i]:.7g})")
        worst = max(worst, float(err.max()))
    return worst


def check(folder, case, reference_ok):
    path = os.path.join(folder, case["file"])
    if case["mode"] == "cli" and not os.path.exists(path):
        return "skipped: i2i_export did not write this file (examples not built)"
    model = onnx.load(path)
    onnx.checker.check_model(model)
    ops = sorted({n.op_type for n in model.graph.node})
    feeds = {name: np.load(os.path.join(folder, file)) for name, file in case["inputs"]}
    names = [n for n, _ in case["outputs"]]
    said = ["checker ok"]
    if case["mode"] != "reference":
        net = cv2.dnn.readNetFromONNX(path)
        for name, x in feeds.items():
            net.setInput(x, name)
        said.append(f"OpenCV matches ({compare('OpenCV', case, folder, net.forward(names)):.2g})")
    if reference_ok:
        said.append(f"numpy reference matches ({compare('numpy', case, folder, reference_ops.run(model, feeds, names)):.2g})")
    elif case["mode"] == "reference":
        return "skipped: only the numpy reference runs this graph, and ONNX's node test data is missing"
    return "; ".join(said) + f"; ops {ops}"


def validate_reference(folder, cases):
    """Runs ONNX's node tests through reference_ops for every op the files use; False without the data."""
    if not os.path.isdir(reference_ops.NODE_DATA):
        print(f"numpy reference skipped: no ONNX node test data in {reference_ops.NODE_DATA} "
              "(Debian libonnx-testdata)")
        return False
    ops = set()
    for case in cases:
        path = os.path.join(folder, case["file"])
        if os.path.exists(path):
            ops |= {n.op_type for n in onnx.load(path).graph.node}
    counts = reference_ops.check_node_data(sorted(ops))
    untested = [op for op, (passed, _) in counts.items() if passed == 0]
    if untested:
        raise AssertionError(f"no ONNX node test exercises the numpy {untested}")
    print("numpy reference validated on ONNX's node test data: " +
          ", ".join(f"{op} {passed}" for op, (passed, _) in sorted(counts.items())))
    return True


def main():
    folder = sys.argv[1]
    print(f"onnx {onnx.__version__}, OpenCV {cv2.__version__}, numpy {np.__version__}")
    failed = 0
    cases = read_manifest(folder)
    reference_ok = validate_reference(folder, cases)
    for case in cases:
        try:
            print(f"{case['name']}: {check(folder, case, reference_ok)}")
        except Exception as e:  # report every case, then fail
            failed += 1
            print(f"{case['name']}: FAILED: {e}")
    if failed:
        print(f"{failed} case(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""CTest driver for examples/pix2pixhd/convert_pth.py (skipped, exit 77, when torch is not importable).

1. fixtures/local_G.pth (a torch.save'd reference LocalEnhancer state_dict) converts, and the result
   strict-loads into our local_enhancer and reproduces the reference output (golden_check_converted);
2. a "module."-prefixed copy converts with --strip-prefix module. and passes the same check;
3. a copy with one key renamed converts but is refused by the strict load, naming the key;
4. a pickled nn.Module, a training-state dict and an integer tensor are refused (exit 2, with a reason).
"""
import argparse
import contextlib
import importlib.util
import io
import os
import subprocess
import sys

try:
    import torch
except ImportError:
    print("torch is not importable by /usr/bin/python3 (apt-get install python3-torch): skipped")
    sys.exit(77)

ap = argparse.ArgumentParser()
ap.add_argument("--converter", required=True)
ap.add_argument("--checker", required=True)
ap.add_argument("--fixtures", required=True)
ap.add_argument("--work", required=True)
a = ap.parse_args()
os.makedirs(a.work, exist_ok=True)
failures = []


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


spec = importlib.util.spec_from_file_location("convert_pth", a.converter)
converter = importlib.util.module_from_spec(spec)
spec.loader.exec_module(converter)


def convert(src, dst, *extra):
    """The converter's main() in this process (one torch import for the whole test)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = converter.main([src, dst, *extra])
    return rc, err.getvalue()


def expect(cond, what, output):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        print("     output: " + output.strip().replace("\n", "\n     "))
        failures.append(what)


src = os.path.join(a.fixtures, "local_G.pth")
out = os.path.join(a.work, "local_G.safetensors")
rc, text = convert(src, out)
expect(rc == 0, "converts the reference LocalEnhancer .pth", text)
rc, text = run([a.checker, out])
expect(rc == 0, "converted file strict-loads and reproduces the reference output", text)

sd = torch.load(src)
prefixed = os.path.join(a.work, "prefixed.pth")
torch.save({"module." + k: v for k, v in sd.items()}, prefixed)
out2 = os.path.join(a.work, "prefixed.safetensors")
rc, text = convert(prefixed, out2, "--strip-prefix", "module.")
rc2, text2 = run([a.checker, out2])
expect(rc == 0 and rc2 == 0, "--strip-prefix module. gives a loadable file", text + text2)

renamed = os.path.join(a.work, "renamed.pth")
torch.save({("model1_2.9.weight" if k == "model1_2.6.weight" else k): v for k, v in sd.items()}, renamed)
out3 = os.path.join(a.work, "renamed.safetensors")
rc, text = convert(renamed, out3)
rc2, text2 = run([a.checker, out3])
expect(rc == 0 and rc2 != 0 and "model1_2.9.weight" in text2 and "model1_2.6.weight" in text2,
       "a renamed key is refused by the strict load, naming both keys", text + text2)

bad = {
    "module": (torch.nn.Conv2d(1, 1, 1), "not a plain state_dict"),
    "training_state": ({"epoch": 3, "model.1.weight": torch.zeros(1)}, "epoch (int)"),
    "integer_tensor": ({"n": torch.zeros(2, dtype=torch.long)}, "torch.int64"),
    "a_list": ([torch.zeros(1)], "not a state_dict"),
}
for name, (obj, needle) in bad.items():
    p = os.path.join(a.work, name + ".pth")
    torch.save(obj, p)
    dst = os.path.join(a.work, name + ".safetensors")
    if os.path.exists(dst):
        os.remove(dst)
    rc, text = convert(p, dst)
    expect(rc == 2 and needle in text and not os.path.exists(dst), f"refuses {name} ({needle!r} in the message)", text)

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)

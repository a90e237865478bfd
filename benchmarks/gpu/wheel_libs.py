"""Prints the library folders of the CUDA wheels next to PyTorch (nvidia/<name>/lib), cuDNN's first, joined
by ':' for LD_LIBRARY_PATH: run_all.sh and device_session.sh run i2i's binaries on the cuDNN that PyTorch
brings, so both sides of the benchmark use one cuDNN and a machine whose system cuDNN is older than the
one we compiled against still serves (docs/cuda.md). Prints nothing when there are none."""
import glob
import os
import site

roots = site.getsitepackages() + [site.getusersitepackages()]
try:
    import torch

    roots.append(os.path.dirname(os.path.dirname(torch.__file__)))
except Exception:
    pass
seen = []
for r in roots:
    for d in sorted(glob.glob(os.path.join(r, "nvidia", "*", "lib"))):
        if d not in seen and glob.glob(os.path.join(d, "*.so*")):
            seen.append(d)
cudnn = [d for d in seen if "/cudnn/" in d]
print(":".join(cudnn + [d for d in seen if d not in cudnn]))

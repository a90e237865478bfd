#!/usr/bin/python3
"""Convert an official pix2pixHD PyTorch checkpoint (.pth state_dict) to safetensors for i2i.

Usage:
    /usr/bin/python3 examples/pix2pixhd/convert_pth.py IN.pth OUT.safetensors [--strip-prefix PREFIX]
                                                       [--drop-buffers] [--list]

Example, the official label2city_1024p generator (LocalEnhancer, ngf 32, 36 input channels):
    /usr/bin/python3 examples/pix2pixhd/convert_pth.py \\
        checkpoints/label2city_1024p/latest_net_G.pth label2city_1024p_G.safetensors
then, in C++:
    i2i::model<i2i::pix2pixhd::local_enhancer<36>, i2i::cpu_backend<float>> G;
    i2i::load_model(G, "label2city_1024p_G.safetensors");   // strict: the keys are the official ones

Needs PyTorch (Debian: apt-get install python3-torch; use /usr/bin/python3 when another python3 is
first on PATH). The keys are copied unchanged (i2i's parameter names are pix2pixHD's state_dict keys:
model.1.weight, model1_1.1.weight, scale0_layer0.0.weight, ...), in the file's order, and every tensor is
written as float32 (F32), contiguous, little-endian. Metadata records the source file name.

The input must be a state_dict: a mapping from string keys to floating-point tensors, which is what
pix2pixHD's save_network writes (torch.save(network.state_dict())). Anything else is refused with an
error saying what was found (exit status 2):
  - a pickled nn.Module or optimizer, a list, a tensor: "not a state_dict";
  - a dict with non-tensor values (e.g. a training-state dict with 'epoch'): names the keys; pass the
    state_dict itself;
  - integer or boolean tensors (BatchNorm's num_batches_tracked with --norm batch): named; pass
    --drop-buffers to leave them out (i2i does not keep that counter);
  - non-string or duplicate keys after --strip-prefix.
--strip-prefix removes a leading prefix such as "module." (a DataParallel-wrapped network) from every
key that has it. --list prints the keys, shapes and parameter count without writing anything.

Loading uses torch.load(weights_only=True) where the installed PyTorch supports it, so a file that needs
arbitrary code to unpickle is refused instead of executed; older PyTorch falls back to a plain load of
files you trust.
"""
import argparse
import json
import os
import struct
import sys


class ConversionError(Exception):
    pass


def reason(e):
    """The useful part of an unpickling error (PyTorch's weights_only message is long)."""
    text = str(e)
    for marker in ("WeightsUnpickler error:",):
        if marker in text:
            return text.split(marker, 1)[1].strip()
    return text.splitlines()[0] if text else "no message"


def load_checkpoint(path, torch):
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: no such file")
    try:
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except TypeError:  # PyTorch < 1.13 has no weights_only
            return torch.load(path, map_location="cpu")
    except ConversionError:
        raise
    except Exception as e:  # unpickling errors come in many types
        raise ConversionError(f"{path}: cannot be read as a PyTorch checkpoint with weights_only=True "
                              f"({type(e).__name__}: {reason(e)}); it is not a "
                              f"plain state_dict (a pickled module or other objects?). Load it in Python and "
                              f"torch.save(obj.state_dict()) first") from None


def as_state_dict(obj, path, torch, strip_prefix, drop_buffers):
    """Validates `obj` as a state_dict; returns [(key, float32 numpy array)] and the dropped keys."""
    if not isinstance(obj, dict):
        what = type(obj).__module__ + "." + type(obj).__name__
        raise ConversionError(f"{path}: holds a {what}, not a state_dict (a mapping from parameter names to "
                              f"tensors); save module.state_dict() instead")
    if not obj:
        raise ConversionError(f"{path}: the state_dict is empty")
    bad_keys = [k for k in obj if not isinstance(k, str)]
    if bad_keys:
        raise ConversionError(f"{path}: keys must be strings, found {bad_keys[:5]!r}")
    non_tensors = [f"{k} ({type(v).__name__})" for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if non_tensors:
        raise ConversionError(f"{path}: not a state_dict: {len(non_tensors)} value(s) are not tensors: "
                              f"{', '.join(non_tensors[:8])}{' ...' if len(non_tensors) > 8 else ''}; "
                              f"pass the state_dict itself (e.g. checkpoint['state_dict'])")
    out, dropped, seen = [], [], set()
    for k, v in obj.items():
        if not v.is_floating_point():
            if drop_buffers:
                dropped.append(k)
                continue
            raise ConversionError(f"{path}: tensor '{k}' has dtype {v.dtype}, not floating point; i2i models "
                                  f"hold float parameters only (pass --drop-buffers to leave out integer "
                                  f"buffers such as BatchNorm's num_batches_tracked)")
        if v.is_sparse or v.is_quantized:
            raise ConversionError(f"{path}: tensor '{k}' is sparse or quantized; only dense tensors convert")
        name = k[len(strip_prefix):] if strip_prefix and k.startswith(strip_prefix) else k
        if name in seen:
            raise ConversionError(f"{path}: key '{name}' occurs twice after stripping '{strip_prefix}'")
        seen.add(name)
        out.append((name, v.detach().to(torch.float32).contiguous().cpu().numpy()))
    return out, dropped


def write_safetensors(path, tensors, metadata):
    """safetensors: u64 header length | JSON header (space-padded to 8 bytes) | raw little-endian data."""
    header = {"__metadata__": metadata}
    offset = 0
    for name, a in tensors:
        n = a.size * 4
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + n]}
        offset += n
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, a in tensors:
            f.write(a.astype("<f4", copy=False).tobytes())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # never a half-written file under the final name


def main(argv=None):
    ap = argparse.ArgumentParser(description="Convert a pix2pixHD .pth state_dict to safetensors (float32).")
    ap.add_argument("input", help="the .pth file (e.g. latest_net_G.pth)")
    ap.add_argument("output", nargs="?", help="the .safetensors file to write")
    ap.add_argument("--strip-prefix", default="", help='remove this prefix from keys (e.g. "module.")')
    ap.add_argument("--drop-buffers", action="store_true", help="leave out integer tensors instead of refusing")
    ap.add_argument("--list", action="store_true", help="print keys and shapes; write nothing")
    args = ap.parse_args(argv)
    if not args.list and not args.output:
        ap.error("the output path is required unless --list is given")
    try:
        import torch
    except ImportError:
        print("convert_pth.py: PyTorch is not importable by this interpreter; install python3-torch "
              "(Debian) and run it with /usr/bin/python3", file=sys.stderr)
        return 3
    try:
        obj = load_checkpoint(args.input, torch)
        tensors, dropped = as_state_dict(obj, args.input, torch, args.strip_prefix, args.drop_buffers)
    except ConversionError as e:
        print(f"convert_pth.py: {e}", file=sys.stderr)
        return 2
    count = sum(a.size for _, a in tensors)
    if args.list:
        for name, a in tensors:
            print(f"{name}\t{'x'.join(map(str, a.shape))}")
    else:
        write_safetensors(args.output, tensors, {"source": os.path.basename(args.input), "converted_by": "convert_pth.py"})
    print(f"{len(tensors)} tensors, {count} values" + (f", dropped {dropped}" if dropped else "") +
          ("" if args.list else f" -> {args.output}"), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

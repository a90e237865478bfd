"""A small ONNX evaluator in numpy (float64) for the ops i2i's exporter writes, validated against ONNX's
own node test data (Debian libonnx-testdata), so that it is an independent check where OpenCV 4.6 falls
short (batches of more than one sample through AdaIN or an affine InstanceNormalization; Split, linear
Resize). Only the attribute values the exporter and the selected node tests use are implemented; any
other value raises Unsupported, and such node tests are counted as not applicable.
"""
import glob
import math
import os

import numpy as np
import onnx
from onnx import numpy_helper

NODE_DATA = "/usr/share/libonnx-testdata/data/node"


class Unsupported(Exception):
    pass


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def same_upper_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def spatial_pads(a, x, kernel, strides):
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("NOTSET", ""):
        p = a.get("pads", [0, 0, 0, 0])
        return p[0], p[1], p[2], p[3]
    if auto == "SAME_UPPER":
        (t, b), (l, r) = (same_upper_pads(x.shape[2], kernel[0], strides[0]),
                          same_upper_pads(x.shape[3], kernel[1], strides[1]))
        return t, l, b, r
    if auto == "VALID":
        return 0, 0, 0, 0
    raise Unsupported(f"auto_pad {auto}")


def windows(x, kh, kw, sh, sw):
    v = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return v[:, :, ::sh, ::sw]  # N, C, OH, OW, kh, kw


def check_2d(x, a, groups_ok=False):
    if x.ndim != 4:
        raise Unsupported(f"{x.ndim}-d input")
    if any(d != 1 for d in a.get("dilations", [1, 1])) or a.get("ceil_mode", 0):
        raise Unsupported("dilations or ceil_mode")
    if a.get("group", 1) != 1 and not groups_ok:
        raise Unsupported("groups")


def conv(node, x, w, b=None):
    a = attrs(node)
    check_2d(x, a, groups_ok=True)
    k = a.get("kernel_shape", list(w.shape[2:]))
    s = a.get("strides", [1, 1])
    t, l, bo, r = spatial_pads(a, x, k, s)
    xp = np.pad(x, ((0, 0), (0, 0), (t, bo), (l, r)))
    cols = windows(xp, k[0], k[1], s[0], s[1])
    # group g: output channels [g*Cout/G, (g+1)*Cout/G) read input channels [g*Cin/G, (g+1)*Cin/G)
    groups = a.get("group", 1)
    cin, cout = x.shape[1] // groups, w.shape[0] // groups
    y = np.concatenate([np.tensordot(cols[:, g * cin:(g + 1) * cin], w[g * cout:(g + 1) * cout],
                                     axes=([1, 4, 5], [1, 2, 3])) for g in range(groups)], axis=3)
    y = y.transpose(0, 3, 1, 2)
    return y + (b.reshape(1, -1, 1, 1) if b is not None else 0)


def clip(node, x, lo=None, hi=None):
    a = attrs(node)  # opset 6-10: bounds as attributes; 11 and later: as optional inputs
    lo = a.get("min", -np.inf) if lo is None else lo
    hi = a.get("max", np.inf) if hi is None else hi
    return np.minimum(np.maximum(x, lo), hi)


def conv_transpose(node, x, w, b=None):
    a = attrs(node)
    check_2d(x, a)
    if "output_shape" in a or a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise Unsupported("output_shape / auto_pad")
    k = a.get("kernel_shape", list(w.shape[2:]))
    s = a.get("strides", [1, 1])
    p = a.get("pads", [0, 0, 0, 0])
    op = a.get("output_padding", [0, 0])
    n, _, h, wd = x.shape
    full = np.zeros((n, w.shape[1], (h - 1) * s[0] + k[0] + op[0], (wd - 1) * s[1] + k[1] + op[1]))
    for i in range(k[0]):
        for j in range(k[1]):
            full[:, :, i:i + s[0] * (h - 1) + 1:s[0], j:j + s[1] * (wd - 1) + 1:s[1]] += \
                np.einsum("nchw,co->nohw", x, w[:, :, i, j])
    y = full[:, :, p[0]:full.shape[2] - p[2], p[1]:full.shape[3] - p[3]]
    return y + (b.reshape(1, -1, 1, 1) if b is not None else 0)


def pad(node, x, pads, value=None):
    mode = attrs(node).get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    r = x.ndim
    width = [(int(pads[i]), int(pads[i + r])) for i in range(r)]
    if any(b < 0 or e < 0 for b, e in width):
        raise Unsupported("negative pads")
    if mode == "constant":
        return np.pad(x, width, constant_values=0 if value is None or value.size == 0 else value.item())
    if mode in ("reflect", "edge"):
        return np.pad(x, width, mode=mode)
    raise Unsupported(mode)


def instance_norm(node, x, scale, bias):
    eps = attrs(node).get("epsilon", 1e-5)
    axes = tuple(range(2, x.ndim))
    m = x.mean(axis=axes, keepdims=True)
    v = ((x - m) ** 2).mean(axis=axes, keepdims=True)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return scale.reshape(shape) * (x - m) / np.sqrt(v + eps) + bias.reshape(shape)


def batch_norm(node, x, scale, bias, mean, var):
    a = attrs(node)
    if a.get("training_mode", 0) or len(node.output) > 1:
        raise Unsupported("training mode")
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return scale.reshape(shape) * (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + a.get("epsilon", 1e-5)) \
        + bias.reshape(shape)


def pool(node, x, average):
    a = attrs(node)
    check_2d(x, a)
    if len(node.output) > 1 or a.get("storage_order", 0):
        raise Unsupported("indices")
    k = a["kernel_shape"]
    s = a.get("strides", [1, 1])
    t, l, bo, r = spatial_pads(a, x, k, s)
    width = ((0, 0), (0, 0), (t, bo), (l, r))
    if not average:
        return windows(np.pad(x, width, constant_values=-np.inf), k[0], k[1], s[0], s[1]).max(axis=(4, 5))
    total = windows(np.pad(x, width), k[0], k[1], s[0], s[1]).sum(axis=(4, 5))
    if a.get("count_include_pad", 0):
        return total / (k[0] * k[1])
    ones = np.pad(np.ones((1, 1) + x.shape[2:]), width)
    return total / windows(ones, k[0], k[1], s[0], s[1]).sum(axis=(4, 5))


def resize(node, x, roi=None, scales=None, sizes=None):
    a = attrs(node)
    mode = a.get("mode", b"nearest").decode()
    ctm = a.get("coordinate_transformation_mode", b"half_pixel").decode()
    nearest = a.get("nearest_mode", b"round_prefer_floor").decode()
    if scales is None or scales.size == 0 or mode != "nearest" or ctm not in ("asymmetric", "half_pixel"):
        raise Unsupported(f"Resize {mode} {ctm}")
    rounding = {"floor": np.floor, "ceil": np.ceil, "round_prefer_floor": lambda v: np.ceil(v - 0.5),
                "round_prefer_ceil": lambda v: np.floor(v + 0.5)}[nearest]
    y = x
    for axis, sc in enumerate(scales):
        n_in = x.shape[axis]
        n_out = int(math.floor(n_in * sc))
        o = np.arange(n_out)
        src = o / sc if ctm == "asymmetric" else (o + 0.5) / sc - 0.5
        idx = np.clip(rounding(src).astype(np.int64), 0, n_in - 1)
        y = np.take(y, idx, axis=axis)
    return y


def slice_(node, x, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * x.ndim
    for st, en, ax, sp in zip(starts, ends, axes, steps):
        index[int(ax)] = slice(int(st), int(min(max(en, -2**62), 2**62)), int(sp))
    return x[tuple(index)]


def split(node, x, parts=None):
    a = attrs(node)
    axis = a.get("axis", 0)
    if parts is None or parts.size == 0:
        parts = [x.shape[axis] // len(node.output)] * len(node.output)
    return tuple(np.split(x, np.cumsum(parts)[:-1], axis=axis))


def gemm(node, A, B, C=None):
    a = attrs(node)
    A = A.T if a.get("transA", 0) else A
    B = B.T if a.get("transB", 0) else B
    y = a.get("alpha", 1.0) * (A @ B)
    return y + a.get("beta", 1.0) * C if C is not None else y


def reshape(node, x, shape):
    if attrs(node).get("allowzero", 0):
        raise Unsupported("allowzero")
    shape = [x.shape[i] if d == 0 else int(d) for i, d in enumerate(shape)]
    return x.reshape(shape)


def reduce_mean(node, x, axes_input=None):
    a = attrs(node)
    axes = a.get("axes", axes_input)
    axes = tuple(range(x.ndim)) if axes is None else tuple(int(v) for v in axes)
    return x.mean(axis=axes, keepdims=bool(a.get("keepdims", 1)))


def leaky_relu(node, x):
    alpha = attrs(node).get("alpha", 0.01)
    return np.where(x >= 0, x, alpha * x)


OPS = {
    "Conv": conv, "ConvTranspose": conv_transpose, "Pad": pad, "InstanceNormalization": instance_norm,
    "BatchNormalization": batch_norm, "AveragePool": lambda n, x: pool(n, x, True),
    "MaxPool": lambda n, x: pool(n, x, False), "Resize": resize, "Slice": slice_, "Split": split, "Gemm": gemm,
    "Reshape": reshape, "ReduceMean": reduce_mean, "LeakyRelu": leaky_relu, "Clip": clip,
    "Relu": lambda n, x: np.maximum(x, 0), "Tanh": lambda n, x: np.tanh(x),
    "Sigmoid": lambda n, x: 1 / (1 + np.exp(-x)), "Sqrt": lambda n, x: np.sqrt(x),
    "Identity": lambda n, x: x, "Add": lambda n, a, b: a + b, "Sub": lambda n, a, b: a - b,
    "Mul": lambda n, a, b: a * b, "Div": lambda n, a, b: a / b,
    "Concat": lambda n, *xs: np.concatenate(xs, axis=attrs(n)["axis"]),
    "Flatten": lambda n, x: x.reshape(int(np.prod(x.shape[:attrs(n).get("axis", 1)])), -1),
}


def run(model, feeds, outputs=None):
    """Evaluates the graph on feeds (name -> array) in float64; returns the named outputs."""
    def widen(v):  # floats in float64; integer inputs (pads, axes, sizes) as they are
        v = np.asarray(v)
        return v.astype(np.float64) if v.dtype.kind == "f" else v
    env = {t.name: widen(numpy_helper.to_array(t)) for t in model.graph.initializer}
    env.update({k: widen(v) for k, v in feeds.items()})
    env[""] = None
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx") or node.op_type not in OPS:
            raise Unsupported(f"op {node.op_type}")
        args = [env[i] for i in node.input]
        while args and args[-1] is None:
            args.pop()
        y = OPS[node.op_type](node, *args)
        for name, value in zip(node.output, y if isinstance(y, tuple) else (y,)):
            env[name] = value
    names = outputs or [o.name for o in model.graph.output]
    return [env[n] for n in names]


def check_node_data(op_types):
    """Runs ONNX's node tests of these op types through run(); returns {op: (passed, not applicable)} and
    raises on any disagreement."""
    result = {op: [0, 0] for op in op_types}
    for folder in sorted(glob.glob(os.path.join(NODE_DATA, "test_*"))):
        model_path = os.path.join(folder, "model.onnx")
        if not os.path.exists(model_path):
            continue
        model = onnx.load(model_path)
        if len(model.graph.node) != 1 or model.graph.node[0].op_type not in result:
            continue
        op = model.graph.node[0].op_type
        for data in sorted(glob.glob(os.path.join(folder, "test_data_set_*"))):
            try:  # some node tests feed sequences or optionals, not tensors
                ins = [numpy_helper.to_array(onnx.load_tensor(p))
                       for p in sorted(glob.glob(os.path.join(data, "input_*.pb")))]
                outs = [numpy_helper.to_array(onnx.load_tensor(p))
                        for p in sorted(glob.glob(os.path.join(data, "output_*.pb")))]
            except ValueError:
                ins, outs = [np.array("not a tensor")], []
            if any(v.dtype.kind not in "fi" for v in ins + outs):
                result[op][1] += 1
                continue
            feeds = {i.name: v for i, v in zip(model.graph.input, ins)}
            try:
                got = run(model, feeds)
            except Unsupported:
                result[op][1] += 1
                continue
            for g, want in zip(got, outs):
                if g.shape != want.shape or not np.allclose(g, want, rtol=1e-4, atol=1e-5):
                    raise AssertionError(f"{os.path.basename(folder)}: the numpy {op} disagrees with ONNX's data")
            result[op][0] += 1
    return result

#!/usr/bin/env node
// Converts nsfwjs's TensorFlow.js MobileNetV2 (dist/models/mobilenet_v2/: model.min.js + base64 weight
// shards, uint8 quantized) into a safetensors file of named float32 tensors in PyTorch layouts.
//
//   node cmake/mobilenet_v2_to_safetensors.js <dist/models/mobilenet_v2> <out.safetensors>
//
// Node, because the model files are JavaScript bundles (an object literal with unquoted keys, and one
// base64 string per shard): they are evaluated in an empty vm context (no require, no process, no
// file system), which reads them exactly. Node comes with npm, which fetching needs anyway.
//
// De-quantization is TensorFlow.js's own (tfjs-core io/io_utils decodeWeights): w = q * scale + min in
// double, stored as float32. Names: "<Keras layer>.<PyTorch parameter>" with
//   Conv2D kernel [kh, kw, in, out]            -> <layer>.weight [out, in, kh, kw]
//   DepthwiseConv2D kernel [kh, kw, C, m]      -> <layer>.weight [C*m, 1, kh, kw]  (groups = C)
//   Dense kernel [in, out]                     -> <layer>.weight [out, in]
//   bias                                       -> <layer>.bias
//   BatchNormalization gamma/beta/moving_mean/moving_variance
//                                              -> <layer>.weight/.bias/.running_mean/.running_var
// so that i2i's conv<>/depthwise_conv<>/frozen_batch_norm<> specs load them by PyTorch state_dict keys.
// Every tensor of the model is written (the i2i trunk loads the subset it uses).
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

function fail(msg) {
  process.stderr.write(`mobilenet_v2_to_safetensors: ${msg}\n`);
  process.exit(1);
}

/// module.exports of a UMD bundle, evaluated with nothing but a module object in scope.
function evaluate_bundle(file) {
  const code = fs.readFileSync(file, 'utf8');
  const sandbox = {module: {exports: {}}};
  sandbox.exports = sandbox.module.exports;
  vm.runInNewContext(code, sandbox, {filename: file, timeout: 60000});
  return sandbox.module.exports;
}

function permute(src, shape, order) {
  // out[i_order[0], i_order[1], ...] = src[i_0, i_1, ...] (row-major), i.e. numpy's transpose(order).
  const rank = shape.length;
  const out_shape = order.map((a) => shape[a]);
  const in_strides = new Array(rank);
  in_strides[rank - 1] = 1;
  for (let a = rank - 2; a >= 0; --a) in_strides[a] = in_strides[a + 1] * shape[a + 1];
  const out = new Float32Array(src.length);
  const idx = new Array(rank).fill(0);
  for (let o = 0; o < out.length; ++o) {
    let s = 0;
    for (let a = 0; a < rank; ++a) s += idx[a] * in_strides[order[a]];
    out[o] = src[s];
    for (let a = rank - 1; a >= 0; --a) {
      if (++idx[a] < out_shape[a]) break;
      idx[a] = 0;
    }
  }
  return {data: out, shape: out_shape};
}

const bn_names = {gamma: 'weight', beta: 'bias', moving_mean: 'running_mean', moving_variance: 'running_var'};

function to_torch(name, data, shape) {
  const slash = name.lastIndexOf('/');
  if (slash < 0) fail(`weight '${name}' has no '<layer>/<variable>' form`);
  const layer = name.slice(0, slash), variable = name.slice(slash + 1);
  if (variable === 'kernel' && shape.length === 4) return {key: `${layer}.weight`, ...permute(data, shape, [3, 2, 0, 1])};
  if (variable === 'kernel' && shape.length === 2) return {key: `${layer}.weight`, ...permute(data, shape, [1, 0])};
  if (variable === 'depthwise_kernel' && shape.length === 4) {
    // [kh, kw, C, m] -> [C, m, kh, kw] -> [C*m, 1, kh, kw] (output channel c*m + j reads input channel c)
    const t = permute(data, shape, [2, 3, 0, 1]);
    return {key: `${layer}.weight`, data: t.data, shape: [shape[2] * shape[3], 1, shape[0], shape[1]]};
  }
  if (variable === 'bias' && shape.length === 1) return {key: `${layer}.bias`, data, shape};
  if (bn_names[variable] && shape.length === 1) return {key: `${layer}.${bn_names[variable]}`, data, shape};
  fail(`weight '${name}' of shape [${shape}] has no known PyTorch form`);
}

function main() {
  const [dir, out] = process.argv.slice(2);
  if (!dir || !out) fail('usage: mobilenet_v2_to_safetensors.js <dist/models/mobilenet_v2> <out.safetensors>');
  const model = evaluate_bundle(path.join(dir, 'model.min.js'));
  if (!model || !Array.isArray(model.weightsManifest)) fail(`${dir}/model.min.js holds no weightsManifest`);

  const tensors = [];
  for (const group of model.weightsManifest) {
    const shards = group.paths.map((p) => {
      const b64 = evaluate_bundle(path.join(dir, `${p}.min.js`));
      if (typeof b64 !== 'string') fail(`shard ${p}.min.js is not a base64 string`);
      return Buffer.from(b64, 'base64');
    });
    const bytes = Buffer.concat(shards);
    let offset = 0;
    for (const spec of group.weights) {
      const numel = spec.shape.reduce((a, b) => a * b, 1);
      const q = spec.quantization;
      if (spec.dtype !== 'float32') fail(`weight '${spec.name}' has dtype ${spec.dtype}, expected float32`);
      const values = new Float32Array(numel);
      if (q) {
        if (q.dtype !== 'uint8') fail(`weight '${spec.name}' is quantized as ${q.dtype}; only uint8 is handled`);
        if (offset + numel > bytes.length) fail(`weight '${spec.name}' runs past the end of the shards`);
        for (let i = 0; i < numel; ++i) values[i] = bytes[offset + i] * q.scale + q.min;
        offset += numel;
      } else {
        if (offset + 4 * numel > bytes.length) fail(`weight '${spec.name}' runs past the end of the shards`);
        for (let i = 0; i < numel; ++i) values[i] = bytes.readFloatLE(offset + 4 * i);
        offset += 4 * numel;
      }
      tensors.push(to_torch(spec.name, values, spec.shape));
    }
    if (offset !== bytes.length) fail(`the shards hold ${bytes.length} bytes, the manifest describes ${offset}`);
  }

  // safetensors: u64 header length, JSON header {name: {dtype, shape, data_offsets}}, raw little-endian data.
  const header = {__metadata__: {source: 'npm nsfwjs@4.4.0 dist/models/mobilenet_v2 (Keras MobileNetV2 alpha 1.0, ' +
                                         'uint8-quantized; de-quantized to float32)',
                                 layout: 'PyTorch (OIHW; depthwise [C, 1, kh, kw])'}};
  let data_bytes = 0;
  for (const t of tensors) {
    if (header[t.key]) fail(`two weights map to '${t.key}'`);
    header[t.key] = {dtype: 'F32', shape: t.shape, data_offsets: [data_bytes, data_bytes + 4 * t.data.length]};
    data_bytes += 4 * t.data.length;
  }
  let json = JSON.stringify(header);
  while (json.length % 8) json += ' ';
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const body = Buffer.alloc(data_bytes);
  let at = 0;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; ++i, at += 4) body.writeFloatLE(t.data[i], at);
  }
  const tmp = `${out}.part`;
  fs.writeFileSync(tmp, Buffer.concat([head, Buffer.from(json), body]));
  fs.renameSync(tmp, out);
  process.stdout.write(`mobilenet_v2_to_safetensors: ${tensors.length} tensors (${data_bytes} bytes) -> ${out}\n`);
}

main();

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder, depthwiseToOihw, hwioToOihw } from './graph.ts';
import { WeightError } from './weights.ts';

/**
 * TensorFlow.js graph models (model.json: a GraphDef as JSON, weights in .bin shards) as
 * ONNX, for the nets @vladmandic/human ships. The graph stays NHWC as in TensorFlow; each
 * convolution and pooling is wrapped in transposes to ONNX's NCHW (onnxruntime's transpose
 * optimiser folds the pairs away), so reshapes, reductions and broadcasts over channels keep
 * TensorFlow's meaning. Only the ops these nets use are written; any other stops the build.
 */
interface TfNode { name: string; op: string; input?: string[]; attr?: Record<string, TfAttr> }
interface TfAttr { i?: string; f?: number; b?: boolean; s?: string; list?: { i?: string[]; s?: string[]; f?: number[] }; type?: string }
interface ManifestWeight { name: string; shape: number[]; dtype: 'float32' | 'int32'; quantization?: { dtype: 'float16' | 'uint8' | 'uint16'; scale?: number; min?: number } }
interface ModelJson { modelTopology: { node: TfNode[] }; weightsManifest: { paths: string[]; weights: ManifestWeight[] }[] }

export interface TfTensor { shape: number[]; dtype: 'float32' | 'int32'; data: Float32Array | Int32Array }
export interface TfGraph { nodes: Map<string, TfNode>; weights: Map<string, TfTensor> }

/** The sha256 of a model's json and its weight shard, pinned like face-api's weights. */
export interface GraphPin { name: string; json: string; bin: string }

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Reads `<name>.json` and its single weight shard from `dir`, both checked against the pin. */
export function loadTfGraph(dir: string, pin: GraphPin): TfGraph {
  let json: Buffer, bin: Buffer;
  try {
    json = readFileSync(join(dir, `${pin.name}.json`));
    bin = readFileSync(join(dir, `${pin.name}.bin`));
  } catch {
    throw new WeightError('weights_missing', `model ${pin.name} not found in ${dir}`);
  }
  if (sha256(json) !== pin.json) throw new WeightError('weights_hash', `${pin.name}.json does not match its pinned sha256`);
  if (sha256(bin) !== pin.bin) throw new WeightError('weights_hash', `${pin.name}.bin does not match its pinned sha256`);
  const model = JSON.parse(json.toString('utf8')) as ModelJson;
  if (model.weightsManifest.length !== 1 || model.weightsManifest[0]!.paths.length !== 1) throw new WeightError('weights_format', `${pin.name}: one weight shard expected`);
  const weights = new Map<string, TfTensor>();
  let o = 0;
  for (const w of model.weightsManifest[0]!.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const q = w.quantization;
    if (w.dtype === 'int32') {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = bin.readInt32LE(o + 4 * i);
      o += 4 * n;
      weights.set(w.name, { shape: w.shape, dtype: 'int32', data });
      continue;
    }
    const data = new Float32Array(n);
    if (!q) { for (let i = 0; i < n; i++) data[i] = bin.readFloatLE(o + 4 * i); o += 4 * n; }
    else if (q.dtype === 'float16') { for (let i = 0; i < n; i++) data[i] = half(bin.readUInt16LE(o + 2 * i)); o += 2 * n; }
    else if (q.dtype === 'uint8') { for (let i = 0; i < n; i++) data[i] = bin[o + i]! * q.scale! + q.min!; o += n; }
    else throw new WeightError('weights_format', `${w.name}: quantization ${q.dtype}`);
    weights.set(w.name, { shape: w.shape, dtype: 'float32', data });
  }
  if (o !== bin.length) throw new WeightError('weights_format', `${pin.name}.bin: ${bin.length} bytes, manifest describes ${o}`);
  return { nodes: new Map(model.modelTopology.node.map((n) => [n.name, n])), weights };
}

const ints = (a: TfAttr | undefined) => (a?.list?.i ?? []).map(Number);
const str = (a: TfAttr | undefined) => (a?.s ? Buffer.from(a.s, 'base64').toString('utf8') : '');
const strs = (a: TfAttr | undefined) => (a?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
const ref = (input: string) => input.replace(/:0$/, '');

export interface GraphExport { input: string; inputShape: number[]; output: string; outputDims: number[]; name: string; doc: string }

/** The subgraph from `input` to `output` as an ONNX model (input and output renamed `input` and `output`). */
export function tfGraphToOnnx(graph: TfGraph, ex: GraphExport): Uint8Array {
  const g = new GraphBuilder(ex.name);
  const values = new Map<string, string>();
  const intConst = (name: string): number[] => {
    const w = graph.weights.get(ref(name));
    if (!w || w.dtype !== 'int32') throw new Error(`${name}: an int32 constant expected`);
    return Array.from(w.data);
  };
  const weight = (name: string): TfTensor => {
    const w = graph.weights.get(ref(name));
    if (!w) throw new Error(`${name}: a constant expected`);
    return w;
  };
  const nchw = (x: string) => g.op('Transpose', [x], { perm: [0, 3, 1, 2] });
  const nhwc = (x: string) => g.op('Transpose', [x], { perm: [0, 2, 3, 1] });
  const spatial = (n: TfNode) => {
    const pad = str(n.attr?.padding);
    const a: Record<string, number[] | string> = { strides: ints(n.attr?.strides).slice(1, 3) };
    if (pad === 'SAME') a.auto_pad = 'SAME_UPPER';
    else if (pad === 'VALID') a.auto_pad = 'VALID';
    else throw new Error(`${n.name}: padding ${pad}`);
    if (str(n.attr?.data_format) && str(n.attr?.data_format) !== 'NHWC') throw new Error(`${n.name}: data_format ${str(n.attr?.data_format)}`);
    return a;
  };
  const activation = (x: string, n: TfNode, ops: string[], inputs: string[]) => {
    let out = x;
    for (const f of ops.slice(1)) {
      if (f === 'Relu') out = g.op('Relu', [out]);
      else if (f === 'Relu6') out = g.op('Clip', [out, g.constant(`${n.name}/c0`, [], [0]), g.constant(`${n.name}/c6`, [], [6])]);
      else if (f === 'Prelu') out = g.op('PRelu', [out, value(inputs[3]!)]);
      else throw new Error(`${n.name}: fused op ${f}`);
    }
    return out;
  };
  const value = (input: string): string => {
    const name = ref(input);
    const known = values.get(name);
    if (known) return known;
    const n = graph.nodes.get(name);
    if (!n) throw new Error(`node ${name} not in the graph`);
    const v = emit(n);
    values.set(name, v);
    return v;
  };
  const emit = (n: TfNode): string => {
    const inputs = (n.input ?? []).filter((i) => !i.startsWith('^'));
    const x = () => value(inputs[0]!);
    switch (n.op) {
      case 'Placeholder':
        if (n.name !== ex.input) throw new Error(`unexpected input ${n.name}`);
        return 'input';
      case 'Const': {
        const w = weight(n.name);
        if (w.dtype !== 'float32') throw new Error(`${n.name}: int32 constant used as data`);
        return g.constant(`c:${n.name}`, w.shape, w.data as Float32Array);
      }
      case 'Identity': return g.op('Identity', [x()]);
      case 'Conv2D': case '_FusedConv2D': case 'DepthwiseConv2dNative': case 'FusedDepthwiseConv2dNative': {
        const depthwise = n.op.includes('Depthwise');
        const w = weight(inputs[1]!);
        const f = depthwise ? depthwiseToOihw({ shape: w.shape, data: w.data as Float32Array }) : hwioToOihw({ shape: w.shape, data: w.data as Float32Array });
        const fused = n.op.startsWith('_Fused') || n.op.startsWith('Fused') ? strs(n.attr?.fused_ops) : [];
        if (fused.length && fused[0] !== 'BiasAdd') throw new Error(`${n.name}: fused ${fused.join()}`);
        const args = [nchw(x()), g.constant(`w:${n.name}`, f.dims, f.data)];
        if (fused[0] === 'BiasAdd') args.push(g.constant(`b:${n.name}`, [f.dims[0]!], weight(inputs[2]!).data as Float32Array));
        const dil = ints(n.attr?.dilations).slice(1, 3);
        const conv = g.op('Conv', args, { kernel_shape: [f.dims[2]!, f.dims[3]!], ...spatial(n), ...(dil.length ? { dilations: dil } : {}), ...(depthwise ? { group: f.dims[0]! } : {}) });
        return activation(nhwc(conv), n, fused, inputs);
      }
      case 'MaxPool': case 'AvgPool':
        return nhwc(g.op(n.op === 'MaxPool' ? 'MaxPool' : 'AveragePool', [nchw(x())], { kernel_shape: ints(n.attr?.ksize).slice(1, 3), ...spatial(n) }));
      case 'MatMul': case '_FusedMatMul': {
        if (n.attr?.transpose_a?.b) throw new Error(`${n.name}: transpose_a`);
        const w = weight(inputs[1]!);
        let data = w.data as Float32Array, shape = w.shape;
        if (n.attr?.transpose_b?.b) {
          const [r, c] = shape as [number, number];
          const t = new Float32Array(data.length);
          for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = data[i * c + j]!;
          data = t; shape = [c, r];
        }
        let out = g.op('MatMul', [x(), g.constant(`w:${n.name}`, shape, data)]);
        const fused = n.op === '_FusedMatMul' ? strs(n.attr?.fused_ops) : [];
        if (fused[0] === 'BiasAdd') out = g.op('Add', [out, g.constant(`b:${n.name}`, [shape[1]!], weight(inputs[2]!).data as Float32Array)]);
        return activation(out, n, fused, inputs);
      }
      case 'BiasAdd': case 'Add': case 'AddV2': return g.op('Add', [x(), value(inputs[1]!)]);
      case 'Sub': return g.op('Sub', [x(), value(inputs[1]!)]);
      case 'Mul': return g.op('Mul', [x(), value(inputs[1]!)]);
      case 'RealDiv': return g.op('Div', [x(), value(inputs[1]!)]);
      case 'Minimum': return g.op('Min', [x(), value(inputs[1]!)]);
      case 'Maximum': return g.op('Max', [x(), value(inputs[1]!)]);
      case 'Relu': case 'Sigmoid': case 'Abs': case 'Tanh': case 'Exp': return g.op(n.op, [x()]);
      case 'Relu6': return g.op('Clip', [x(), g.constant(`${n.name}/c0`, [], [0]), g.constant(`${n.name}/c6`, [], [6])]);
      case 'Prelu': return g.op('PRelu', [x(), value(inputs[1]!)]);
      case 'Softmax': return g.op('Softmax', [x()], { axis: -1 });
      case 'Square': { const v = x(); return g.op('Mul', [v, v]); }
      case 'Rsqrt': return g.op('Reciprocal', [g.op('Sqrt', [x()])]);
      case 'Mean': return g.op('ReduceMean', [x()], { axes: intConst(inputs[1]!), keepdims: n.attr?.keep_dims?.b ? 1 : 0 });
      case 'Sum': return g.op('ReduceSum', [x(), g.constantInt64(`axes:${n.name}`, intConst(inputs[1]!))], { keepdims: n.attr?.keep_dims?.b ? 1 : 0 });
      case 'Squeeze': return g.op('Squeeze', [x(), g.constantInt64(`axes:${n.name}`, ints(n.attr?.squeeze_dims))]);
      case 'Reshape': return g.op('Reshape', [x(), g.constantInt64(`shape:${n.name}`, intConst(inputs[1]!))]);
      case 'Pad': {
        const p = intConst(inputs[1]!);
        const rank = p.length / 2;
        return g.op('Pad', [x(), g.constantInt64(`pads:${n.name}`, [...Array.from({ length: rank }, (_, i) => p[2 * i]!), ...Array.from({ length: rank }, (_, i) => p[2 * i + 1]!)])]);
      }
      case 'ConcatV2': {
        const axis = intConst(inputs[inputs.length - 1]!)[0]!;
        return g.op('Concat', inputs.slice(0, -1).map(value), { axis });
      }
      default:
        throw new Error(`${n.name}: op ${n.op} is not converted`);
    }
  };
  g.op('Identity', [value(ex.output)], {}, 'output');
  return g.encode({ name: 'input', dims: ex.inputShape }, { name: 'output', dims: ex.outputDims }, ex.doc);
}

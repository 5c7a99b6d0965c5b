import onnxProto from 'onnx-proto';
import type { Weight } from './weights.ts';

const { onnx } = onnxProto;
type Attr = number | number[] | string;

/**
 * A small ONNX graph writer: float initializers, nodes with int/float/string attributes,
 * one float input and output. Enough for the feed-forward nets converted here (opset 13,
 * the ops onnxruntime's CPU provider runs natively).
 */
export class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly inits: InstanceType<typeof onnx.TensorProto>[] = [];
  private n = 0;

  constructor(private readonly name: string) {}

  /** A fresh value name. */
  private id(prefix: string): string { return `${prefix}_${this.n++}`; }

  constant(name: string, dims: number[], data: Float32Array | number[]): string {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    if (values.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`${name}: ${values.length} values for dims ${dims.join('x')}`);
    this.inits.push(onnx.TensorProto.create({
      name, dims, dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
    }));
    return name;
  }

  constantInt64(name: string, data: number[]): string {
    const raw = new BigInt64Array(data.map(BigInt));
    this.inits.push(onnx.TensorProto.create({ name, dims: [data.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(raw.buffer) }));
    return name;
  }

  op(type: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string {
    const out = output ?? this.id(type.toLowerCase());
    const attribute = Object.entries(attrs).map(([name, v]) => {
      if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) });
      if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
      if (Number.isInteger(v) && name !== 'alpha') return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
      return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v });
    });
    this.nodes.push(onnx.NodeProto.create({ opType: type, input: inputs, output: [out], name: out, attribute }));
    return out;
  }

  /** Serialises the model: input `[1, 3, H, W]` float, output of the given dims. */
  encode(input: { name: string; dims: number[] }, output: { name: string; dims: number[] }, docString: string): Uint8Array {
    const valueInfo = (v: { name: string; dims: number[] }) => onnx.ValueInfoProto.create({
      name: v.name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: v.dims.map((d) => ({ dimValue: d })) } } },
    });
    const model = onnx.ModelProto.create({
      irVersion: 7, producerName: 'scenic-ticketing face build', docString,
      opsetImport: [{ domain: '', version: 13 }],
      graph: { name: this.name, node: this.nodes, initializer: this.inits, input: [valueInfo(input)], output: [valueInfo(output)] },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** TF conv filters [kh, kw, in, out] as ONNX [out, in, kh, kw]. */
export function hwioToOihw(w: Weight): { dims: number[]; data: Float32Array } {
  const [kh, kw, cin, cout] = w.shape as [number, number, number, number];
  const out = new Float32Array(w.data.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
    out[((o * cin + i) * kh + y) * kw + x] = w.data[((y * kw + x) * cin + i) * cout + o]!;
  }
  return { dims: [cout, cin, kh, kw], data: out };
}

/** TF depthwise filters [kh, kw, c, 1] as ONNX grouped-conv weights [c, 1, kh, kw]. */
export function depthwiseToOihw(w: Weight): { dims: number[]; data: Float32Array } {
  const [kh, kw, c, m] = w.shape as [number, number, number, number];
  if (m !== 1) throw new Error(`depthwise multiplier ${m} is not supported`);
  const out = new Float32Array(w.data.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < c; i++) out[(i * kh + y) * kw + x] = w.data[(y * kw + x) * c + i]!;
  return { dims: [c, 1, kh, kw], data: out };
}

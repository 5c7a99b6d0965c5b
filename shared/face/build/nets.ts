import { depthwiseToOihw, GraphBuilder, hwioToOihw } from './graph.ts';
import type { Weight, WeightMap } from './weights.ts';

/**
 * The three face-api nets written as ONNX graphs, layer for layer as face-api runs them
 * (src/faceRecognitionNet, src/tinyYolov2 with the tiny face detector's config, and
 * src/faceFeatureExtractor + faceProcessor for the 68-point landmarks). Every graph takes
 * `[1, 3, H, W]` float RGB in 0..255 (NCHW, where tfjs is NHWC) and normalises it itself.
 * TF 'same' padding puts the odd pixel at the end; the pads below say so explicitly.
 */

function get(w: WeightMap, name: string): Weight {
  const v = w.get(name);
  if (!v) throw new Error(`weight ${name} missing`);
  return v;
}

/** Explicit [top, left, bottom, right] pads of TF 'same' for a square input. */
function samePads(n: number, k: number, s: number): number[] {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  const before = Math.floor(total / 2);
  return [before, before, total - before, total - before];
}

function normalise(g: GraphBuilder, mean: readonly number[]): string {
  const x = g.op('Sub', ['input', g.constant('mean_rgb', [1, 3, 1, 1], [...mean])]);
  return g.op('Div', [x, g.constant('c255', [], [255])]);
}

export const RECOGNITION_INPUT = 150;
export const DETECTOR_INPUT = 416;
export const LANDMARKS_INPUT = 112;

/** dlib's ResNet face descriptor (29 conv layers, 128-d); the scale layers folded into the convs. */
export function recognitionNet(w: WeightMap): Uint8Array {
  const g = new GraphBuilder('dlib_face_recognition_resnet');
  let size = RECOGNITION_INPUT;
  let channels = 3;

  const conv = (x: string, prefix: string, stride: number, relu: boolean, pad: 'same' | 'valid'): string => {
    const f = hwioToOihw(get(w, `${prefix}/conv/filters`));
    const bias = get(w, `${prefix}/conv/bias`).data;
    const s = get(w, `${prefix}/scale/weights`).data;
    const sb = get(w, `${prefix}/scale/biases`).data;
    const [cout, cin, kh, kw] = f.dims as [number, number, number, number];
    const per = cin * kh * kw;
    const filt = new Float32Array(f.data.length);
    const b = new Float32Array(cout);
    for (let o = 0; o < cout; o++) {
      for (let i = 0; i < per; i++) filt[o * per + i] = f.data[o * per + i]! * s[o]!;
      b[o] = bias[o]! * s[o]! + sb[o]!;
    }
    const pads = pad === 'same' ? samePads(size, kh, stride) : [0, 0, 0, 0];
    const out = g.op('Conv', [x, g.constant(`${prefix}/W`, f.dims, filt), g.constant(`${prefix}/B`, [cout], b)], { kernel_shape: [kh, kw], strides: [stride, stride], pads });
    return relu ? g.op('Relu', [out]) : out;
  };

  const residual = (x: string, prefix: string): string => {
    let out = conv(x, `${prefix}/conv1`, 1, true, 'same');
    out = conv(out, `${prefix}/conv2`, 1, false, 'same');
    return g.op('Relu', [g.op('Add', [out, x])]);
  };

  const residualDown = (x: string, prefix: string): string => {
    const cout = get(w, `${prefix}/conv1/conv/filters`).shape[3]!;
    let out = conv(x, `${prefix}/conv1`, 2, true, 'valid');
    const convSize = Math.floor((size - 3) / 2) + 1;
    const poolSize = Math.floor((size - 2) / 2) + 1;
    size = convSize;
    out = conv(out, `${prefix}/conv2`, 1, false, 'same');
    // face-api appends a zero row and column when the strided conv came out one smaller than the pool.
    if (poolSize !== convSize) {
      const d = poolSize - convSize;
      out = g.op('Pad', [out, g.constantInt64(`${prefix}/pad_hw`, [0, 0, 0, 0, 0, 0, d, d])]);
    }
    let pooled = g.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
    // ... and zero channels to the shortcut when the block widens.
    if (channels !== cout) pooled = g.op('Pad', [pooled, g.constantInt64(`${prefix}/pad_c`, [0, 0, 0, 0, 0, cout - channels, 0, 0])]);
    size = poolSize;
    channels = cout;
    return g.op('Relu', [g.op('Add', [pooled, out])]);
  };

  let x = normalise(g, [122.782, 117.001, 104.298]);
  x = conv(x, 'conv32_down', 2, true, 'valid');
  size = Math.floor((size - 7) / 2) + 1;
  channels = 32;
  x = g.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2] });
  size = Math.floor((size - 3) / 2) + 1;
  for (const p of ['conv32_1', 'conv32_2', 'conv32_3']) x = residual(x, p);
  x = residualDown(x, 'conv64_down');
  for (const p of ['conv64_1', 'conv64_2', 'conv64_3']) x = residual(x, p);
  x = residualDown(x, 'conv128_down');
  for (const p of ['conv128_1', 'conv128_2']) x = residual(x, p);
  x = residualDown(x, 'conv256_down');
  for (const p of ['conv256_1', 'conv256_2']) x = residual(x, p);
  x = residualDown(x, 'conv256_down_out');
  x = g.op('ReduceMean', [x], { axes: [2, 3], keepdims: 0 });
  const fc = get(w, 'fc');
  g.op('MatMul', [x, g.constant('fc', fc.shape, fc.data)], {}, 'descriptor');
  return g.encode({ name: 'input', dims: [1, 3, RECOGNITION_INPUT, RECOGNITION_INPUT] }, { name: 'descriptor', dims: [1, 128] },
    'dlib ResNet face descriptor, converted from @vladmandic/face-api face_recognition_model');
}

/** Tiny face detector (Tiny YOLOv2 with depthwise-separable convs): `[1, 25, 13, 13]` = 5 anchors x (x, y, w, h, score). */
export function detectorNet(w: WeightMap): Uint8Array {
  const g = new GraphBuilder('tiny_face_detector');
  let size = DETECTOR_INPUT;
  const leaky = (x: string) => g.op('LeakyRelu', [x], { alpha: 0.10000000149011612 });
  const pool = (x: string, stride: number) => {
    const pads = samePads(size, 2, stride);
    size = Math.ceil(size / stride);
    return g.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [stride, stride], pads });
  };
  const separable = (x: string, prefix: string) => {
    const dw = depthwiseToOihw(get(w, `${prefix}/depthwise_filter`));
    const pw = hwioToOihw(get(w, `${prefix}/pointwise_filter`));
    const d = g.op('Conv', [x, g.constant(`${prefix}/dw`, dw.dims, dw.data)], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], group: dw.dims[0]! });
    const p = g.op('Conv', [d, g.constant(`${prefix}/pw`, pw.dims, pw.data), g.constant(`${prefix}/b`, [pw.dims[0]!], get(w, `${prefix}/bias`).data)], { kernel_shape: [1, 1] });
    return leaky(p);
  };
  const plain = (x: string, prefix: string) => {
    const f = hwioToOihw(get(w, `${prefix}/filters`));
    return g.op('Conv', [x, g.constant(`${prefix}/W`, f.dims, f.data), g.constant(`${prefix}/B`, [f.dims[0]!], get(w, `${prefix}/bias`).data)], { kernel_shape: [f.dims[2]!, f.dims[3]!] });
  };

  let x = normalise(g, [117.001, 114.697, 97.404]);
  x = leaky(plain(x, 'conv0'));
  size -= 2;
  for (const p of ['conv1', 'conv2', 'conv3', 'conv4', 'conv5']) {
    x = pool(x, 2);
    x = separable(x, p);
  }
  x = pool(x, 1);
  const f = hwioToOihw(get(w, 'conv8/filters'));
  g.op('Conv', [x, g.constant('conv8/W', f.dims, f.data), g.constant('conv8/B', [f.dims[0]!], get(w, 'conv8/bias').data)], { kernel_shape: [1, 1] }, 'grid');
  return g.encode({ name: 'input', dims: [1, 3, DETECTOR_INPUT, DETECTOR_INPUT] }, { name: 'grid', dims: [1, 25, size, size] },
    'tiny face detector, converted from @vladmandic/face-api tiny_face_detector_model');
}

/** 68-point landmarks: four dense blocks of separable convs, then a fully connected layer; `[1, 136]` relative x,y pairs. */
export function landmarksNet(w: WeightMap): Uint8Array {
  const g = new GraphBuilder('face_landmark_68');
  let size = LANDMARKS_INPUT;
  const separable = (x: string, prefix: string, stride: number) => {
    const dw = depthwiseToOihw(get(w, `${prefix}/depthwise_filter`));
    const pw = hwioToOihw(get(w, `${prefix}/pointwise_filter`));
    const d = g.op('Conv', [x, g.constant(`${prefix}/dw`, dw.dims, dw.data)], { kernel_shape: [3, 3], strides: [stride, stride], pads: samePads(size, 3, stride), group: dw.dims[0]! });
    return g.op('Conv', [d, g.constant(`${prefix}/pw`, pw.dims, pw.data), g.constant(`${prefix}/b`, [pw.dims[0]!], get(w, `${prefix}/bias`).data)], { kernel_shape: [1, 1] });
  };
  const add = (a: string, b: string) => g.op('Add', [a, b]);
  const relu = (a: string) => g.op('Relu', [a]);
  const dense = (x: string, prefix: string, first: boolean) => {
    let c0: string;
    if (first) {
      const f = hwioToOihw(get(w, `${prefix}/conv0/filters`));
      c0 = g.op('Conv', [x, g.constant(`${prefix}/conv0/W`, f.dims, f.data), g.constant(`${prefix}/conv0/B`, [f.dims[0]!], get(w, `${prefix}/conv0/bias`).data)],
        { kernel_shape: [3, 3], strides: [2, 2], pads: samePads(size, 3, 2) });
    } else {
      c0 = separable(x, `${prefix}/conv0`, 2);
    }
    size = Math.ceil(size / 2);
    const out1 = relu(c0);
    const out2 = separable(out1, `${prefix}/conv1`, 1);
    const out3 = separable(relu(add(out1, out2)), `${prefix}/conv2`, 1);
    const out4 = separable(relu(add(out1, add(out2, out3))), `${prefix}/conv3`, 1);
    return relu(add(out1, add(out2, add(out3, out4))));
  };
  let x = normalise(g, [122.782, 117.001, 104.298]);
  x = dense(x, 'dense0', true);
  x = dense(x, 'dense1', false);
  x = dense(x, 'dense2', false);
  x = dense(x, 'dense3', false);
  x = g.op('AveragePool', [x], { kernel_shape: [7, 7], strides: [2, 2] });
  x = g.op('Flatten', [x], { axis: 1 });
  const fw = get(w, 'fc/weights');
  x = g.op('MatMul', [x, g.constant('fc/W', fw.shape, fw.data)]);
  g.op('Add', [x, g.constant('fc/B', [136], get(w, 'fc/bias').data)], {}, 'landmarks');
  return g.encode({ name: 'input', dims: [1, 3, LANDMARKS_INPUT, LANDMARKS_INPUT] }, { name: 'landmarks', dims: [1, 136] },
    '68-point face landmarks, converted from @vladmandic/face-api face_landmark_68_model');
}

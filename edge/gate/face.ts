/**
 * The hook for the face check that follows a real-name credential (人证合一). The gate
 * asks; a verifier with a camera and a model answers (its own issue). Without one, tickets
 * that need a face are refused with `face_unavailable`, never admitted unchecked.
 */
export type FaceResult = 'match' | 'mismatch' | 'no_face' | 'several_faces' | 'unavailable';

export interface FaceVerifier {
  verify(request: { ticketId: string; credential: string }): Promise<FaceResult>;
}

export const FACE_REFUSAL = {
  mismatch: 'face_mismatch',
  no_face: 'no_face',
  several_faces: 'several_faces',
  unavailable: 'face_unavailable',
} as const;

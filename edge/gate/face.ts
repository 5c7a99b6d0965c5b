/**
 * The hook for the face check that follows a real-name credential (人证合一), and for entry
 * by face alone (1:N among the faces this gate holds). The gate asks; a verifier with a camera
 * and a model answers (edge/face/verifier.ts). Without one, tickets that need a face are
 * refused with `face_unavailable`, never admitted unchecked.
 */
export type FaceResult = 'match' | 'mismatch' | 'no_face' | 'several_faces' | 'not_live' | 'unavailable';

export type FaceIdentity = { result: 'match'; ticketId: string; distance: number } | { result: Exclude<FaceResult, 'match'> };

/** What the gate does for the verifier while it looks: ask the visitor to face the camera, or to turn the head. */
export interface FaceHooks {
  prompt(p: { id: 'face_adjust' | 'face_turn'; message: string; messageEn: string }): void;
}

/** What a verifier reads from the gate's store: faces bound to tickets, sealed at rest. */
export interface FaceSource {
  face(ticketId: string, nowS: number): { model: string; embedding: Float32Array } | undefined;
  faces(nowS: number): Iterable<{ ticketId: string; model: string; embedding: Float32Array }>;
  purgeExpiredFaces(nowS: number): string[];
  onFaces: ((changes: { ticketId: string; model: string; embedding: Float32Array | null; validUntil: number }[], reset?: boolean) => void) | undefined;
}

export interface FaceVerifier {
  /** 1:1: is the person in front of the camera the one bound to this ticket? */
  verify(request: { ticketId: string; credential: string; liveness?: boolean }): Promise<FaceResult>;
  /** 1:N: whose ticket is the person in front of the camera? */
  identify?(): Promise<FaceIdentity>;
  /** After `identify`: does the face in front of the camera move like a live one (not a photo held up)? */
  live?(): Promise<boolean>;
  /** Called when the gate starts, with its store; `stop` when it stops. */
  start?(source: FaceSource, hooks?: FaceHooks): Promise<void>;
  stop?(): Promise<void>;
}

export const FACE_REFUSAL = {
  mismatch: 'face_mismatch',
  no_face: 'no_face',
  several_faces: 'several_faces',
  not_live: 'face_not_live',
  unavailable: 'face_unavailable',
} as const;

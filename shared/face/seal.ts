import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Embeddings are personal data: on a device they are kept encrypted (AES-256-GCM) under a
 * device key that never leaves it. Each record is bound to its ticket and model as associated
 * data, so a record copied onto another row does not decrypt.
 * Layout: 12-byte IV | 16-byte tag | ciphertext (float32 little-endian).
 */
export class FaceSealError extends Error {
  readonly code = 'face_seal';
}

export function loadOrCreateKey(path: string): Buffer {
  if (existsSync(path)) {
    const key = readFileSync(path);
    if (key.length !== 32) throw new FaceSealError(`${path}: a face key is 32 bytes, found ${key.length}`);
    return key;
  }
  mkdirSync(dirname(path), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(path, key, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return key;
}

const aad = (ticketId: string, model: string) => Buffer.from(`${ticketId}\n${model}`, 'utf8');

export function seal(key: Buffer, ticketId: string, model: string, embedding: Float32Array): Buffer {
  return sealBytes(key, ticketId, model, Buffer.from(embedding.buffer, embedding.byteOffset, embedding.byteLength));
}

export function unseal(key: Buffer, ticketId: string, model: string, sealed: Buffer): Float32Array {
  if (sealed.length < 28 || (sealed.length - 28) % 4 !== 0) throw new FaceSealError('sealed embedding has a bad length');
  const plain = unsealBytes(key, ticketId, model, sealed);
  return new Float32Array(plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.byteLength));
}

/** The same sealing for other biometric templates (a fingerprint module's character file). */
export function sealBytes(key: Buffer, ticketId: string, model: string, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad(ticketId, model));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
}

export function unsealBytes(key: Buffer, ticketId: string, model: string, sealed: Buffer): Buffer {
  if (sealed.length < 28) throw new FaceSealError('sealed record has a bad length');
  try {
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
    d.setAAD(aad(ticketId, model));
    d.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([d.update(sealed.subarray(28)), d.final()]);
  } catch {
    throw new FaceSealError('sealed record does not decrypt (wrong key, or altered)');
  }
}

/** Embeddings travel as base64 of float32 little-endian. */
export function encodeEmbedding(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

export function decodeEmbedding(b64: string): Float32Array {
  // Node's decoder skips what is not base64; a corrupt string must not become a vector.
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new FaceSealError('embedding is not base64');
  const b = Buffer.from(b64, 'base64');
  if (b.length === 0 || b.length % 4 !== 0) throw new FaceSealError('embedding is not a float32 array');
  const v = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  if (!v.every(Number.isFinite)) throw new FaceSealError('embedding holds a non-finite value');
  return v;
}

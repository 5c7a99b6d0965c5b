import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** An issuer signs ticket codes; gates hold the public halves, keyed by key id. */
export interface IssuerKey {
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export type Keyring = ReadonlyMap<string, KeyObject>;

/** Key id: first 4 bytes of SHA-256 over the raw 32-byte public key, as 8 hex digits. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest().subarray(0, 4).toString('hex');
}

export function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('not an Ed25519 public key');
  return Buffer.from(jwk.x, 'base64url');
}

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error(`an Ed25519 public key has 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** Deterministic key from a 32-byte seed: used for test vectors and key import. */
export function issuerKeyFromSeed(seed: Uint8Array): IssuerKey {
  if (seed.length !== 32) throw new Error(`an Ed25519 seed has 32 bytes, got ${seed.length}`);
  // PKCS#8 wrapper for an Ed25519 seed (RFC 8410): fixed 16-byte prefix, then the seed.
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  return { keyId: keyIdOf(publicKey), privateKey, publicKey };
}

export function generateIssuerKey(): IssuerKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { keyId: keyIdOf(publicKey), privateKey, publicKey };
}

export function issuerKeyToPem(key: IssuerKey): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function issuerKeyFromPem(pem: string): IssuerKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return { keyId: keyIdOf(publicKey), privateKey, publicKey };
}

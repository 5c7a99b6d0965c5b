import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIssuerKey, issuerKeyFromPem, issuerKeyToPem, rawPublicKey, type IssuerKey } from '../../../shared/code/keys.ts';

/**
 * The hub's own signing key, made on first boot and kept beside hub.sqlite (mode 0600). Its
 * private half never leaves the hub; HQ is given the public half and delegates it for the
 * site (edge/hub/window/uplink.ts), and the site's gates then trust codes it signs.
 */
export function loadHubKey(dataDir: string): IssuerKey {
  const dir = join(dataDir, 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'issuer-hub.pem');
  if (existsSync(path)) return issuerKeyFromPem(readFileSync(path, 'utf8'));
  const key = generateIssuerKey();
  writeFileSync(path, issuerKeyToPem(key), { mode: 0o600, flag: 'wx' });
  return key;
}

export const publicKeyHex = (key: IssuerKey) => rawPublicKey(key.publicKey).toString('hex');

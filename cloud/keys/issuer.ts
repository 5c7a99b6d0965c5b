import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIssuerKey, issuerKeyFromPem, issuerKeyToPem, rawPublicKey, type IssuerKey } from '../../shared/code/keys.ts';
import type { Db } from '../db/open.ts';
import { issuerKeys } from '../db/schema/index.ts';
import { appendChanges } from '../sync/changes.ts';

const FILE = 'issuer-hq.pem';

/**
 * HQ's signing key: made on first boot, kept in the data directory (mode 0600), its public
 * half registered in the database and published to every site through the change log.
 */
export async function loadIssuerKey(db: Db, dir: string): Promise<IssuerKey> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, FILE);
  let key: IssuerKey;
  if (existsSync(path)) {
    key = issuerKeyFromPem(readFileSync(path, 'utf8'));
  } else {
    key = generateIssuerKey();
    writeFileSync(path, issuerKeyToPem(key), { mode: 0o600, flag: 'wx' });
  }
  const publicKey = rawPublicKey(key.publicKey).toString('hex');
  await db.transaction(async (tx) => {
    const inserted = await tx.insert(issuerKeys).values({ keyId: key.keyId, publicKey })
      .onConflictDoNothing().returning();
    if (inserted.length) await appendChanges(tx, '*', [{ kind: 'key', keyId: key.keyId, publicKey }]);
  });
  return key;
}

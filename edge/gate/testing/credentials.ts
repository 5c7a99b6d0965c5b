import { keyedCredential, storedCredential } from '../../../shared/rules/credential.ts';
import type { ChangeBatch } from '../../../shared/sync/messages.ts';

/** The credential key test batches carry, as HQ's pulls carry the site's. */
export const TEST_CREDENTIAL_KEY = Buffer.alloc(32, 9);

/**
 * A batch as HQ would serve it: card UIDs and ID numbers in `credential` changes are turned
 * from what a test writes (the raw number) into the keyed hashes gates hold, and the key rides
 * along. Barcodes stay as they are.
 */
export function asServed<B extends Omit<ChangeBatch, 'changes'> & { changes: ChangeBatch['changes'] }>(batch: B): B {
  return {
    ...batch, credentialKey: TEST_CREDENTIAL_KEY.toString('hex'),
    changes: batch.changes.map((c) => (c.kind === 'credential' || c.kind === 'unbind'
      ? { ...c, value: keyedCredential(TEST_CREDENTIAL_KEY, c.credential, storedCredential(c.credential, c.value)) } : c)),
  };
}

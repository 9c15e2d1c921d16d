import type { Db } from '../db/knex';
import { getMeta, setMetaIfAbsent } from '../db/repositories/meta';
import type { SecretBox } from './secret-box';

const CANARY = 'hookflow-encryption-key-check';

/**
 * Fails start-up with a clear message when HOOKFLOW_ENCRYPTION_KEY is not the key the stored
 * secrets were encrypted with, instead of failing every delivery later.
 */
export async function checkEncryptionKey(db: Db, box: SecretBox): Promise<void> {
  const stored = await getMeta(db, 'encryption_check');
  if (stored === undefined) {
    await setMetaIfAbsent(db, 'encryption_check', box.encrypt(CANARY));
    return;
  }
  let plain: string | null = null;
  try {
    plain = box.decrypt(stored);
  } catch {
    /* reported below */
  }
  if (plain !== CANARY) {
    throw new Error(
      'HOOKFLOW_ENCRYPTION_KEY does not match the key this database was set up with; webhook secrets cannot be decrypted. Use the original key (dev mode keeps it in <data dir>/encryption.key).',
    );
  }
}

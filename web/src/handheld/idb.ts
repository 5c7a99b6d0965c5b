/**
 * The handheld's durable storage: one IndexedDB database with a key-value store (the cache
 * snapshot, checkpoint, epoch, sequence), the outbox (entries not yet acked by HQ, by
 * sequence), the entries this handheld recorded (a ticket's history) and the manual log.
 */
const DB = 'tk-handheld';
export const STORES = ['kv', 'outbox', 'entries', 'manual'] as const;
export type StoreName = (typeof STORES)[number];

export function openDb(name = DB): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore('kv');
      db.createObjectStore('outbox', { keyPath: 'seq' });
      db.createObjectStore('entries', { keyPath: 'nonce' }).createIndex('ticketId', 'ticketId');
      db.createObjectStore('manual', { keyPath: 'at' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

const done = (tx: IDBTransaction) => new Promise<void>((resolve, reject) => {
  tx.oncomplete = () => resolve();
  tx.onerror = () => reject(tx.error);
  tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
});

const result = <T>(req: IDBRequest<T>) => new Promise<T>((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});

/** Writes in one transaction: all of it lands, or none. */
export async function write(db: IDBDatabase, stores: StoreName[], fn: (s: Record<StoreName, IDBObjectStore>) => void): Promise<void> {
  const tx = db.transaction(stores, 'readwrite');
  fn(Object.fromEntries(stores.map((n) => [n, tx.objectStore(n)])) as Record<StoreName, IDBObjectStore>);
  await done(tx);
}

export function get<T>(db: IDBDatabase, store: StoreName, key: IDBValidKey): Promise<T | undefined> {
  return result(db.transaction(store).objectStore(store).get(key)) as Promise<T | undefined>;
}

export function all<T>(db: IDBDatabase, store: StoreName, count?: number): Promise<T[]> {
  return result(db.transaction(store).objectStore(store).getAll(undefined, count)) as Promise<T[]>;
}

export function byIndex<T>(db: IDBDatabase, store: StoreName, index: string, key: IDBValidKey): Promise<T[]> {
  return result(db.transaction(store).objectStore(store).index(index).getAll(key)) as Promise<T[]>;
}

import { constants, fdatasyncSync, fsyncSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

/**
 * PGlite whose commits survive a power cut, as the Postgres server's do.
 *
 * As shipped, PGlite on a directory never reaches the disk: it starts Postgres with `-F`
 * (fsync=off), and under it the WASM build's `fdatasync` is an empty stub and its file system
 * (Emscripten's NODEFS) has no `fsync`. A commit was written to the WAL file (the page cache)
 * and answered; a power cut within the kernel's writeback delay (~30 s) lost it, and one during
 * a checkpoint could leave the data files behind a control file that says they are complete.
 *
 * Here Postgres runs with fsync on and `wal_sync_method=fsync` (the one method that reaches
 * NODEFS), and NODEFS's files gain the `fsync` Postgres calls: `fdatasync(2)` for a file (a
 * commit's WAL, a checkpoint's data files), `fsync(2)` for a directory (a new file's name).
 * Postgres's own ordering then holds: a commit is answered after its WAL is on disk, and the
 * control file is written after the data files a checkpoint wrote.
 *
 * The price: each commit that wrote WAL waits for the disk (~1.4 ms on this machine's virtual
 * disk), and PGlite, which runs in HQ's thread, holds the event loop meanwhile: there is no
 * group commit in single-user Postgres. Measured in bench:peak (`pglite_*`).
 */
export async function openDurablePglite(dataDir: string): Promise<PGlite> {
  const pg = new PGlite({ fs: new DurableNodeFS(dataDir), startParams: DURABLE_START_PARAMS });
  await pg.waitReady;
  return pg;
}

/** PGlite's own start parameters without `-F` (fsync off), and the WAL synced by fsync(). */
export const DURABLE_START_PARAMS: string[] = [
  ...(PGlite as unknown as { defaultStartParams: string[] }).defaultStartParams.filter((p) => p !== '-F'),
  '-c', 'fsync=on', '-c', 'wal_sync_method=fsync',
];

interface NodefsStream { nfd: number; node: { mode: number } }
interface EmscriptenMod {
  NODEFS: {
    stream_ops: { fsync?: (stream: NodefsStream) => number };
    /** Runs a Node file call, a Node error thrown as the errno Postgres is given (EIO: it PANICs, as a failed fsync must). */
    tryFSOperation<T>(f: () => T): T;
  };
}

/** The data directory mounted as PGlite mounts it, with NODEFS's files given an fsync before Postgres starts. */
class DurableNodeFS extends NodeFS {
  override async init(pg: PGlite, opts: Parameters<NodeFS['init']>[1]) {
    const out = await super.init(pg, opts);
    const preRun = (out.emscriptenOpts.preRun ?? []) as ((mod: EmscriptenMod) => void)[];
    preRun.push((mod) => {
      mod.NODEFS.stream_ops.fsync = (stream) => mod.NODEFS.tryFSOperation(() => syncStream(stream));
    });
    out.emscriptenOpts.preRun = preRun as typeof out.emscriptenOpts.preRun;
    return out;
  }
}

/** What this process has synced for PGlite so far (its tests read it). */
export const pgliteSyncs = { files: 0, dirs: 0 };

/** fdatasync for a file, fsync for a directory. */
function syncStream(stream: NodefsStream): number {
  if ((stream.node.mode & constants.S_IFMT) === constants.S_IFDIR) {
    fsyncSync(stream.nfd);
    pgliteSyncs.dirs++;
  } else {
    fdatasyncSync(stream.nfd);
    pgliteSyncs.files++;
  }
  return 0;
}

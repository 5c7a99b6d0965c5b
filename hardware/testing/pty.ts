import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A pseudo-terminal pair joined by socat, for testing serial drivers against device
 * simulators: the driver opens `a`, the simulator opens `b` (both with serialport), and bytes
 * written on one end are read on the other, as over a null-modem cable.
 *
 * ```ts
 * const pty = await openPtyPair();
 * const line = new SerialLine({ path: pty.a, baudRate: 9600 });
 * // ... the simulator opens pty.b ...
 * await pty.close(); // kills socat: both ends see the device disappear
 * ```
 *
 * `kill()` unplugs the device while keeping the link names, and `reopen()` plugs it back in
 * under the same names: that is how reconnect logic is tested. `close()` also removes the
 * temporary directory; call it in a `finally` or an `after` hook.
 */
export interface PtyPair {
  /** Symlink to one end (e.g. /tmp/pty-XXXX/a). */
  readonly a: string;
  /** Symlink to the other end. */
  readonly b: string;
  /** Kills socat; the links disappear, open ports on them get EIO and close. */
  kill(): Promise<void>;
  /** Starts socat again on the same link names (after kill()). */
  reopen(): Promise<void>;
  /** kill() and remove the temporary directory. */
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 5000;

export async function openPtyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  let child: ChildProcess | undefined;
  try {
    child = await startSocat(a, b);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const kill = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };

  return {
    a,
    b,
    kill,
    async reopen() {
      await kill();
      child = await startSocat(a, b);
    },
    async close() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Spawns socat and waits until it has made both links and entered its transfer loop. */
function startSocat(a: string, b: string): Promise<ChildProcess> {
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stderr = '';
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`socat did not start within ${READY_TIMEOUT_MS} ms: ${stderr}`)), READY_TIMEOUT_MS);
    child.once('error', (err) => fail(new Error(`cannot run socat (is it installed?): ${err.message}`)));
    child.once('exit', (code) => fail(new Error(`socat exited (${code}): ${stderr}`)));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/starting data transfer loop/.test(stderr) && existsSync(a) && existsSync(b)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.removeAllListeners('error');
        child.stderr!.removeAllListeners('data');
        child.stderr!.resume(); // keep draining, socat must never block on a full pipe
        resolve(child);
      }
    });
  });
}

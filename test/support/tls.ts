import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = new URL('../../provisioning/tls/tls.sh', import.meta.url).pathname;

export interface TestPki {
  dir: string;
  ca: string;
  /** Certificate and key of `name`, made on first ask, valid for 127.0.0.1 and localhost. */
  server(name: string): { cert: string; key: string };
  cleanup(): void;
}

/** A site CA and server certificates, made by the provisioning script with the real openssl. */
export function makeTestPki(label = 'site'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), `tk-pki-${label}-`));
  execFileSync('bash', [script, 'ca', dir, `test ${label} CA`], { stdio: 'pipe' });
  const made = new Map<string, { cert: string; key: string }>();
  return {
    dir, ca: join(dir, 'ca.crt'),
    server(name) {
      let m = made.get(name);
      if (!m) {
        execFileSync('bash', [script, 'server', dir, name, '127.0.0.1', 'localhost'], { stdio: 'pipe' });
        m = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
        made.set(name, m);
      }
      return m;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseGateConfig } from '../edge/gate/config.ts';
import { parseKioskConfig } from '../edge/kiosk/config.ts';

// provisioning/install.sh into a temporary root (--destdir), then what a container allows to
// check for real: systemd-analyze verify on the units, systemd-sysusers and systemd-tmpfiles
// applied to that root (users, groups, folders and owners), and logrotate rotating a log.
const script = new URL('./install.sh', import.meta.url).pathname;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const isRoot = process.getuid?.() === 0;
const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

function install(root: string, role: 'gate' | 'kiosk', device: string, extra: string[] = []) {
  return run('bash', [script, role, device, 'demo', '--destdir', root, '--app-dir', '/srv/scenic',
    '--cloud-url', 'https://hq.example.com:8780', '--mqtt-url', 'mqtts://hq.example.com:8883', '--token', `token-of-${device}`, ...extra]);
}

for (const role of ['gate', 'kiosk'] as const) {
  test(`${role}: user, folders, config, TLS folder, unit and rotation are written where they belong`, () => {
    const root = mkdtempSync(join(tmpdir(), `tk-install-${role}-`));
    try {
      const r = install(root, role, `${role}-7`, role === 'gate' ? ['--lane', 'lane-2'] : []);
      assert.is(r.status, 0, r.stderr);
      const at = (p: string) => join(root, p);
      const config = at(`etc/scenic-ticketing/${role}.json`);
      assert.is(mode(config), '640', 'the config holds the token: not world readable');
      const raw = JSON.parse(readFileSync(config, 'utf8'));
      // The agent itself accepts what was written.
      const parsed = role === 'gate' ? parseGateConfig(raw) : parseKioskConfig(raw);
      assert.equal([parsed.device, parsed.site, parsed.dataDir, parsed.cloudUrl, parsed.mqttUrl, parsed.token],
        [`${role}-7`, 'demo', `/var/lib/scenic-ticketing/${role}-7`, 'https://hq.example.com:8780', 'mqtts://hq.example.com:8883', `token-of-${role}-7`]);
      if (role === 'gate') assert.is(raw.lane, 'lane-2');

      const unit = readFileSync(at(`etc/systemd/system/scenic-${role}.service`), 'utf8');
      assert.match(unit, /^User=scenic$/m);
      assert.match(unit, new RegExp(`^ExecStart=${process.execPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?: --max-semi-space-size=2)? dist/edge/${role}/main.js /etc/scenic-ticketing/${role}.json$`, 'm'));
      assert.match(unit, /^WorkingDirectory=\/srv\/scenic$/m);
      assert.match(unit, new RegExp(`^StandardOutput=append:/var/log/scenic-ticketing/${role}.log$`, 'm'));
      assert.match(readFileSync(at('usr/lib/sysusers.d/scenic-ticketing.conf'), 'utf8'), /^u scenic - "Scenic ticketing" \/var\/lib\/scenic-ticketing \/usr\/sbin\/nologin$/m);
      const tmpfiles = readFileSync(at('usr/lib/tmpfiles.d/scenic-ticketing.conf'), 'utf8');
      assert.match(tmpfiles, new RegExp(`^d /var/lib/scenic-ticketing/${role}-7 0750 scenic scenic -$`, 'm'));
      assert.match(tmpfiles, /^d \/etc\/scenic-ticketing\/tls 0750 root scenic -$/m);
      assert.match(readFileSync(at('etc/scenic-ticketing/tls/README'), 'utf8'), /ca\.pem/);
      assert.match(readFileSync(at('etc/logrotate.d/scenic-ticketing'), 'utf8'), /copytruncate/);

      if (has('systemd-analyze')) {
        const v = run('systemd-analyze', ['verify', '--man=no', at(`etc/systemd/system/scenic-${role}.service`)]);
        assert.equal([v.status, v.stderr.trim()], [0, ''], 'systemd-analyze verify');
      } else process.stdout.write('  (no systemd-analyze here: unit not verified)\n');

      if (has('systemd-sysusers') && has('systemd-tmpfiles') && isRoot) {
        mkdirSync(at('etc'), { recursive: true });
        const s = run('systemd-sysusers', [`--root=${root}`]);
        assert.is(s.status, 0, s.stderr);
        const passwd = readFileSync(at('etc/passwd'), 'utf8');
        const uid = Number(/^scenic:x:(\d+):/m.exec(passwd)?.[1]);
        assert.ok(uid > 0 && uid < 1000, `a system user: ${passwd}`);
        assert.match(readFileSync(at('etc/group'), 'utf8'), /^dialout:x:\d+:scenic$/m);
        const t = run('systemd-tmpfiles', [`--root=${root}`, '--create']);
        assert.is(t.status, 0, t.stderr);
        assert.is(statSync(at(`var/lib/scenic-ticketing/${role}-7`)).uid, uid);
        assert.equal([statSync(at(`var/log/scenic-ticketing/${role}.log`)).uid, mode(at(`var/log/scenic-ticketing/${role}.log`))], [uid, '640']);
        assert.is(statSync(at('etc/scenic-ticketing/tls')).uid, 0);
        assert.ok(existsSync(at('srv/scenic/data')), 'the checkout\'s data folder (voice clips, face models)');
      } else process.stdout.write('  (systemd-sysusers/tmpfiles not applied: not root or not here)\n');

      // Run again: the config the operator edited stays as it is.
      writeFileSync(config, JSON.stringify({ ...raw, token: 'changed-by-hand' }));
      const again = install(root, role, `${role}-7`);
      assert.is(again.status, 0, again.stderr);
      assert.match(again.stdout, /keeping the existing/);
      assert.is(JSON.parse(readFileSync(config, 'utf8')).token, 'changed-by-hand');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test('logrotate rotates the agent\'s log with the installed stanza (its owner swapped for ours)', () => {
  if (!has('logrotate')) {
    process.stdout.write('  (no logrotate here: rotation not exercised)\n');
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'tk-install-rotate-'));
  try {
    assert.is(install(root, 'gate', 'gate-1').status, 0);
    const logs = join(root, 'logs');
    mkdirSync(logs, { mode: 0o750 });
    const { username } = userInfo();
    const group = run('id', ['-gn']).stdout.trim();
    // The stanza as installed, pointed at a folder of ours and owned by us instead of `scenic`.
    const conf = readFileSync(join(root, 'etc/logrotate.d/scenic-ticketing'), 'utf8')
      .replace('/var/log/scenic-ticketing', logs).replace('su scenic scenic', `su ${username} ${group}`);
    writeFileSync(join(root, 'rotate.conf'), conf, { mode: 0o644 });
    const lines = '{"level":30,"msg":"admitted"}\n'.repeat(100);
    appendFileSync(join(logs, 'gate.log'), lines);
    const r = run('logrotate', ['--force', '--state', join(root, 'state'), join(root, 'rotate.conf')]);
    assert.is(r.status, 0, r.stderr);
    assert.equal(readdirSync(logs).sort(), ['gate.log', 'gate.log.1']);
    assert.is(statSync(join(logs, 'gate.log')).size, 0, 'copytruncate: the file systemd appends to is emptied in place');
    assert.is(readFileSync(join(logs, 'gate.log.1'), 'utf8'), lines);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('from a checkout, install compiles the edge programs and the unit runs one of them with plain node', () => {
  const root = mkdtempSync(join(tmpdir(), 'tk-install-build-'));
  const repo = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
  try {
    const r = run('bash', [script, 'gate', 'gate-3', 'demo', '--destdir', root, '--app-dir', repo]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /built .*dist\/edge\/gate\/main\.js/);
    const unit = readFileSync(join(root, 'etc/systemd/system/scenic-gate.service'), 'utf8');
    const exec = /^ExecStart=(\S+) (.*) \/etc\/scenic-ticketing\/gate\.json$/m.exec(unit);
    assert.ok(exec, unit);
    assert.not.match(exec![2]!, /tsx/, 'no TypeScript loader in production');
    // The unit's command from its WorkingDirectory, without a config: the program loads and asks for one.
    const started = spawnSync(exec![1]!, exec![2]!.split(' '), { cwd: repo, encoding: 'utf8' });
    assert.is(started.status, 2, started.stderr);
    assert.match(started.stderr, /usage/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('bad arguments are refused with a message, and nothing is written', () => {
  const root = mkdtempSync(join(tmpdir(), 'tk-install-bad-'));
  try {
    for (const args of [['hub', 'hub-1', 'demo'], ['gate', 'gate 1', 'demo'], ['gate', 'gate-1', 'demo', '--colour', 'red']]) {
      const r = run('bash', [script, ...args, '--destdir', root]);
      assert.is(r.status === 0, false, args.join(' '));
      assert.match(r.stderr, /install\.sh: /);
    }
    assert.equal(readdirSync(root), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();

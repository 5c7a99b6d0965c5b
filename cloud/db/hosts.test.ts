import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadCloudConfig } from '../config.ts';
import { needsHostChoice, parsePgHosts } from './hosts.ts';

test('the URI pg_autoctl prints: two hosts, read-write, sslmode=prefer dropped', () => {
  const h = parsePgHosts('postgres://hq:secret@10.0.0.1:5432,db2:6432/hq?target_session_attrs=read-write&sslmode=prefer&application_name=hq');
  assert.equal(h.hosts, [{ host: '10.0.0.1', port: 5432 }, { host: 'db2', port: 6432 }]);
  assert.is(h.targetSessionAttrs, 'read-write');
  assert.is(h.urlFor(h.hosts[1]!), 'postgres://hq:secret@db2:6432/hq?application_name=hq');
  assert.ok(needsHostChoice(h));
});

test('one host, default port, IPv6, no options', () => {
  const h = parsePgHosts('postgresql://[::1]/hq');
  assert.equal(h.hosts, [{ host: '::1', port: 5432 }]);
  assert.is(h.urlFor(h.hosts[0]!), 'postgresql://[::1]:5432/hq');
  assert.not.ok(needsHostChoice(h));
  assert.ok(needsHostChoice(parsePgHosts('postgres://a/hq?target_session_attrs=primary')));
});

test('unsupported session attributes and bad URLs are refused', () => {
  assert.throws(() => parsePgHosts('postgres://a,b/hq?target_session_attrs=standby'), /not supported/);
  assert.throws(() => parsePgHosts('mysql://a/hq'), /postgres/);
  assert.throws(() => parsePgHosts('postgres://a,,b/hq'), /empty host/);
});

test('DATABASE_URL takes the multi-host form', () => {
  const c = loadCloudConfig({}, { DATABASE_URL: 'postgres://u@h1:5432,h2:5432/hq?target_session_attrs=read-write' });
  assert.match(c.databaseUrl!, /h1:5432,h2:5432/);
  assert.throws(() => loadCloudConfig({}, { DATABASE_URL: 'http://x' }), /databaseUrl/);
});

test.run();

/**
 * A small command line for the demo and for operators:
 *   sell <type> [quantity]     sell tickets at HQ, print their codes
 *   scan <gate> <code> [n]     present a code (or card/barcode) at a gate's console
 *   entries [ticket-id]        entries HQ has received, newest first
 *   ticket <id>                one ticket and how often it was used
 *   types                      ticket types
 *   status                     each gate's view: link, checkpoint, outbox, counters
 *   mode <normal|closed|emergency> [device]   switch the site (or one device)
 *   devices                    what HQ knows of each device: online, mode, lane status
 *   revoke <ticket> <refunded|lost|reissued|cancelled>
 *   bind <ticket> <barcode|card|idcard> <value>
 *   explain <ticket> [lane]    what a gate at that lane would decide now, and why
 *   over-use                   tickets used beyond what they grant (offline gates)
 *   login                      print a bearer token (for SCENIC_TOKEN)
 *   audit-verify [--hub <url>] check the financial audit chain (exit 4 if it is broken), also
 *                              against the signed heads a site hub keeps
 *   device-token <site> <device> [gate|kiosk|hub]   a provisioned device's credential for its config
 *   sites                      the sites HQ serves;  site-add <site> <name>  adds one
 *   lane <lane> [venue]        adds (or keeps) a lane of the site, into a venue (default main)
 *   provision <device> <gate|kiosk|hub> [lane,...]   a device of the site, and the lanes it serves
 *   explain-card <barcode|card|idcard> <value> [lane]   what a gate would decide for whatever the credential stands for
 *   lockouts                   accounts and addresses locked out after wrong passwords
 *   unlock <username>          lift an account's lockout (unlock address <ip> for an address)
 * HQ and gate addresses come from data/demo.json (written by `npm start`), or CLOUD_URL and
 * GATE_<N>_URL (e.g. GATE_1_URL) in the environment. HQ calls carry a bearer token:
 * SCENIC_TOKEN, or one got by logging in as SCENIC_USER / SCENIC_PASSWORD, or as the demo's
 * administrator named in data/demo.json. Add --en for English output.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatYuan, fen } from '../../shared/money/money.ts';
import { formatLocal } from '../../shared/time/zone.ts';

const FLAGS = new Set(['--en', '--out']);
const args = process.argv.slice(2).filter((a) => !FLAGS.has(a));
const out = process.argv.includes('--out');
const en = process.argv.includes('--en') || /^en/.test(process.env.TK_LANG ?? '');
const t = (zh: string, english: string) => (en ? english : zh);
const tz = process.env.SITE_TZ ?? 'Asia/Shanghai';

const demoFile = resolve(process.env.DATA_DIR ?? 'data', 'demo.json');
const demo: { cloud?: string; gates?: Record<string, string>; login?: { username: string; password: string } } = existsSync(demoFile) ? JSON.parse(readFileSync(demoFile, 'utf8')) : {};
const cloudUrl = process.env.CLOUD_URL ?? demo.cloud ?? 'http://127.0.0.1:8780';

function gateUrl(gate: string): string {
  const env = process.env[`${gate.toUpperCase().replace(/-/g, '_')}_URL`];
  const url = env ?? demo.gates?.[gate];
  if (!url) fail(t(`未知闸机 ${gate}（已知：${Object.keys(demo.gates ?? {}).join(', ') || '无，先运行 npm start'}）`, `unknown gate ${gate} (known: ${Object.keys(demo.gates ?? {}).join(', ') || 'none; run npm start first'})`));
  return url;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

let token: string | undefined = process.env.SCENIC_TOKEN;

/** A bearer token for HQ: SCENIC_TOKEN, or a login as SCENIC_USER (or the demo's admin). */
async function bearer(): Promise<string> {
  if (token) return token;
  const username = process.env.SCENIC_USER ?? demo.login?.username;
  const password = process.env.SCENIC_PASSWORD ?? (process.env.SCENIC_USER ? undefined : demo.login?.password);
  if (!username || !password) fail(t('需要登录：设置 SCENIC_TOKEN，或 SCENIC_USER 和 SCENIC_PASSWORD', 'log in first: set SCENIC_TOKEN, or SCENIC_USER and SCENIC_PASSWORD'));
  const r = await call(`${cloudUrl}/api/v1/auth/login`, { body: { username, password } }, false);
  token = r.token as string;
  return token;
}

async function call(url: string, init?: { method?: string; body?: unknown }, auth = url.startsWith(cloudUrl)): Promise<any> {
  let res: Response;
  const authorization: Record<string, string> = auth ? { authorization: `Bearer ${await bearer()}` } : {};
  try {
    res = await fetch(url, {
      method: init?.method ?? (init?.body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json', ...authorization },
      body: init?.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    fail(t(`连接不上 ${url}：服务是否已启动（npm start）？`, `cannot reach ${url}: is it running (npm start)?`));
  }
  const body: any = await res.json().catch(() => ({}));
  if (!res.ok) fail(`${res.status} ${body?.error?.code ?? ''}: ${body?.error?.message ?? res.statusText}`);
  return body;
}

const local = (iso: string | number) => formatLocal(new Date(iso).getTime(), tz);

async function main(): Promise<void> {
  const [cmd, ...rest] = args;
  switch (cmd) {
    case 'sell': {
      const [type, qty = '1'] = rest;
      if (!type) fail('usage: cli sell <type> [quantity]');
      const quantity = Number(qty);
      if (!Number.isInteger(quantity) || quantity < 1) fail(t(`数量必须是正整数：${qty}`, `quantity must be a positive whole number: ${qty}`));
      const sale = await call(`${cloudUrl}/api/v1/sales`, { body: { type, quantity } });
      process.stdout.write(`${t('售出', 'Sold')} ${sale.quantity} × ${sale.type}, ${t('合计', 'total')} ¥${formatYuan(fen(sale.totalFen))}  (${t('订单', 'sale')} ${sale.id})\n`);
      for (const tk of sale.tickets) {
        process.stdout.write(`\n  ${t('票号', 'ticket')} ${tk.id}  ${t('有效期', 'valid')} ${local(tk.validFrom)} – ${local(tk.validUntil)}  ${tk.persons} ${t('人', 'person(s)')}\n  ${tk.code}\n`);
      }
      process.stdout.write(`\n${t('下一步', 'Next')}: npm run cli -- scan gate-1 ${sale.tickets[0].code.slice(0, 12)}…\n`);
      return;
    }
    case 'scan': {
      const [gate, code, persons] = rest;
      if (!gate || code === undefined) fail('usage: cli scan <gate> <code> [persons]');
      const d = await call(`${gateUrl(gate)}/scan`, { body: { code, persons: persons ? Number(persons) : undefined, direction: out ? 'out' : undefined } });
      process.stdout.write(`${d.admit ? '✔ ' + t('放行', 'ADMIT') : '✘ ' + t('拒绝', 'REFUSE')}  ${en ? d.messageEn : d.message}  [${d.reason}]  (${d.micros} µs)\n`);
      process.exitCode = d.admit ? 0 : 3;
      return;
    }
    case 'entries': {
      const [ticket] = rest;
      const r = await call(`${cloudUrl}/api/v1/entries?limit=50${ticket ? `&ticket=${encodeURIComponent(ticket)}` : ''}`);
      if (r.items.length === 0) process.stdout.write(t('HQ 还没有收到入园记录。\n', 'HQ has received no entries yet.\n'));
      for (const e of r.items) {
        process.stdout.write(`${local(e.correctedTime)}  ${e.device.padEnd(8)} ${e.lane.padEnd(8)} ${e.direction} ×${e.persons}  ${e.ticketId}${e.kind !== 'normal' ? `  (${e.kind})` : ''}\n`);
      }
      return;
    }
    case 'ticket': {
      const [id] = rest;
      if (!id) fail('usage: cli ticket <id>');
      const tk = await call(`${cloudUrl}/api/v1/tickets/${encodeURIComponent(id)}`);
      process.stdout.write(`${tk.id}  ${tk.type}  ${local(tk.validFrom)} – ${local(tk.validUntil)}\n  ${t('人数', 'persons')} ${tk.persons}  ${t('次数', 'entries')} ${tk.entries || t('不限', 'unlimited')}  ${t('已入园', 'used')} ${tk.used.persons} ${t('人次', 'person-entries')}${tk.revokedReason ? `  ${t('已作废', 'void')}: ${tk.revokedReason}` : ''}\n`);
      return;
    }
    case 'types': {
      const r = await call(`${cloudUrl}/api/v1/ticket-types`);
      for (const ty of r.items) {
        process.stdout.write(`${ty.code.padEnd(10)} ${ty.name}  ¥${formatYuan(fen(ty.priceFen))}  ${ty.validityDays}${t('天', 'd')}  ${ty.persons}${t('人', 'p')}  ${ty.entries ? `${ty.entries}${t('次', 'x')}` : t('不限次', 'unlimited')}\n`);
      }
      return;
    }
    case 'status': {
      for (const [gate, url] of Object.entries(demo.gates ?? {})) {
        const s = await call(`${url}/status`);
        process.stdout.write(`${gate}  ${s.link.connected ? t('在线', 'online') : t('离线', 'offline')}  checkpoint ${s.link.checkpoint}  ${t('待上传', 'outbox')} ${s.link.outbox}  ${t('放行', 'admitted')} ${s.stats.admitted}  ${t('拒绝', 'refused')} ${s.stats.refused}\n`);
      }
      return;
    }
    case 'mode': {
      const [mode, device] = rest;
      if (!mode || !['normal', 'closed', 'emergency'].includes(mode)) fail('usage: cli mode <normal|closed|emergency> [device]');
      const site = process.env.SITE ?? 'demo';
      const r = await call(`${cloudUrl}/api/v1/sites/${site}${device ? `/devices/${device}` : ''}/mode`, { method: 'PUT', body: { mode } });
      process.stdout.write(`${device ?? site} → ${r.mode}  (${t('版本', 'version')} ${r.version})\n`);
      return;
    }
    case 'devices': {
      const r = await call(`${cloudUrl}/api/v1/devices`);
      if (r.items.length === 0) process.stdout.write(t('HQ 还没有登记设备（npm run cli -- provision ...）。\n', 'HQ has no device provisioned yet (npm run cli -- provision ...).\n'));
      for (const d of r.items) {
        const s = d.status ?? {};
        const c = s.counters ?? {};
        process.stdout.write(`${d.device.padEnd(8)} ${d.role.padEnd(5)} ${(d.lanes ?? []).join(',').padEnd(8)} ${d.online ? t('在线', 'online ') : t('离线', 'offline')}  ${t('模式', 'mode')} ${d.reported?.mode ?? '?'}${d.reported?.source === 'local-emergency' ? t('（现场紧急）', ' (local emergency)') : ''}  ${t('闸门', 'door')} ${s.door ?? '?'}  ${t('放行', 'admitted')} ${c.admitted ?? 0} ${t('拒绝', 'refused')} ${c.refused ?? 0}  ${t('待上传', 'outbox')} ${s.outbox ?? '?'}  ${t('最后在线', 'last seen')} ${local(d.lastSeenAt)}\n`);
        for (const a of d.alarms ?? []) process.stdout.write(`         ⚠ ${a.message}\n`);
      }
      return;
    }
    case 'revoke': {
      const [id, reason] = rest;
      if (!id || !reason) fail('usage: cli revoke <ticket> <refunded|lost|reissued|cancelled>');
      await call(`${cloudUrl}/api/v1/tickets/${encodeURIComponent(id)}/revoke`, { body: { reason } });
      process.stdout.write(`${t('已作废', 'revoked')} ${id} (${reason})\n`);
      return;
    }
    case 'bind': {
      const [id, kind, value] = rest;
      if (!id || !kind || !value) fail('usage: cli bind <ticket> <barcode|card|idcard> <value>');
      await call(`${cloudUrl}/api/v1/tickets/${encodeURIComponent(id)}/credentials`, { body: { kind, value } });
      process.stdout.write(`${t('已绑定', 'bound')} ${kind} ${value} → ${id}\n`);
      return;
    }
    case 'explain': {
      const [id, lane] = rest;
      if (!id) fail('usage: cli explain <ticket> [lane]');
      const r = await call(`${cloudUrl}/api/v1/tickets/${encodeURIComponent(id)}/explain?lane=${encodeURIComponent(lane ?? 'lane-1')}${out ? '&direction=out' : ''}`);
      const v = r.verdict;
      process.stdout.write(v.admit ? `✔ ${t('会放行', 'would admit')} ${v.persons} (${v.kind})${v.remaining === null ? '' : `, ${t('剩余', 'left')} ${v.remaining}`}\n` : `✘ ${en ? r.messageEn : r.message}  [${v.reason}]\n`);
      return;
    }
    case 'explain-card': {
      const [kind, value, lane] = rest;
      if (!kind || !value) fail('usage: cli explain-card <barcode|card|idcard> <value> [lane]');
      const r = await call(`${cloudUrl}/api/v1/tickets/explain`, { body: { kind, value, lane: lane ?? 'lane-1', direction: out ? 'out' : 'in', site: process.env.SITE ?? 'demo' } });
      const v = r.verdict;
      const which = r.ticketId ? `  ${t('票', 'ticket')} ${r.ticketId}${r.among > 1 ? ` (${t('共', 'of')} ${r.among})` : ''}` : '';
      process.stdout.write(`${v.admit ? `✔ ${t('会放行', 'would admit')} ${v.persons} (${v.kind})` : `✘ ${en ? r.messageEn : r.message}  [${v.reason}]`}${which}\n`);
      return;
    }
    case 'sites': {
      for (const x of (await call(`${cloudUrl}/api/v1/sites`)).items) process.stdout.write(`${x.id.padEnd(12)} ${x.name}${x.active ? '' : t('  （已停用）', '  (switched off)')}\n`);
      return;
    }
    case 'site-add': {
      const [id, name] = rest;
      if (!id || !name) fail('usage: cli site-add <site> <name>');
      await call(`${cloudUrl}/api/v1/sites`, { body: { id, name } });
      process.stdout.write(`${t('已添加站点', 'site added')} ${id}\n`);
      return;
    }
    case 'lane': {
      const [lane, venue] = rest;
      if (!lane) fail('usage: cli lane <lane> [venue]');
      const site = process.env.SITE ?? 'demo';
      const r = await call(`${cloudUrl}/api/v1/sites/${site}/lanes/${encodeURIComponent(lane)}`, { method: 'PUT', body: venue ? { venue } : {} });
      process.stdout.write(`${site}/${r.lane}  ${t('园区', 'venue')} ${r.venue}  ${r.directions.join('/')}\n`);
      return;
    }
    case 'provision': {
      const [device, role, lanes] = rest;
      if (!device || !role || !['gate', 'kiosk', 'hub', 'pos', 'handheld'].includes(role)) fail('usage: cli provision <device> <gate|handheld|kiosk|hub|pos> [lane,...]');
      const site = process.env.SITE ?? 'demo';
      const r = await call(`${cloudUrl}/api/v1/sites/${site}/devices/${encodeURIComponent(device)}`, { method: 'PUT', body: { role, lanes: lanes ? lanes.split(',') : [] } });
      process.stdout.write(`${site}/${r.device}  ${r.role}  ${r.lanes.join(',')}  (${t('下一步', 'next')}: npm run cli -- device-token ${site} ${r.device} ${r.role})\n`);
      return;
    }
    case 'over-use': {
      const r = await call(`${cloudUrl}/api/v1/over-use`);
      if (r.items.length === 0) process.stdout.write(t('没有发现超用。\n', 'No over-use found.\n'));
      for (const o of r.items) process.stdout.write(`${o.ticketId}  ${o.venue}  ${t('允许', 'allowed')} ${o.allowed}  ${t('实际', 'used')} ${o.used}  ${t('多出', 'extra')} ${o.used - o.allowed}  ${o.devices.join(', ')}\n`);
      return;
    }
    case 'audit-verify': {
      // --hub <url> (repeatable): also check against the signed heads a site hub keeps.
      const hubs = process.argv.flatMap((a, i) => (a === '--hub' && process.argv[i + 1] ? [process.argv[i + 1]!.replace(/\/+$/, '')] : []));
      const copies = [];
      for (const h of hubs) copies.push(...(await call(`${h}/api/v1/hub/anchors`, undefined, false)).items);
      const r = hubs.length ? await call(`${cloudUrl}/api/v1/audit/verify`, { body: { anchors: copies } }) : await call(`${cloudUrl}/api/v1/audit/verify`);
      if (hubs.length) process.stdout.write(`  ${t('站点锚点副本', 'anchors kept by the hubs')}: ${copies.length} (${hubs.join(', ')})\n`);
      if (r.ok) process.stdout.write(`✔ ${t('审计链完整', 'audit chain intact')}: ${r.records} ${t('条记录', 'records')}, head ${r.head.slice(0, 16)}…\n`);
      else {
        process.stdout.write(`✘ ${t('审计链已被篡改', 'audit chain broken')}: ${r.problems.length} ${t('处问题', 'problem(s)')}\n`);
        for (const p of r.problems.slice(0, 50)) process.stdout.write(`  ${p.seq !== undefined ? `#${p.seq} ` : ''}${p.problem}\n`);
        process.exitCode = 4;
      }
      process.stdout.write(r.anchor
        ? `  ${t('签名锚点', 'signed anchor')} #${r.anchor.seq} ${t('签于', 'at')} ${new Date(r.anchor.at).toISOString()}\n`
        : `  ${t('未找到签名锚点：无法发现链尾被删除', 'no signed anchor found: a deleted tail would go unseen')}\n`);
      return;
    }
    case 'login': {
      process.stdout.write(`${await bearer()}\n`);
      return;
    }
    case 'device-token': {
      const [, site, device, role = 'gate'] = args;
      if (!site || !device || !['gate', 'kiosk', 'hub', 'pos', 'handheld'].includes(role)) fail('usage: cli device-token <site> <device> [gate|handheld|kiosk|hub|pos]');
      const r = await call(`${cloudUrl}/api/v1/device-credentials`, { body: { site, device, role } });
      process.stdout.write(role === 'hub'
        ? `${t('站点集线器配置', 'hub config')}: "siteKey": "${r.siteKey}"\n`
        : `${t('设备配置', 'device config')}: "token": "${r.token}"   (${t('用户名', 'username')} ${r.username})\n`);
      return;
    }
    case 'lockouts': {
      const r = await call(`${cloudUrl}/api/v1/users/lockouts`);
      if (!r.items.length) process.stdout.write(`${t('没有锁定', 'nothing locked')}\n`);
      for (const l of r.items) {
        process.stdout.write(`${l.kind === 'account' ? t('账户', 'account') : t('地址', 'address')} ${l.subject}  ${l.failures} ${t('次失败，锁定至', 'failures, locked until')} ${local(l.lockedUntil)}\n`);
      }
      return;
    }
    case 'unlock': {
      const [, first, second] = args;
      const [kind, subject] = first === 'address' || first === 'account' ? [first, second] : ['account', first];
      if (!subject) fail('usage: cli unlock <username> | unlock address <ip>');
      await call(`${cloudUrl}/api/v1/users/lockouts/${kind}/${encodeURIComponent(subject)}`, { method: 'DELETE' });
      process.stdout.write(`✔ ${t('已解除锁定', 'lockout lifted')}: ${kind} ${subject}\n`);
      return;
    }
    default:
      process.stdout.write('usage: npm run cli -- <login | audit-verify [--hub <url>] | lockouts | unlock <username> | sell <type> [n] | scan <gate> <code> [persons] [--out] | entries [ticket] | ticket <id> | types | status | mode <m> [device] | devices | revoke <ticket> <reason> | bind <ticket> <kind> <value> | explain <ticket> [lane] | explain-card <kind> <value> [lane] | over-use | sites | site-add <site> <name> | lane <lane> [venue] | provision <device> <role> [lanes] | device-token <site> <device> [role]> [--en]\n');
      if (cmd && cmd !== 'help') process.exitCode = 2;
  }
}

await main();

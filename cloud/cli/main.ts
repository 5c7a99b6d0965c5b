/**
 * A small command line for the demo and for operators:
 *   sell <type> [quantity]     sell tickets at HQ, print their codes
 *   scan <gate> <code> [n]     present a code (or card/barcode) at a gate's console
 *   entries [ticket-id]        entries HQ has received, newest first
 *   ticket <id>                one ticket and how often it was used
 *   types                      ticket types
 *   status                     each gate's view: link, checkpoint, outbox, counters
 * HQ and gate addresses come from data/demo.json (written by `npm start`), or CLOUD_URL and
 * GATE_<N>_URL (e.g. GATE_1_URL) in the environment. Add --en for English output.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatYuan, fen } from '../../shared/money/money.ts';
import { formatLocal } from '../../shared/time/zone.ts';

const args = process.argv.slice(2).filter((a) => a !== '--en');
const en = process.argv.includes('--en') || /^en/.test(process.env.TK_LANG ?? '');
const t = (zh: string, english: string) => (en ? english : zh);
const tz = process.env.SITE_TZ ?? 'Asia/Shanghai';

const demoFile = resolve(process.env.DATA_DIR ?? 'data', 'demo.json');
const demo: { cloud?: string; gates?: Record<string, string> } = existsSync(demoFile) ? JSON.parse(readFileSync(demoFile, 'utf8')) : {};
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

async function call(url: string, init?: { method?: string; body?: unknown }): Promise<any> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init?.method ?? (init?.body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json' },
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
      const d = await call(`${gateUrl(gate)}/scan`, { body: { code, persons: persons ? Number(persons) : undefined } });
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
    default:
      process.stdout.write('usage: npm run cli -- <sell <type> [n] | scan <gate> <code> [persons] | entries [ticket] | ticket <id> | types | status> [--en]\n');
      if (cmd && cmd !== 'help') process.exitCode = 2;
  }
}

await main();

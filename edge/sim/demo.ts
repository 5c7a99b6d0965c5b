/**
 * `npm start`: HQ (PGlite + aedes + HTTP) and a simulated site of two gates, in one process,
 * with demo ticket types; prints what to do next. Data lives under ./data (DATA_DIR).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadCloudConfig } from '../../cloud/config.ts';
import { createTicketType, listTicketTypes } from '../../cloud/catalog/service.ts';
import { Cloud } from '../../cloud/server.ts';
import { listLanes, putLane } from '../../cloud/sites/service.ts';
import { provisionDevice } from '../../cloud/devices/service.ts';
import { createUser } from '../../cloud/auth/service.ts';
import { AppError } from '../../cloud/http/errors.ts';
import { putGrants } from '../../cloud/office/pricing/setup.ts';
import { createLogger } from '../../shared/log/logger.ts';
import { formatYuan, fen } from '../../shared/money/money.ts';
import { SimPrinter } from '../../hardware/printer/sim.ts';
import { KioskAgent } from '../kiosk/agent.ts';
import { PrintBridge } from '../print-bridge/bridge.ts';
import { parseBridgeConfig } from '../print-bridge/config.ts';
import { parseKioskConfig } from '../kiosk/config.ts';
import { startSimSite } from './site.ts';

const t0 = Date.now();
const root = resolve(process.env.DATA_DIR ?? 'data');
const log = createLogger('demo', process.env.LOG_LEVEL ?? 'warn');
// A known administrator password, so the CLI (which reads it from data/demo.json) just works.
const adminPassword = process.env.ADMIN_PASSWORD ?? 'demo-admin';
const cloud = new Cloud(loadCloudConfig({ dataDir: join(root, 'cloud'), adminPassword }, { ...process.env, DATA_DIR: undefined }), log.child('cloud'));
await cloud.start();

const DEMO_TYPES = [
  { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1, rules: { reentry: { windowMinutes: 120 } } },
  { code: 'child', name: '儿童票', priceFen: 6000, validityDays: 1, entries: 1, persons: 1 },
  { code: 'group10', name: '团队票（10人）', priceFen: 100000, validityDays: 1, entries: 1, persons: 10 },
  { code: 'pass3', name: '三次卡', priceFen: 30000, validityDays: 90, entries: 3, persons: 1, rules: { perDay: 1 } },
  { code: 'annual', name: '年卡', priceFen: 36000, validityDays: 365, entries: 0, persons: 1, rules: { kind: 'member' as const } },
  { code: 'staff', name: '员工卡', priceFen: 0, validityDays: 365, entries: 0, persons: 1, rules: { kind: 'staff' as const } },
];
const DEMO_LANES = [
  { lane: 'lane-1', label: '1号通道', directions: ['in'] },
  { lane: 'lane-2', label: '2号通道', directions: ['in', 'out'], antiPassbackSeconds: 30 },
];
const ctx = cloud.ctx!;
const have = new Set((await listTicketTypes(ctx.db)).map((t) => t.code));
for (const t of DEMO_TYPES) if (!have.has(t.code)) await createTicketType(ctx.db, t);
const lanesHad = new Set((await listLanes(ctx, ctx.config.site)).map((l) => l.lane));
for (const l of DEMO_LANES) if (!lanesHad.has(l.lane)) await putLane(ctx, ctx.config.site, l.lane, l);
// Devices are records at HQ: each gate serves its lane, and only it may report entries there.
for (const [device, lane] of [['gate-1', 'lane-1'], ['gate-2', 'lane-2']] as const) await provisionDevice(ctx, ctx.config.site, device, { role: 'gate', lanes: [lane] });
await provisionDevice(ctx, ctx.config.site, 'kiosk-1', { role: 'kiosk' });

// People of the back office: a window seller (granted the visitor types) and a finance clerk.
const DEMO_USERS = [
  { username: 'seller', displayName: '演示售票员', roles: ['seller' as const], permissions: ['refund' as const], password: 'demo-seller' },
  { username: 'finance', displayName: '演示财务', roles: ['finance' as const], permissions: [], password: 'demo-finance' },
];
for (const u of DEMO_USERS) {
  const made = await createUser(ctx.db, u).catch((err) => {
    if (err instanceof AppError && err.code === 'duplicate') return undefined;
    throw err;
  });
  if (made && u.username === 'seller') {
    await putGrants(ctx, { id: made.id, username: 'demo', displayName: 'demo', roles: ['administrator'], permissions: [] }, made.id, { types: ['adult', 'child', 'group10', 'pass3'], discounts: [] });
  }
}

const site = await startSimSite({
  site: cloud.config.site, gates: 2, dataDir: root, cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl,
  firstConsolePort: Number(process.env.GATE_CONSOLE_PORT ?? 8791), log,
  tokenFor: (device) => cloud.ctx!.deviceAuth.issue('gate', cloud.config.site, device).token,
});
// One self-service kiosk with a simulated printer; each ticket it prints is also saved as a PNG.
const kioskPrinter = new SimPrinter();
const kioskDir = join(root, 'kiosk-1');
mkdirSync(join(kioskDir, 'prints'), { recursive: true });
kioskPrinter.onJob((job) => void kioskPrinter.renderPng(job).then((png) => writeFileSync(join(kioskDir, 'prints', `${Date.now()}.png`), png)).catch(() => undefined));
const kiosk = new KioskAgent(parseKioskConfig({
  device: 'kiosk-1', site: cloud.config.site, siteName: '演示景区', dataDir: kioskDir, cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl,
  token: ctx.deviceAuth.issue('kiosk', cloud.config.site, 'kiosk-1').token, http: { port: Number(process.env.KIOSK_PORT ?? 8795) },
}, 'simulated kiosk-1'), { log: log.child('kiosk-1'), printer: kioskPrinter });
await kiosk.start();
// The ticket window's print bridge, with a simulated printer whose tickets are saved as PNGs.
const windowPrinter = new SimPrinter();
const windowDir = join(root, 'window-1');
mkdirSync(join(windowDir, 'prints'), { recursive: true });
windowPrinter.onJob((job) => void windowPrinter.renderPng(job).then((png) => writeFileSync(join(windowDir, 'prints', `${Date.now()}.png`), png)).catch(() => undefined));
const bridge = new PrintBridge(parseBridgeConfig({
  printer: { driver: 'sim' }, http: { port: Number(process.env.PRINT_BRIDGE_PORT ?? 8797) }, allowOrigins: [cloud.url],
}, 'demo print bridge'), { printer: windowPrinter, log: log.child('print-bridge') });
await bridge.start();
mkdirSync(root, { recursive: true });
writeFileSync(join(root, 'demo.json'), JSON.stringify({
  cloud: cloud.url, mqtt: cloud.mqttUrl, login: { username: 'admin', password: adminPassword }, gates: Object.fromEntries(site.gates.map((g) => [g.id, g.console])),
}, null, 2));

const types = (await listTicketTypes(ctx.db)).map((t) => `    ${t.code.padEnd(8)} ${t.name}  ¥${formatYuan(fen(t.priceFen))}`).join('\n');
process.stdout.write(`
景区票务演示已启动 / Scenic ticketing demo is up (${((Date.now() - t0) / 1000).toFixed(1)} s)

  Back office    ${cloud.url}/   (售票 seller / demo-seller, 财务 finance / demo-finance, admin / ${adminPassword})
  Print bridge   ${bridge.url}   (the window's printer; printed tickets: ${join(windowDir, 'prints')})
  HQ HTTP API    ${cloud.url}/api/v1   (log in as admin / ${adminPassword}: npm run cli -- login)
  MQTT broker    ${cloud.mqttUrl}
  Gate consoles  ${site.gates.map((g) => `${g.id}: ${g.console}/`).join('   ')}
  Kiosk          kiosk-1: ${kiosk.url}/   (自助取票/购票 touch screen; printed tickets: ${join(kioskDir, 'prints')})
  Data           ${root}

  票种 Ticket types:
${types}

  Next, in another terminal:
    npm run cli -- sell adult 2              sell two adult tickets, prints their codes
    npm run cli -- scan gate-1 <code>        present a code at simulated gate 1
    npm run cli -- entries                   entries HQ has received
    npm run cli -- status                    what each gate knows and whether its link is up
    npm run cli -- mode emergency            open every gate of the site (then: mode normal)
    npm run cli -- devices                   what HQ sees of each gate, live
  Or open a gate console page in a browser and paste a code.

  Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await kiosk.stop();
  await bridge.stop();
  await site.stop();
  await cloud.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);

import { Hono } from 'hono';
import { qrcodeLib } from '../../shared/print/code-libs.ts';
import { encodeSetupCode } from '../../shared/auth/setup-code.ts';
import { z } from 'zod';
import { MODES } from '../../shared/rules/model.ts';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { AppError } from '../http/errors.ts';
import { siteName } from '../sites/service.ts';
import { ackAlarm, ALARM_CODES, alarmAckBody } from './alarms.ts';
import { brokerAccountsFollow, recordIssued } from './issued.ts';
import { devicePut, getDevice, listDevices, PROVISIONED_ROLES, provisionDevice, requireDevice } from './service.ts';

/** POST /device-credentials */
export const credentialRequest = z.strictObject({
  site: siteName, device: siteName, role: z.enum(PROVISIONED_ROLES),
  cloudUrl: z.string().url().max(300).optional().describe('HQ (or the site hub) as the device reaches it, for the setup code; default: this request\'s origin'),
  mqttUrl: z.string().url().max(300).optional().describe('The broker as the device reaches it, for the setup code; default: HQ\'s broker'),
});
const credentialView = z.object({
  site: z.string(), device: z.string(), role: z.enum(PROVISIONED_ROLES), username: z.string(), token: z.string().describe('The secret: shown once, never stored in the audit chain'),
  siteKey: z.string().optional().describe('A hub\'s site key (hex)'),
  cloudUrl: z.string(), mqttUrl: z.string(), lanes: z.array(z.string()),
  setupCode: z.string().describe('TKS1:... what the board\'s installer reads (shared/auth/setup-code.ts)'),
  setupQr: z.string().describe('The setup code as a QR code: data:image/png;base64,...'),
}).meta({ id: 'DeviceCredential' });

const instant = z.string().describe('ISO 8601 instant');
/** A device as HQ provisioned it (PUT /sites/:site/devices/:device). */
export const deviceRecordView = z.object({
  site: z.string(), device: z.string(), role: z.enum(PROVISIONED_ROLES), lanes: z.array(z.string()).describe('The lanes a gate serves'),
  name: z.string().nullable(), active: z.boolean(), provisionedAt: instant.nullable(), online: z.boolean(),
  status: z.unknown().describe('Its newest lane status message'), reported: z.unknown().describe('The mode it reported'), lastSeenAt: instant,
  refusedEntries: z.number().int().describe('Entries HQ refused from it'), refusedConnections: z.number().int().describe('Connections refused with its credential'),
  lastRefusal: z.unknown().describe('The newest refusal of each kind: { entry, connection }'),
}).meta({ id: 'DeviceRecord' });
/** The device view: the record with its desired mode, backlog, checkpoint lag and alarms. */
export const deviceView = deviceRecordView.extend({
  desired: z.object({ mode: z.enum(MODES), version: z.number().int() }).nullable(),
  backlog: z.number().int().nullable().describe('Entries waiting in its outbox'),
  checkpointLag: z.number().int().nullable().describe('Change-log entries it has not pulled yet'),
  alarms: z.array(z.object({
    code: z.enum(ALARM_CODES), count: z.number().int().optional(), last: z.unknown().optional(), message: z.string(),
    ack: z.object({ by: z.string(), at: instant, note: z.string().nullable() }).optional().describe('Acknowledged as it stands, by whom and when'),
  })),
}).meta({ id: 'Device' });
const deviceList = z.object({ items: z.array(deviceView) });
const site = z.object({ site: siteName });
const device = z.object({ site: siteName, device: siteName });

/**
 * Issues a provisioned device's credential (administrators only): what goes in a gate's or
 * kiosk's config as `token`, and for a site hub the site key it checks its LAN devices with.
 */
export function deviceCredentialRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>().post('/', endpoint({
    summary: '设备凭证 / issue the credential of a provisioned device (a hub also gets its site key), with its setup code and QR', body: credentialRequest, responses: { 201: credentialView },
  }), async (c) => {
    const { site, device, role, ...urls } = c.req.valid('json');
    const record = await requireDevice(ctx.db, site, device);
    if (record.role !== role) throw new AppError('wrong_role', `设备 ${device} 登记为 ${record.role} / device ${device} is provisioned as a ${record.role}, not a ${role}`, 409);
    const credential = ctx.deviceAuth.issue(role, site, device);
    await recordIssued(ctx.db, role, site, device, { actor: c.get('user')?.username ?? 'system', at: ctx.now() });
    // An external broker learns the account now (cloud/mqtt/dynsec.ts), the built-in one needs
    // nothing. A broker out of reach gets it on HQ's next connect: the credential is recorded.
    if (role !== 'handheld') await ctx.brokerAccounts?.register({ role, site, device, ...credential, active: record.active })
      .catch((err: Error) => ctx.log.warn({ site, device, err: err.message }, 'broker account not made yet; it will be on the next connect'));
    ctx.log.info({ site, device, role }, 'device credential issued');
    const cloudUrl = urls.cloudUrl ?? new URL(c.req.url).origin;
    const mqttUrl = urls.mqttUrl ?? ctx.mqttUrl ?? `mqtt://${new URL(c.req.url).hostname}:1883`;
    const setupCode = encodeSetupCode({ site, device, role, lanes: record.lanes, cloudUrl, mqttUrl, token: credential.token });
    // Error correction M: a phone photo of a screen still reads; the code is ~300 characters.
    const setupQr = await qrcodeLib().toDataURL(setupCode, { errorCorrectionLevel: 'M', margin: 4, scale: 6 });
    return c.json({
      site, device, role, ...credential, ...(role === 'hub' ? { siteKey: ctx.deviceAuth.siteKeyHex(site) } : {}), cloudUrl, mqttUrl, lanes: record.lanes, setupCode, setupQr,
    }, 201);
  });
}

/** Devices as HQ knows them: provisioning (role, lanes) and the live view (presence, modes, alarms). */
export function deviceRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/devices', endpoint({ summary: '设备 / every provisioned device: presence, mode, lane status, backlog, alarms', responses: { 200: deviceList } }),
      async (c) => c.json({ items: await listDevices(ctx) }))
    .get('/sites/:site/devices', endpoint({ summary: '景区设备 / the devices of a site', params: site, responses: { 200: deviceList } }),
      async (c) => c.json({ items: await listDevices(ctx, c.req.valid('param').site) }))
    .get('/sites/:site/devices/:device', endpoint({ summary: '设备 / one device of a site, with its alarms', params: device, responses: { 200: deviceView } }),
      async (c) => c.json(await getDevice(ctx, c.req.valid('param').site, c.req.valid('param').device)))
    .put('/sites/:site/devices/:device', endpoint({ summary: '登记设备 / provision a device for a site: its role and the lanes a gate serves', params: device, body: devicePut, responses: { 200: deviceRecordView } }),
      async (c) => {
        const { site, device } = c.req.valid('param');
        const row = await provisionDevice(ctx, site, device, c.req.valid('json'), c.get('user')?.username);
        await brokerAccountsFollow(ctx, site, device);
        return c.json(row);
      })
    .post('/sites/:site/devices/:device/alarms/:code/ack', endpoint({
      summary: '确认告警 / acknowledge a device alarm as it stands (audited)', params: device.extend({ code: z.enum(ALARM_CODES) }), body: alarmAckBody, responses: { 200: deviceView }, signedIn: true,
    }), async (c) => {
      const p = c.req.valid('param');
      return c.json(await ackAlarm(ctx, c.get('user'), p.site, p.device, p.code, c.req.valid('json')?.note));
    });
}

import { z } from 'zod';
import type { AuthUser } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import { deviceAlarmAcks } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { appendAudit, auditedTx } from '../office/audit.ts';
import { getDevice } from './service.ts';

export const ALARM_CODES = ['entries_refused', 'connections_refused', 'device_error'] as const;
export type AlarmCode = (typeof ALARM_CODES)[number];

/** POST /sites/:site/devices/:device/alarms/:code/ack */
export const alarmAckBody = z.strictObject({ note: z.string().max(200).optional() }).optional();

/**
 * A supervisor acknowledges a device's alarm as it stands now: it leaves the list of open
 * alarms until it grows again. Recorded in the audit chain with who and the note.
 */
export async function ackAlarm(ctx: CloudContext, user: AuthUser, site: string, device: string, code: string, note?: string) {
  const d = await getDevice(ctx, site, device);
  const alarm = d.alarms.find((a) => a.code === code);
  if (!alarm) throw new AppError('no_alarm', `设备 ${device} 没有此告警 / device ${device} has no ${code} alarm now`, 409, { site, device, code });
  const at = ctx.now();
  const row = { site, device, code, count: alarm.count ?? 0, message: alarm.message, note: note ?? null, ackedBy: user.username, ackedAt: new Date(at) };
  await auditedTx(ctx.db, async (tx) => {
    await tx.insert(deviceAlarmAcks).values(row)
      .onConflictDoUpdate({ target: [deviceAlarmAcks.site, deviceAlarmAcks.device, deviceAlarmAcks.code], set: { count: row.count, message: row.message, note: row.note, ackedBy: row.ackedBy, ackedAt: row.ackedAt } });
    await appendAudit(tx, { at, actor: user.username, action: 'alarm_ack', subject: `${site}/${device}/${code}`, body: { count: row.count, message: row.message, note: row.note } });
  });
  ctx.log.info({ site, device, code, by: user.username }, 'alarm acknowledged');
  return getDevice(ctx, site, device);
}

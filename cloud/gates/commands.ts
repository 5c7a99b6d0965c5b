import { randomUUID } from 'node:crypto';
import { and, desc, eq, gt } from 'drizzle-orm';
import { z } from 'zod';
import { COMMANDS, commandResponse, type CommandRequest } from '../../shared/sync/messages.ts';
import { topics } from '../../shared/sync/topics.ts';
import type { CloudContext } from '../context.ts';
import { commands } from '../db/schema/index.ts';
import { appendAudit, auditedTx } from '../audit/chain.ts';

export const commandInput = z.object({
  name: z.enum(COMMANDS),
  args: z.record(z.string(), z.unknown()).default({}),
  /** How long the command may wait for a device that is offline. */
  ttlSeconds: z.number().int().min(1).max(86_400).default(60),
});

const FINAL = new Set(['done', 'failed', 'expired', 'rejected']);

/** Records a command and sends it; a device that is offline gets it when it comes back, if still in time. */
export async function sendCommand(ctx: CloudContext, site: string, device: string, input: z.infer<typeof commandInput>, actor = 'system') {
  const id = randomUUID();
  const expiresAt = ctx.now() + input.ttlSeconds * 1000;
  const row = await auditedTx(ctx.db, async (tx) => {
    const [r] = await tx.insert(commands).values({ id, site, device, name: input.name, args: input.args, expiresAt: new Date(expiresAt) }).returning();
    await appendAudit(tx, { at: ctx.now(), actor, action: 'device_command', subject: `${site}/${device}`, body: { command: input.name, id, args: input.args, ttlSeconds: input.ttlSeconds } });
    return r!;
  });
  ctx.publish(topics.cmdReq(site, device), { id, name: input.name, args: input.args, expiresAt } satisfies CommandRequest, 1);
  return row;
}

/** Sends again every command still waiting for this device and not expired (it just came online). */
export async function resendPending(ctx: CloudContext, site: string, device: string): Promise<number> {
  const waiting = await ctx.db.select().from(commands).where(and(
    eq(commands.site, site), eq(commands.device, device), eq(commands.status, 'sent'), gt(commands.expiresAt, new Date(ctx.now())),
  ));
  for (const c of waiting) {
    ctx.publish(topics.cmdReq(site, device), { id: c.id, name: c.name as CommandRequest['name'], args: c.args as Record<string, unknown>, expiresAt: c.expiresAt.getTime() }, 1);
  }
  return waiting.length;
}

/** A device acknowledged a command. A final status is never overwritten by a late 'accepted'. */
export async function recordResponse(ctx: CloudContext, site: string, device: string, payload: unknown): Promise<void> {
  const r = commandResponse.safeParse(payload);
  if (!r.success) {
    ctx.log.warn({ site, device }, 'ignored malformed command response');
    return;
  }
  const [row] = await ctx.db.select().from(commands).where(and(eq(commands.id, r.data.id), eq(commands.device, device)));
  if (!row || FINAL.has(row.status)) return;
  await ctx.db.update(commands).set({ status: r.data.status, detail: r.data.detail ?? null, updatedAt: new Date(ctx.now()) }).where(eq(commands.id, r.data.id));
}

export async function listCommands(ctx: CloudContext, site: string, device: string) {
  return ctx.db.select().from(commands).where(and(eq(commands.site, site), eq(commands.device, device))).orderBy(desc(commands.createdAt)).limit(100);
}

export async function getCommand(ctx: CloudContext, id: string) {
  const [row] = z.string().uuid().safeParse(id).success ? await ctx.db.select().from(commands).where(eq(commands.id, id)) : [];
  return row;
}

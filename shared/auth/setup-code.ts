import { base64urlnopad } from '@scure/base';
import { z } from 'zod';

/**
 * The setup code of a provisioned device: what HQ's 设备登记 screen shows once as a QR code,
 * and what the board's installer reads (`provisioning/install.sh --setup-qr photo.png`, or
 * `--setup-code` with what a scanner typed) to write the agent's config. `TKS1:` then the
 * JSON below as base64url: QR byte mode, one line, nothing to escape in a shell. Node and the
 * browser both read it (the handheld page scans its own with the camera).
 */
export const SETUP_PREFIX = 'TKS1:';

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
export const setupPayload = z.strictObject({
  site: name,
  device: name,
  role: z.enum(['gate', 'kiosk', 'hub', 'pos', 'handheld']),
  /** The lanes a gate serves (its config takes the first as `lane`). */
  lanes: z.array(name).max(64).default([]),
  cloudUrl: z.string().url(),
  mqttUrl: z.string().url(),
  /** The device credential: the agent's `token`. */
  token: z.string().min(1).max(200),
});
export type SetupPayload = z.infer<typeof setupPayload>;

export function encodeSetupCode(p: z.input<typeof setupPayload>): string {
  return SETUP_PREFIX + base64urlnopad.encode(new TextEncoder().encode(JSON.stringify(setupPayload.parse(p))));
}

/** The payload of a setup code, or a thrown error saying what is wrong with it. */
export function decodeSetupCode(code: string): SetupPayload {
  const t = code.trim();
  if (!t.startsWith(SETUP_PREFIX)) throw new Error(`not a device setup code (it starts with ${SETUP_PREFIX})`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64urlnopad.decode(t.slice(SETUP_PREFIX.length))));
  } catch {
    throw new Error('device setup code is damaged: scan it again');
  }
  return setupPayload.parse(json);
}

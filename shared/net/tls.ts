import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/**
 * Transport security shared by every program: HQ and the site hub serve HTTP and MQTT over
 * TLS with a certificate and key from files; gates, kiosks and the hub's uplink check the
 * server against a CA from a file (a site's own CA from `provisioning/tls/`, or none for a
 * public certificate). Plain text only where nobody else can listen: loopback, or where an
 * operator wrote `insecure` in the config and takes the blame.
 */

/** Paths of a server's certificate (chain) and private key, PEM. */
export interface ServerTlsFiles { cert: string; key: string }

/** The certificate and key, read at start so a bad path stops the program with its name. */
export function readServerTls(files: ServerTlsFiles, what: string): { cert: Buffer; key: Buffer } {
  return { cert: readPem(files.cert, `${what} certificate`), key: readPem(files.key, `${what} key`) };
}

/** A CA bundle (PEM) that a client trusts instead of the system's list. */
export function readCa(path: string, what: string): Buffer {
  return readPem(path, `${what} CA`);
}

function readPem(path: string, what: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (err) {
    throw new TlsConfigError(`${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!pem.includes('-----BEGIN ')) throw new TlsConfigError(`${what}: ${path} is not PEM`);
  return pem;
}

export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

/** 127.0.0.0/8, ::1 and `localhost`: only this machine can reach or listen there. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return mapped !== null && mapped[1]!.startsWith('127.');
}

/**
 * A server about to listen on `host` without TLS: refused unless the host is loopback or the
 * config says `insecure`. The message names what to set.
 */
export function assertPlainListenAllowed(what: string, host: string, insecure: boolean, howToFix: string): void {
  if (insecure || isLoopback(host)) return;
  throw new TlsConfigError(`${what}: refusing to serve plain text on ${host}, which is not loopback: ${howToFix}`);
}

/** Schemes that carry TLS. */
const SECURE = new Set(['https:', 'mqtts:', 'wss:']);

/**
 * A client about to connect to `url`: a plain-text URL (http:, mqtt:, ws:) is refused unless
 * its host is loopback or the config says `insecure`, since the device's token travels in it.
 */
export function assertPlainUrlAllowed(what: string, url: string, insecure: boolean, howToFix: string): void {
  const u = new URL(url);
  if (SECURE.has(u.protocol) || insecure || isLoopback(u.hostname)) return;
  throw new TlsConfigError(`${what}: refusing to send credentials in plain text to ${u.protocol}//${u.host}: ${howToFix}`);
}

export const isSecureUrl = (url: string) => SECURE.has(new URL(url).protocol);

/** A device's URLs (config key -> URL): each must be TLS, loopback, or allowed by `insecure`. */
export function checkDeviceUrls(source: string, urls: Record<string, string | undefined>, insecure: boolean): void {
  for (const [key, url] of Object.entries(urls)) {
    if (url === undefined) continue;
    try {
      assertPlainUrlAllowed(key, url, insecure, 'use https:// and mqtts:// (with "ca" for a site CA), or "insecure": true');
    } catch (err) {
      throw new Error(`${source}: ${(err as Error).message}`);
    }
  }
}

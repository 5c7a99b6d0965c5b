import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { clientIdFor } from '../../shared/auth/device.ts';
import type { Logger } from '../../shared/log/logger.ts';

/**
 * Device accounts at an external mosquitto (2.x), kept by HQ through mosquitto's dynamic
 * security plugin, so a broker named by MQTT_URL checks the same credentials and topic rules
 * as the built-in one (shared/auth/device.ts `canPublish` / `canSubscribe`):
 *
 *   default      publish, receive, subscribe: denied; unsubscribe: allowed
 *   tk-hq        HQ itself (added to HQ's own login): everything
 *   tk-site-S    receive within tk/v1/S/#; subscribe to the site's doorbell and site-wide
 *                mode (tk/v1/S/notify, tk/v1/S/desired)
 *   tk-gates-S   a gate also subscribes to its siblings' uploads (tk/v1/S/+/up)
 *   tk-dev-S-D   a gate or kiosk D publishes its own tk/v1/S/D/{up,status,reported,cmd/res}
 *                and subscribes to its own tk/v1/S/D/{up/ack,desired,cmd/req}
 *   tk-hub-S     a hub publishes those of any device of S (it relays them) and subscribes
 *                within tk/v1/S/#
 *   client       username role:S:D, bound to the client id role:S:D (another device's
 *                credential cannot take it), password its token, roles tk-site-S and
 *                tk-dev-S-D (and tk-gates-S for a gate) or tk-hub-S; disabled while HQ has
 *                no active device of that role provisioned under that name
 *
 * Why the plugin and not a password file + ACL file: accounts are added over MQTT the moment
 * HQ issues a credential, by whichever HQ node issued it, with no file to copy to the broker's
 * host and no reload; mosquitto hashes the passwords (PBKDF2-SHA512) and keeps them in its own
 * dynamic-security.json. HQ's login needs the plugin's admin role (`mosquitto_ctrl dynsec
 * init`, see provisioning/mosquitto/). On every (re)connect HQ puts back the roles and any
 * issued account the broker lacks.
 */

/** What a device of each role publishes and subscribes to (MQTT 3.1.1 topics; shared/auth/device.ts holds the rule). */
const OWN_TOPICS = ['up', 'status', 'reported', 'cmd/res', 'charges'] as const;
const OWN_SUBSCRIPTIONS = ['up/ack', 'desired', 'cmd/req'] as const;
const SITE_SUBSCRIPTIONS = ['notify', 'desired'] as const;
const TOPIC = 'tk/v1';
const CONTROL = '$CONTROL/dynamic-security/v1';

export type AccountRole = 'gate' | 'kiosk' | 'hub' | 'pos';
export interface Account {
  role: AccountRole; site: string; device: string; username: string; token: string;
  /** false: HQ has no active device of this role under this name (switched off, or provisioned as another role): the account is disabled. */
  active?: boolean;
}

type Acl = { acltype: string; topic: string; allow: boolean; priority?: number };
type Command = Record<string, unknown> & { command: string };
type Response = { command: string; error?: string; data?: any; correlationData?: string };

const allow = (acltype: string, topic: string): Acl => ({ acltype, topic, allow: true });

/** The roles an account needs, with their ACLs (test/mosquitto.test.ts holds them to the built-in broker's ACL matrix). */
type Role = { rolename: string; acls: Acl[]; drop?: Omit<Acl, 'allow'>[] };

function accountRoles(a: Pick<Account, 'role' | 'site' | 'device'>): Role[] {
  const at = (t: string) => `${TOPIC}/${a.site}/${t}`;
  const site = {
    rolename: `tk-site-${a.site}`,
    acls: [...SITE_SUBSCRIPTIONS.map((t) => allow('subscribePattern', at(t))), allow('publishClientReceive', at('#'))],
    // Given by earlier versions to every device of the site: hubs alone subscribe that widely now.
    drop: [{ acltype: 'subscribePattern', topic: at('#') }],
  };
  if (a.role === 'hub') {
    return [site, { rolename: `tk-hub-${a.site}`, acls: [...OWN_TOPICS.map((t) => allow('publishClientSend', at(`+/${t}`))), allow('subscribePattern', at('#'))] }];
  }
  const own = {
    rolename: `tk-dev-${a.site}-${a.device}`,
    acls: [...OWN_TOPICS.map((t) => allow('publishClientSend', at(`${a.device}/${t}`))), ...OWN_SUBSCRIPTIONS.map((t) => allow('subscribePattern', at(`${a.device}/${t}`)))],
  };
  return a.role === 'gate' ? [site, { rolename: `tk-gates-${a.site}`, acls: [allow('subscribePattern', at('+/up'))] }, own] : [site, own];
}

const HQ_ROLE = { rolename: 'tk-hq', acls: [allow('publishClientSend', '#'), allow('publishClientReceive', '#'), allow('subscribePattern', '#')] };

/** Errors that mean "it is there already": the commands are sent again on every connect. */
const ALREADY = /already exists|already has|ACL with this topic already exists/i;

export class DynsecAccounts {
  private client: MqttClient | undefined;
  /** One command message at a time: each waits for its answers before the next goes. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly waiting = new Map<string, { resolve: (r: Response) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  constructor(private readonly opts: {
    url: string; username: string; password: string; log: Logger;
    /** TLS options (ca) for mqtts://. */
    tls?: Pick<IClientOptions, 'ca' | 'rejectUnauthorized'>;
    /** Every account HQ issued, with its token (read on every connect). */
    accounts: () => Promise<Account[]>;
    timeoutMs?: number;
  }) {}

  /** Connects and sets the broker up; rejects with a message saying what to fix when the plugin does not answer. */
  async start(): Promise<void> {
    const client = mqtt.connect(this.opts.url, {
      clientId: `hq-dynsec-${randomUUID().slice(0, 8)}`, clean: true, protocolVersion: 4, reconnectPeriod: 2000,
      connectTimeout: this.timeout, username: this.opts.username, password: this.opts.password, ...this.opts.tls,
    });
    this.client = client;
    client.on('message', (_topic, payload) => this.answer(payload));
    client.on('error', (err) => this.opts.log.warn({ err: err.message }, 'dynamic security connection error'));
    const first = new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    try {
      await first;
      await this.setUp();
      // From now on: a broker that restarted (or an HQ that issued credentials while it was
      // away) is put right on every reconnect.
      client.on('connect', () => {
        void this.setUp().catch((err: Error) => this.opts.log.error({ err: err.message }, 'could not set up device accounts at the broker'));
      });
    } catch (err) {
      await this.stop();
      throw new Error(`MQTT_URL broker: could not manage device accounts through mosquitto's dynamic security plugin (${(err as Error).message}). ` +
        'Load the plugin and give MQTT_USERNAME its admin role (provisioning/mosquitto/setup.sh), or set MQTT_ACCOUNTS=manual and configure the broker\'s authentication yourself.');
    }
  }

  async stop(): Promise<void> {
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new Error('stopped'));
    }
    this.waiting.clear();
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true);
  }

  /**
   * Adds (or brings up to date) one device's account: roles, password, its own client id,
   * and enabled or disabled as HQ's record of the device says.
   */
  async register(a: Account): Promise<void> {
    const roles = accountRoles(a);
    const clientid = clientIdFor({ role: a.role, site: a.site, device: a.device });
    const created = await this.send([
      ...roles.flatMap(roleCommands),
      { command: 'createClient', username: a.username, password: a.token, clientid, roles: roles.map((r) => ({ rolename: r.rolename })) },
    ]);
    // An account that existed already may hold an old password, no client id, or lack a role.
    if (created.at(-1)?.error) {
      await this.send([{ command: 'setClientPassword', username: a.username, password: a.token }, { command: 'setClientId', username: a.username, clientid }]);
      await this.ensureRoles(a.username, roles.map((r) => r.rolename));
    }
    // Disabling also ends the client's session at the broker.
    await this.send([{ command: a.active === false ? 'disableClient' : 'enableClient', username: a.username }]);
    this.opts.log.info({ username: a.username, active: a.active !== false }, 'device account at the broker');
  }

  private get timeout(): number {
    return this.opts.timeoutMs ?? 5000;
  }

  /** Defaults, HQ's own role, every issued account the broker does not have, and those HQ switched off disabled. */
  private async setUp(): Promise<void> {
    await this.send([
      {
        command: 'setDefaultACLAccess', acls: [
          { acltype: 'publishClientSend', allow: false }, { acltype: 'publishClientReceive', allow: false },
          { acltype: 'subscribe', allow: false }, { acltype: 'unsubscribe', allow: true },
        ],
      },
      ...roleCommands(HQ_ROLE),
    ]);
    await this.ensureOwnRole();
    const [list] = await this.send([{ command: 'listClients', verbose: false, count: -1, offset: 0 }]);
    const have = new Set<string>((list?.data?.clients ?? []).map((c: string | { username: string }) => (typeof c === 'string' ? c : c.username)));
    const accounts = await this.opts.accounts();
    const missing = accounts.filter((a) => !have.has(a.username));
    for (const a of missing) await this.register(a);
    if (missing.length) this.opts.log.info({ added: missing.length }, 'device accounts restored at the broker');
    // Devices HQ switched off while the broker was out of reach: their accounts are disabled now.
    const off = accounts.filter((a) => a.active === false && have.has(a.username));
    if (off.length) await this.send(off.map((a) => ({ command: 'disableClient', username: a.username })));
  }

  /**
   * HQ's own login gets its topic rights. mosquitto disconnects a client whose roles change
   * (so the new rights apply) before it answers, so the command is sent without waiting for
   * an answer and the session's next connect is the sign that it was done.
   */
  private async ensureOwnRole(): Promise<void> {
    const [got] = await this.send([{ command: 'getClient', username: this.opts.username }]);
    const roles: { rolename: string }[] = got?.data?.client?.roles ?? [];
    if (roles.some((r) => r.rolename === HQ_ROLE.rolename)) return;
    const client = this.client!;
    const back = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the broker did not let HQ back in after giving it its role')), this.timeout * 3);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    back.catch(() => undefined);
    await client.publishAsync(CONTROL, JSON.stringify({ commands: [{ command: 'addClientRole', username: this.opts.username, rolename: HQ_ROLE.rolename }] }), { qos: 1 }).catch(() => undefined);
    await back;
    this.opts.log.info({ username: this.opts.username, role: HQ_ROLE.rolename }, 'HQ\'s own topic rights granted at the broker');
  }

  /** Adds the roles a client lacks (mosquitto 2.0 answers "Internal error" to adding one it has). */
  private async ensureRoles(username: string, rolenames: string[]): Promise<void> {
    const [got] = await this.send([{ command: 'getClient', username }]);
    if (got?.error) throw new Error(`getClient ${username}: ${got.error}`);
    const has = new Set<string>((got?.data?.client?.roles ?? []).map((r: { rolename: string }) => r.rolename));
    const missing = rolenames.filter((r) => !has.has(r));
    if (missing.length) await this.send(missing.map((rolename) => ({ command: 'addClientRole', username, rolename })));
  }

  /** Sends commands in one message; resolves with their responses (errors that say "exists" cleared). */
  private send(commands: Command[]): Promise<Response[]> {
    const run = this.queue.then(() => this.sendNow(commands));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(commands: Command[]): Promise<Response[]> {
    const client = this.client;
    if (!client?.connected) throw new Error('not connected to the broker');
    await client.subscribeAsync(`${CONTROL}/response`, { qos: 1 });
    const tagged = commands.map((c) => ({ ...c, correlationData: randomUUID() }));
    const answers = Promise.all(tagged.map((c) => new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(c.correlationData);
        reject(new Error(`no answer to ${c.command} within ${this.timeout} ms`));
      }, this.timeout);
      this.waiting.set(c.correlationData, { resolve, reject, timer });
    })));
    answers.catch(() => undefined); // awaited below; a failed publish must not leave it unhandled
    await client.publishAsync(CONTROL, JSON.stringify({ commands: tagged }), { qos: 1 });
    const responses = await answers;
    for (const r of responses) {
      if (!r.error) continue;
      if (ALREADY.test(r.error)) continue;
      if (r.command === 'createClient' || r.command === 'createRole') continue; // reported to the caller
      if (r.command === 'removeRoleACL') continue; // it was not there
      throw new Error(`${r.command}: ${r.error}`);
    }
    return responses;
  }

  private answer(payload: Buffer): void {
    let body: { responses?: Response[] };
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    for (const r of body.responses ?? []) {
      const w = r.correlationData ? this.waiting.get(r.correlationData) : undefined;
      if (!w) continue;
      clearTimeout(w.timer);
      this.waiting.delete(r.correlationData!);
      w.resolve(r);
    }
  }
}

/**
 * Creating a role that exists fails; its ACLs are then added one by one (each "exists" is
 * fine), and those it must no longer have removed (one it does not have is fine).
 */
function roleCommands(role: Role): Command[] {
  return [
    { command: 'createRole', rolename: role.rolename },
    ...(role.drop ?? []).map((acl) => ({ command: 'removeRoleACL', rolename: role.rolename, ...acl })),
    ...role.acls.map((acl) => ({ command: 'addRoleACL', rolename: role.rolename, ...acl })),
  ];
}

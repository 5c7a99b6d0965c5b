import type { Logger } from '../../shared/log/logger.ts';
import { testLog } from './cloud.ts';

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  ns: string;
  msg: string;
  fields: Record<string, unknown>;
}

/**
 * A Logger that keeps what it is told, so a test can check that a refusal was logged with
 * its reason. Children share one record list; everything is also passed on to `inner`
 * (the usual test logger: silent unless LOG_LEVEL is set).
 */
export class RecordingLogger implements Logger {
  constructor(
    readonly records: LogRecord[] = [],
    readonly ns = 'test',
    private readonly inner: Logger = testLog,
    /** Debug messages are lazy; evaluate and keep them only when asked. */
    private readonly keepDebug = false,
  ) {}

  debug(fields: object | (() => object), msg?: string): void {
    this.inner.debug(fields, msg);
    if (this.keepDebug) this.add('debug', typeof fields === 'function' ? fields() : fields, msg);
  }
  info(fields: object, msg?: string): void { this.inner.info(fields, msg); this.add('info', fields, msg); }
  warn(fields: object, msg?: string): void { this.inner.warn(fields, msg); this.add('warn', fields, msg); }
  error(fields: object, msg?: string): void { this.inner.error(fields, msg); this.add('error', fields, msg); }

  child(namespace: string): Logger {
    return new RecordingLogger(this.records, `${this.ns}:${namespace}`, this.inner.child(namespace), this.keepDebug);
  }

  /** Records whose message contains `msg` (and whose fields match `where`, if given), from index `from` on. */
  find(msg: string | RegExp, where: (r: LogRecord) => boolean = () => true, from = 0): LogRecord[] {
    const hit = (m: string) => (typeof msg === 'string' ? m.includes(msg) : msg.test(m));
    return this.records.slice(from).filter((r) => hit(r.msg) && where(r));
  }

  /** Where the next record will go: pass to find() to look only at what came after. */
  get mark(): number { return this.records.length; }

  private add(level: LogRecord['level'], fields: object, msg?: string): void {
    this.records.push({ level, ns: this.ns, msg: msg ?? '', fields: { ...fields } as Record<string, unknown> });
  }
}

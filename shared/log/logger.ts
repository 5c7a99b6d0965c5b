import { pino, type Logger as Pino } from 'pino';

/** One small logger interface; pino underneath. A namespace per module: `gate:uplink`. */
export interface Logger {
  debug(fields: object | (() => object), msg?: string): void;
  info(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
  error(fields: object, msg?: string): void;
  child(namespace: string): Logger;
}

class PinoLogger implements Logger {
  private readonly p: Pino;
  constructor(private readonly root: Pino, private readonly ns: string) {
    this.p = root.child({ ns });
  }
  debug(fields: object | (() => object), msg?: string): void {
    if (this.p.isLevelEnabled('debug')) this.p.debug(typeof fields === 'function' ? fields() : fields, msg);
  }
  info(fields: object, msg?: string): void { this.p.info(fields, msg); }
  warn(fields: object, msg?: string): void { this.p.warn(fields, msg); }
  error(fields: object, msg?: string): void { this.p.error(fields, msg); }
  child(namespace: string): Logger {
    return new PinoLogger(this.root, `${this.ns}:${namespace}`);
  }
}

/** LOG_LEVEL=debug|info|warn|error|silent; default info, silent under tests unless asked. */
export function createLogger(namespace: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return new PinoLogger(pino({ level, base: {} }), namespace);
}

export const silentLogger: Logger = createLogger('silent', 'silent');

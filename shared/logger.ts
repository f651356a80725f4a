/**
 * Structured JSON logs, one line per entry. Keys that look like secrets are masked before writing,
 * and callers never log secret values in messages.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const SECRET_KEY = /pass(word)?|secret|token|private.?key|pem|credential|authorization|api.?key/i;
const MASK = '****';

/** Deep copy with every value under a secret-looking key replaced by `****`. */
export function redact<T>(value: T, depth = 0): T {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return (value as unknown[]).map((v) => redact(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] =
      SECRET_KEY.test(k) && v !== undefined && v !== null && typeof v !== 'boolean'
        ? MASK
        : redact(v, depth + 1);
  }
  return out as T;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(
  opts: { level?: LogLevel; fields?: Record<string, unknown>; write?: (line: string) => void } = {},
): Logger {
  const level = opts.level ?? ((process.env.LOG_LEVEL as LogLevel | undefined) || 'info');
  const write = opts.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const fields = opts.fields ?? {};
  const emit = (lvl: LogLevel, message: string, data?: Record<string, unknown>): void => {
    if (ORDER[lvl] < (ORDER[level] ?? 20)) return;
    write(
      JSON.stringify(redact({ level: lvl, time: new Date().toISOString(), message, ...fields, ...data })),
    );
  };
  return {
    debug: (m, d) => emit('debug', m, d),
    info: (m, d) => emit('info', m, d),
    warn: (m, d) => emit('warn', m, d),
    error: (m, d) => emit('error', m, d),
    child: (more) => createLogger({ level, write, fields: { ...fields, ...more } }),
  };
}

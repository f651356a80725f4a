import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HttpRequest } from '../http-server.js';

/**
 * Who may use the console: whoever holds the stack's console token. `npm start` makes a new one
 * at each start, prints it once in the console URL and keeps it in `<stateDir>/console-token`
 * (mode 0600, so the CLI of the same user finds it and other local users do not). The login URL
 * sets it as an HttpOnly, SameSite=Strict cookie; the CLI sends it as a bearer token. Every POST
 * with the cookie also needs the CSRF token of the form and an Origin of this server.
 */
export const COOKIE = 'ghes_ops_console';
export const TOKEN_FILE = 'console-token';

export const newConsoleToken = (): string => randomBytes(32).toString('hex');

/** Writes the token where the CLI of the same user reads it. */
export function saveConsoleToken(stateDir: string, token: string): string {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, TOKEN_FILE);
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return file;
}

/** The running stack's token, if it left one in the state directory. */
export function readConsoleToken(stateDir: string): string | undefined {
  try {
    return readFileSync(path.join(stateDir, TOKEN_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function cookie(req: HttpRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(/;\s*/)) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i) === name) return part.slice(i + 1);
  }
  return undefined;
}

export type Caller = { via: 'cookie' } | { via: 'bearer' };

export class ConsoleAuth {
  constructor(readonly token: string) {}

  /** The CSRF token of the console's forms (derived from the console token: nothing to store). */
  get csrf(): string {
    return createHmac('sha256', this.token).update('console-csrf').digest('hex');
  }

  /** The `Set-Cookie` of a login. */
  loginCookie(): string {
    return `${COOKIE}=${this.token}; Path=/console; HttpOnly; SameSite=Strict`;
  }

  /**
   * The caller, or undefined when the request has no valid token. A Host other than loopback is
   * refused too (DNS rebinding: a page of another site resolving its name to 127.0.0.1).
   */
  caller(req: HttpRequest): Caller | undefined {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') return undefined;
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && auth.startsWith('Bearer '))
      return same(auth.slice(7).trim(), this.token) ? { via: 'bearer' } : undefined;
    const c = cookie(req, COOKIE);
    return c !== undefined && same(c, this.token) ? { via: 'cookie' } : undefined;
  }

  /**
   * Whether a state-changing request may go on: a bearer caller (the CLI: no ambient credentials)
   * always; a cookie caller only with the form's CSRF token and an Origin of this server.
   */
  mayChange(req: HttpRequest, caller: Caller, form: URLSearchParams): boolean {
    if (caller.via === 'bearer') return true;
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || origin !== `http://${req.headers.host ?? ''}`) return false;
    const csrf = form.get('csrf');
    return csrf !== null && same(csrf, this.csrf);
  }
}

import { InputValidationError, type FieldProblem } from './errors.js';

/**
 * Validation at the edge. `Fields` reads an untrusted object field by field, collects every
 * problem (so the user fixes all of them at once) and throws one `InputValidationError` that
 * names each field and says what is expected.
 */
export const PATTERNS = {
  /** GitHub Support ticket number: 7 digits. */
  ticket: /^[0-9]{7}$/,
  /** ghe-support-bundle period, e.g. `2days`, `12hours`. */
  period: /^[1-9][0-9]{0,2}(minutes?|hours?|days?)$/,
  /** EC2 instance id. */
  instanceId: /^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$/,
  /** DNS host name or IPv4 address (no user, no port, no shell metacharacters). */
  host: /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
  /** A plain mailbox, ASCII only (lookalike Unicode is refused). */
  email:
    /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/,
} as const;

const show = (v: unknown): string => {
  const s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

export class Fields {
  readonly problems: FieldProblem[] = [];
  private readonly obj: Record<string, unknown>;

  constructor(
    input: unknown,
    private readonly what = 'input',
    private readonly prefix = '',
  ) {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      this.problems.push({ field: prefix || '(input)', problem: 'must be a JSON object' });
      this.obj = {};
    } else {
      this.obj = input as Record<string, unknown>;
    }
  }

  /** The full name of `field` (with this object's prefix), as problems name it. */
  name(field: string): string {
    return this.prefix ? `${this.prefix}.${field}` : field;
  }

  has(field: string): boolean {
    return this.obj[field] !== undefined && this.obj[field] !== null;
  }

  raw(field: string): unknown {
    return this.obj[field];
  }

  fail(field: string, problem: string): void {
    this.problems.push({ field: this.name(field), problem });
  }

  /** Refuses fields the schema does not know (catches typos like `tikcet`). */
  only(known: string[]): this {
    for (const key of Object.keys(this.obj)) {
      if (!known.includes(key)) this.fail(key, `unknown field; expected one of ${known.join(', ')}`);
    }
    return this;
  }

  string(
    field: string,
    opts: { pattern?: RegExp; hint?: string; maxLength?: number; required?: boolean; default?: string } = {},
  ): string | undefined {
    const v = this.obj[field];
    if (v === undefined || v === null || v === '') {
      if (opts.required) this.fail(field, `is required${opts.hint ? ` (${opts.hint})` : ''}`);
      return opts.default;
    }
    if (typeof v !== 'string') {
      this.fail(field, `must be a string${opts.hint ? ` (${opts.hint})` : ''}, got ${show(v)}`);
      return undefined;
    }
    const max = opts.maxLength ?? 256;
    if (v.length > max) {
      this.fail(field, `is too long (${v.length} characters, at most ${max})`);
      return undefined;
    }
    if (/[\0\r\n]/.test(v) && opts.pattern) {
      this.fail(field, `must not contain control characters${opts.hint ? ` (${opts.hint})` : ''}`);
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      this.fail(field, `${show(v)} is not valid${opts.hint ? `: expected ${opts.hint}` : ''}`);
      return undefined;
    }
    return v;
  }

  requiredString(field: string, opts: { pattern?: RegExp; hint?: string; maxLength?: number } = {}): string {
    return this.string(field, { ...opts, required: true }) ?? '';
  }

  boolean(field: string, def: boolean): boolean {
    const v = this.obj[field];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') {
      this.fail(field, `must be true or false, got ${show(v)}`);
      return def;
    }
    return v;
  }

  integer(field: string, opts: { min: number; max: number; default: number }): number {
    const v = this.obj[field];
    if (v === undefined || v === null) return opts.default;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < opts.min || v > opts.max) {
      this.fail(field, `must be a whole number from ${opts.min} to ${opts.max}, got ${show(v)}`);
      return opts.default;
    }
    return v;
  }

  oneOf<T extends string>(field: string, values: readonly T[], def?: T): T | undefined {
    const v = this.obj[field];
    if (v === undefined || v === null) {
      if (def === undefined) this.fail(field, `is required: one of ${values.join(', ')}`);
      return def;
    }
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.fail(field, `must be one of ${values.join(', ')}, got ${show(v)}`);
      return def;
    }
    return v as T;
  }

  /** A list of email addresses, as an array or a comma-separated string. */
  emails(field: string, opts: { max?: number } = {}): string[] | undefined {
    const v = this.obj[field];
    if (v === undefined || v === null) return undefined;
    const list =
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : v;
    if (!Array.isArray(list) || list.some((a) => typeof a !== 'string')) {
      this.fail(field, 'must be a list of email addresses');
      return undefined;
    }
    const max = opts.max ?? 20;
    if (list.length > max) {
      this.fail(field, `has ${list.length} addresses, at most ${max}`);
      return undefined;
    }
    const bad = (list as string[]).filter((a) => !PATTERNS.email.test(a));
    if (bad.length) {
      this.fail(field, `not a valid email address: ${bad.map(show).join(', ')}`);
      return undefined;
    }
    return list as string[];
  }

  /** Throws one `InputValidationError` listing every problem found. */
  done(): void {
    if (this.problems.length) throw new InputValidationError(this.problems, this.what);
  }
}

/** An appliance target: EC2 instance id or host name (sandbox names are host names too). */
export function isTarget(value: string): boolean {
  return PATTERNS.instanceId.test(value) || PATTERNS.host.test(value);
}

export const TARGET_HINT =
  'an EC2 instance id (i-0123456789abcdef0) or a host name (ghes-replica.example.com)';

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, InputValidationError, ParameterAlreadyExists } from '../../shared/errors.js';
import type { ParameterStore, PutOptions } from '../../shared/params/parameter-store.js';

/**
 * Parameters in a local JSON file: the workstation's equivalent of SSM Parameter Store.
 *
 * Security: values are stored as given, in clear text. A parameter put with `secure: true` is the
 * local equivalent of an SSM SecureString (the flag is recorded), so the file holds secrets such
 * as the GitHub App private key: it is created with mode 0600 in a directory created with 0700,
 * every write replaces it atomically with a new 0600 file, and it must stay private (never commit
 * it, never share it).
 *
 * Concurrency: writes are serialized per file within this process, so `put` with
 * `overwrite: false` is an atomic create, usable as a lock like SSM's `ParameterAlreadyExists`.
 * Readers never see a half-written file (write to a temporary file, then rename). Separate
 * processes writing the same file are not coordinated.
 */

interface StoredParameter {
  value: string;
  secure: boolean;
  lastModified: string;
}

interface ParameterFile {
  version: 1;
  parameters: Record<string, StoredParameter>;
}

/** SSM parameter names: letters, digits and `_.-/`, at most 1011 characters. */
const NAME = /^[A-Za-z0-9_.\-/]{1,1011}$/;

/** One write queue per file path, shared by every store instance in the process. */
const queues = new Map<string, Promise<unknown>>();

function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(task, task);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return next;
}

export class FileParameterStore implements ParameterStore {
  private readonly path: string;

  constructor(path: string) {
    if (!path) throw new ConfigError('The parameter file path is empty.');
    this.path = resolve(path);
  }

  async get(name: string): Promise<string | undefined> {
    checkName(name);
    const data = await this.read();
    return Object.hasOwn(data.parameters, name) ? data.parameters[name]?.value : undefined;
  }

  async put(name: string, value: string, opts: PutOptions): Promise<void> {
    checkName(name);
    if (typeof value !== 'string')
      throw new InputValidationError([{ field: 'value', problem: 'must be a string' }], 'parameter');
    await serialized(this.path, async () => {
      const data = await this.read();
      if (!opts.overwrite && Object.hasOwn(data.parameters, name)) {
        throw new ParameterAlreadyExists(
          `Parameter ${name} already exists and was not overwritten (another run may hold it).`,
          { name },
        );
      }
      data.parameters[name] = { value, secure: opts.secure, lastModified: new Date().toISOString() };
      await this.write(data);
    });
  }

  async delete(name: string): Promise<void> {
    checkName(name);
    await serialized(this.path, async () => {
      const data = await this.read();
      if (!Object.hasOwn(data.parameters, name)) return;
      delete data.parameters[name];
      await this.write(data);
    });
  }

  /** Whether a parameter was stored as secure (the local SecureString flag). */
  async isSecure(name: string): Promise<boolean | undefined> {
    checkName(name);
    const data = await this.read();
    return Object.hasOwn(data.parameters, name) ? data.parameters[name]?.secure : undefined;
  }

  /**
   * The file as last parsed, with its identity (inode, size, modification time in ns): a read
   * whose stat matches it skips reading and parsing (the service desk reads a token per message).
   * Every write replaces the file (a new inode), so any change, from this process or another, is
   * seen. Callers get a copy of the map, which they may change.
   */
  private parsed: { id: string; parameters: Record<string, StoredParameter> } | undefined;

  private async read(): Promise<ParameterFile> {
    let id: string;
    try {
      const st = await stat(this.path, { bigint: true });
      id = `${st.ino}:${st.size}:${st.mtimeNs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.parsed = undefined;
        return { version: 1, parameters: Object.create(null) as Record<string, StoredParameter> };
      }
      throw new ConfigError(`Cannot read the parameter file ${this.path}: ${(err as Error).message}`);
    }
    if (this.parsed?.id !== id) this.parsed = { id, parameters: (await this.readFile()).parameters };
    const parameters = Object.assign(
      Object.create(null) as Record<string, StoredParameter>,
      this.parsed.parameters,
    );
    return { version: 1, parameters };
  }

  private async readFile(): Promise<ParameterFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { version: 1, parameters: Object.create(null) as Record<string, StoredParameter> };
      throw new ConfigError(`Cannot read the parameter file ${this.path}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Never quote the content: it holds secrets.
      throw new ConfigError(
        `The parameter file ${this.path} is not valid JSON. Fix it or move it away and set the parameters again.`,
      );
    }
    const params = (parsed as { parameters?: unknown } | null)?.parameters;
    if (!params || typeof params !== 'object' || Array.isArray(params)) {
      throw new ConfigError(
        `The parameter file ${this.path} has no "parameters" object. Fix it or move it away.`,
      );
    }
    const out = Object.create(null) as Record<string, StoredParameter>;
    for (const [k, v] of Object.entries(params as Record<string, unknown>)) {
      const p = v as Partial<StoredParameter> | null;
      if (!p || typeof p.value !== 'string') {
        throw new ConfigError(
          `The parameter file ${this.path} has an invalid entry for ${JSON.stringify(k).slice(0, 80)}.`,
        );
      }
      out[k] = { value: p.value, secure: p.secure === true, lastModified: String(p.lastModified ?? '') };
    }
    return { version: 1, parameters: out };
  }

  private async write(data: ParameterFile): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.${basename(this.path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const sorted: Record<string, StoredParameter> = {};
    for (const k of Object.keys(data.parameters).sort()) sorted[k] = data.parameters[k] as StoredParameter;
    const body = JSON.stringify({ version: 1, parameters: sorted }, null, 2) + '\n';
    try {
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(body, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await chmod(tmp, 0o600); // the umask cannot widen 0600, but be explicit
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new ConfigError(`Cannot write the parameter file ${this.path}: ${(err as Error).message}`);
    }
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InputValidationError(
      [
        {
          field: 'name',
          problem: `${JSON.stringify(name).slice(0, 80)} is not a valid parameter name (letters, digits and _.-/ only, such as /ghes-ops/app/private-key)`,
        },
      ],
      'parameter name',
    );
  }
}

import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ConfigError, InputValidationError, ParameterAlreadyExists } from '../../shared/errors.js';
import { FileParameterStore } from '../../local/adapters/file-parameter-store.js';
import { failure } from '../helpers/failure.js';

const KEY = '/ghes-ops/app/private-key';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n';
let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ghes-ops-params-'));
  file = join(dir, 'state', 'parameters.json');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('FileParameterStore', () => {
  it('sees every change to the file, from another store or another program, though it keeps the parsed file', async () => {
    const a = new FileParameterStore(file);
    const b = new FileParameterStore(file);
    await a.put('/p/token', 'one', { secure: true, overwrite: true });
    expect(await a.get('/p/token')).toBe('one');
    await b.put('/p/token', 'two', { secure: true, overwrite: true });
    expect(await a.get('/p/token')).toBe('two');
    // Rewritten in place by hand (same inode), one character longer.
    const text = readFileSync(file, 'utf8').replace('"two"', '"three"');
    writeFileSync(file, text);
    expect(await a.get('/p/token')).toBe('three');
    rmSync(file);
    expect(await a.get('/p/token')).toBeUndefined();
  });

  it('returns undefined before the file exists', async () => {
    expect(await new FileParameterStore(file).get(KEY)).toBeUndefined();
  });

  it('creates a private file (0600 in a 0700 directory) and reads values back', async () => {
    const store = new FileParameterStore(file);
    await store.put(KEY, PEM, { secure: true, overwrite: false });
    await store.put('/ghes-ops/app/id', '12345', { secure: false, overwrite: false });

    expect(await store.get(KEY)).toBe(PEM);
    expect(await store.isSecure(KEY)).toBe(true);
    expect(await store.isSecure('/ghes-ops/app/id')).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      version: number;
      parameters: Record<string, unknown>;
    };
    expect(saved.version).toBe(1);
    expect(saved.parameters).toEqual({
      '/ghes-ops/app/id': { value: '12345', secure: false, lastModified: expect.any(String) },
      [KEY]: { value: PEM, secure: true, lastModified: expect.any(String) },
    });
    expect(readdirSync(join(dir, 'state'))).toEqual(['parameters.json']);
  });

  it('refuses to overwrite without overwrite: true and keeps the old value', async () => {
    const store = new FileParameterStore(file);
    await store.put('/ghes-ops/lock/failover', 'exec-1', { secure: false, overwrite: false });
    const err = await failure(
      store.put('/ghes-ops/lock/failover', 'exec-2', { secure: false, overwrite: false }),
    );
    expect(err).toBeInstanceOf(ParameterAlreadyExists);
    expect(err.message).toContain('/ghes-ops/lock/failover already exists');
    expect(err.message).not.toContain('exec-');
    expect(await store.get('/ghes-ops/lock/failover')).toBe('exec-1');

    await store.put('/ghes-ops/lock/failover', 'exec-3', { secure: false, overwrite: true });
    expect(await store.get('/ghes-ops/lock/failover')).toBe('exec-3');
  });

  it('lets exactly one of many concurrent callers take a lock, across store instances', async () => {
    const stores = [
      new FileParameterStore(file),
      new FileParameterStore(join(dir, 'state', '..', 'state', 'parameters.json')),
    ];
    const attempts = Array.from({ length: 20 }, (_, i) =>
      stores[i % 2]!.put('/ghes-ops/lock/failover', `exec-${i}`, { secure: false, overwrite: false }).then(
        () => `exec-${i}`,
        (e: unknown) => e,
      ),
    );
    const outcomes = await Promise.all(attempts);
    const winners = outcomes.filter((o): o is string => typeof o === 'string');
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((o) => o instanceof ParameterAlreadyExists)).toHaveLength(19);
    expect(await stores[0]!.get('/ghes-ops/lock/failover')).toBe(winners[0]);
  });

  it('loses no update when many names are written at once', async () => {
    const store = new FileParameterStore(file);
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        store.put(`/ghes-ops/n/${i}`, String(i), { secure: false, overwrite: true }),
      ),
    );
    for (let i = 0; i < 25; i++) expect(await store.get(`/ghes-ops/n/${i}`)).toBe(String(i));
  });

  it('deletes, and deleting a missing parameter is not an error', async () => {
    const store = new FileParameterStore(file);
    await store.delete(KEY);
    await store.put(KEY, PEM, { secure: true, overwrite: false });
    await store.delete(KEY);
    expect(await store.get(KEY)).toBeUndefined();
    await store.put(KEY, 'again', { secure: true, overwrite: false });
    expect(await store.get(KEY)).toBe('again');
  });

  it('tightens a file that was left readable by others on the next write', async () => {
    const store = new FileParameterStore(file);
    await store.put(KEY, PEM, { secure: true, overwrite: false });
    chmodSync(file, 0o644);
    await store.put('/ghes-ops/other', 'x', { secure: false, overwrite: true });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('reports a corrupt file without quoting its content', async () => {
    const store = new FileParameterStore(file);
    await store.put(KEY, PEM, { secure: true, overwrite: false });
    writeFileSync(file, `{"parameters": {"${KEY}": {"value": "MIIEowIBAAKCAQEA`);
    const err = await failure(store.get(KEY));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('is not valid JSON');
    expect(err.message).not.toContain('MIIE');
  });

  it('refuses names SSM would refuse', async () => {
    const store = new FileParameterStore(file);
    for (const name of ['', 'has space', '/ghes-ops/ünï', 'a\nb']) {
      const err = await failure(store.put(name, 'v', { secure: false, overwrite: true }));
      expect(err).toBeInstanceOf(InputValidationError);
    }
  });
});

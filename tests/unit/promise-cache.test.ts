import { describe, expect, it } from '@jest/globals';
import { PromiseCache } from '../../shared/runtime/promise-cache.js';

describe('PromiseCache', () => {
  it('reads once per key within the time, shares a read in flight, reads again after it, keeps no failure', async () => {
    let t = 0;
    let reads = 0;
    const cache = new PromiseCache<string>(1000, () => t);
    const read = async (): Promise<string> => `v${++reads}`;
    const [a, b] = await Promise.all([cache.get('k', read), cache.get('k', read)]);
    expect([a, b, reads]).toEqual(['v1', 'v1', 1]);
    t = 999;
    expect(await cache.get('k', read)).toBe('v1');
    expect(await cache.get('other', read)).toBe('v2');
    t = 1000;
    expect(await cache.get('k', read)).toBe('v3');
    cache.forget('k');
    expect(await cache.get('k', read)).toBe('v4');
    cache.forget();
    expect(await cache.get('other', read)).toBe('v5');

    const failing = cache.get('bad', async () => Promise.reject(new Error('no')));
    await expect(failing).rejects.toThrow('no');
    expect(await cache.get('bad', read)).toBe('v6');
  });
});

import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.js';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('TtlCache', () => {
  it('shares one read between calls within the TTL, in flight or done, and reads again after it', async () => {
    const c = clock();
    const cache = new TtlCache<number>(1000, c.now);
    let reads = 0;
    const read = async () => ++reads;
    expect(await Promise.all([cache.get('a', read), cache.get('a', read)])).toEqual([1, 1]);
    c.advance(999);
    expect(await cache.get('a', read)).toBe(1);
    expect(await cache.get('b', read)).toBe(2);
    c.advance(1);
    expect(await cache.get('a', read)).toBe(3);
  });

  it('does not keep a failed read', async () => {
    const cache = new TtlCache<string>(1000, clock().now);
    await expect(cache.get('a', () => Promise.reject(new Error('gone')))).rejects.toThrow('gone');
    expect(await cache.get('a', async () => 'back')).toBe('back');
  });

  it('drops expired entries as it is used', async () => {
    const c = clock();
    const cache = new TtlCache<string>(1000, c.now);
    await cache.get('removed', async () => 'x');
    c.advance(1000);
    await cache.get('other', async () => 'y');
    expect(cache.size).toBe(1);
  });
});

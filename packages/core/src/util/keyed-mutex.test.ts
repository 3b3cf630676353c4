import { describe, expect, it } from 'vitest';
import { KeyedMutex } from './keyed-mutex.js';

describe('KeyedMutex', () => {
  it('serializes one key and lets others run', async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    const slow = mutex.run('a', async () => {
      await new Promise((r) => setTimeout(r, 30));
      order.push('a1');
    });
    const queued = mutex.run('a', async () => void order.push('a2'));
    const other = mutex.run('b', async () => void order.push('b'));
    await Promise.all([slow, queued, other]);
    expect(order).toEqual(['b', 'a1', 'a2']);
  });

  it('runs the next task after a failure', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run('k', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await mutex.run('k', async () => 1)).toBe(1);
  });
});

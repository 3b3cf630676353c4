import { describe, expect, it } from 'vitest';
import { settleAll } from './settle.js';

describe('settleAll', () => {
  it('answers the values in order', async () => {
    const [a, b] = await settleAll([Promise.resolve(1), new Promise<string>((r) => setTimeout(() => r('two'), 5))]);
    expect([a, b]).toEqual([1, 'two']);
  });

  it('fails with the first failure in order, only once every step has finished', async () => {
    let slowDone = false;
    const slow = new Promise<void>((r) => setTimeout(() => ((slowDone = true), r()), 20));
    await expect(settleAll([Promise.reject(new Error('first')), slow, Promise.reject(new Error('second'))])).rejects.toThrow('first');
    expect(slowDone).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { limiter } from './limit.js';

describe('limiter', () => {
  it('runs at most n jobs at once and every job to its end, failures included', async () => {
    const limit = limiter(2);
    let active = 0;
    let peak = 0;
    const job = (i: number) => async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      if (i === 3) throw new Error('job 3');
      return i;
    };
    const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((i) => limit(job(i))));
    expect(peak).toBe(2);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed'))).toEqual([0, 1, 2, 'failed', 4, 5]);
  });
});

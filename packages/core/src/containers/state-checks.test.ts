import { describe, expect, it } from 'vitest';
import { RECHECK_AFTER_MS, StateChecks } from './state-checks.js';

function checksWithClock() {
  let t = 0;
  return { checks: new StateChecks(() => t), advance: (ms: number) => (t += ms) };
}

describe('StateChecks', () => {
  it('trusts nothing until exits are watched, nor checks made before', () => {
    const { checks } = checksWithClock();
    checks.confirm('a', checks.ticket());
    expect(checks.verdict('a')).toBe('unchecked');
    checks.startWatching();
    expect(checks.verdict('a')).toBe('unchecked');
    checks.confirm('a', checks.ticket());
    expect(checks.verdict('a')).toBe('current');
  });

  it('distrusts a check that began before an announced exit, not one that began after', () => {
    const { checks } = checksWithClock();
    checks.startWatching();
    const before = checks.ticket();
    checks.exitAnnounced('a');
    checks.confirm('a', before);
    expect(checks.verdict('a')).toBe('unchecked');
    checks.confirm('a', checks.ticket());
    expect(checks.verdict('a')).toBe('current');
  });

  it('calls a record stale once unchecked for RECHECK_AFTER_MS, and forgets removed containers', () => {
    const { checks, advance } = checksWithClock();
    checks.startWatching();
    checks.confirm('a', checks.ticket());
    advance(RECHECK_AFTER_MS + 1);
    expect(checks.verdict('a')).toBe('stale');
    checks.forget('a');
    expect(checks.verdict('a')).toBe('unchecked');
  });

  it('runs one background recheck per container at a time', async () => {
    const { checks } = checksWithClock();
    let runs = 0;
    let finish: () => void = () => {};
    const check = () => {
      runs++;
      return new Promise<void>((resolve) => (finish = resolve));
    };
    checks.recheck('a', check);
    checks.recheck('a', check);
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(1);
    finish();
    await new Promise((r) => setImmediate(r));
    checks.recheck('a', check);
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    finish();
  });
});

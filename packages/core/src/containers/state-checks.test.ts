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

  it('names the containers due for a recheck, the longest unchecked first, and forgets removed ones', () => {
    const { checks, advance } = checksWithClock();
    checks.startWatching();
    checks.confirm('a', checks.ticket());
    advance(1000);
    checks.confirm('b', checks.ticket());
    checks.confirm('c', checks.ticket());
    advance(RECHECK_AFTER_MS - 1000);
    expect(checks.due()).toEqual(['a']);
    // Reads still answer from memory: only the sweep asks again.
    expect(checks.verdict('a')).toBe('current');
    checks.confirm('a', checks.ticket());
    advance(1000);
    expect(checks.due()).toEqual(['b', 'c']);
    checks.forget('b');
    expect(checks.due()).toEqual(['c']);
    expect(checks.verdict('b')).toBe('unchecked');
  });
});

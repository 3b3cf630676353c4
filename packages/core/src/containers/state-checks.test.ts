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

  it('tells the sweep how long ago a record was confirmed, and forgets removed containers', () => {
    const { checks, advance } = checksWithClock();
    checks.startWatching();
    checks.confirm('a', checks.ticket());
    advance(RECHECK_AFTER_MS / 2 - 1);
    expect(checks.checkedWithin('a', RECHECK_AFTER_MS / 2)).toBe(true);
    advance(2);
    expect(checks.checkedWithin('a', RECHECK_AFTER_MS / 2)).toBe(false);
    // Still answered from memory: only the sweep asks again.
    expect(checks.verdict('a')).toBe('current');
    checks.exitAnnounced('a');
    expect(checks.checkedWithin('a', RECHECK_AFTER_MS)).toBe(false);
    checks.confirm('b', checks.ticket());
    expect(checks.checkedWithin('b', RECHECK_AFTER_MS / 2)).toBe(true);
    checks.forget('b');
    expect(checks.verdict('b')).toBe('unchecked');
    expect(checks.checkedWithin('b', RECHECK_AFTER_MS / 2)).toBe(false);
  });
});

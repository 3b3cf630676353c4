import { describe, expect, it } from 'vitest';
import { capabilitiesInMask, capabilityMask, capabilityNames, daemonBoundingSet, defaultCapabilities, resolveCapabilities } from './capabilities.js';

const all = [...capabilityNames];
const withoutSysResource = all.filter((c) => c !== 'CAP_SYS_RESOURCE');
const req = (add: string[], drop: string[], privileged = false) => ({ add, drop, addAmbient: [], privileged });

describe('resolveCapabilities', () => {
  it('starts from the CRI-O default set', () => {
    expect(resolveCapabilities(req([], []), all).effective.sort()).toEqual([...defaultCapabilities].sort());
  });

  it('reads ALL in either list, any case, with or without CAP_', () => {
    expect(resolveCapabilities(req(['all'], []), withoutSysResource).effective).toEqual(withoutSysResource);
    expect(resolveCapabilities(req(['NET_ADMIN'], ['ALL']), all).effective).toEqual(['CAP_NET_ADMIN']);
    expect(resolveCapabilities(req([], ['cap_chown', 'Kill']), all).effective).not.toEqual(expect.arrayContaining(['CAP_CHOWN']));
  });

  it('lets a single drop win over a single add', () => {
    expect(resolveCapabilities(req(['NET_RAW'], ['NET_RAW']), all).effective).not.toContain('CAP_NET_RAW');
  });

  it('means the daemon bounding set by all capabilities, for privileged containers too', () => {
    expect(resolveCapabilities(req([], [], true), withoutSysResource).bounding).toEqual(withoutSysResource);
  });

  it('refuses a capability the daemon lacks and an unknown name', () => {
    expect(() => resolveCapabilities(req(['SYS_RESOURCE'], []), withoutSysResource)).toThrow(/CAP_SYS_RESOURCE is not in criod's bounding set/);
    expect(() => resolveCapabilities(req(['FLY'], []), all)).toThrow(/unknown capability "FLY"/);
  });

  it('puts ambient capabilities in inheritable too, as the kernel requires', () => {
    const c = resolveCapabilities({ add: ['NET_BIND_SERVICE'], drop: [], addAmbient: ['NET_BIND_SERVICE'], privileged: false }, all);
    expect(c.ambient).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(c.inheritable).toEqual(['CAP_NET_BIND_SERVICE']);
  });
});

describe('masks', () => {
  it('round-trips names through a hex mask', () => {
    expect(capabilityMask(['CAP_CHOWN', 'CAP_NET_ADMIN'])).toBe('0000000000001001');
    expect(capabilitiesInMask('0000000000001001')).toEqual(['CAP_CHOWN', 'CAP_NET_ADMIN']);
  });

  it("reads this daemon's bounding set from /proc", async () => {
    const set = await daemonBoundingSet();
    expect(set.length).toBeGreaterThan(0);
    expect(set).toContain('CAP_CHOWN');
  });
});

import { describe, expect, it } from 'vitest';
import { IpCommandError } from './iproute.js';

describe('IpCommandError', () => {
  it.each([
    ['Cannot find device "vv0"'],
    ['Device "vv0" does not exist.'],
    // ip found the veth by name, the kernel removed it (its peer's namespace went) before the delete.
    ['RTNETLINK answers: No such device'],
  ])('counts %j as a missing device', (stderr) => {
    expect(new IpCommandError('ip link del vv0', stderr).noSuchDevice).toBe(true);
  });

  it('does not count other failures as a missing device', () => {
    expect(new IpCommandError('ip link del vv0', 'RTNETLINK answers: Operation not permitted').noSuchDevice).toBe(false);
  });
});

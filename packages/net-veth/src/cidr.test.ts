import { describe, expect, it } from 'vitest';
import { formatIpv4, isHostOf, parseIpv4, parseSubnet } from './cidr.js';

describe('IPv4 addresses and subnets', () => {
  it('parses and formats dotted quads', () => {
    expect(parseIpv4('10.89.0.1')).toBe(0x0a590001);
    expect(formatIpv4(0x0a590001)).toBe('10.89.0.1');
    expect(formatIpv4(parseIpv4('255.255.255.255')!)).toBe('255.255.255.255');
  });

  it('refuses what is not a dotted quad', () => {
    for (const bad of ['10.89.0', '10.89.0.256', '10.89.00.1', 'a.b.c.d', ' 10.89.0.1', '::1']) expect(parseIpv4(bad)).toBeUndefined();
  });

  it('gives a subnet its network and broadcast addresses', () => {
    const s = parseSubnet('10.89.4.0/22');
    expect([formatIpv4(s.network), s.prefix, formatIpv4(s.broadcast)]).toEqual(['10.89.4.0', 22, '10.89.7.255']);
    expect(isHostOf(s, parseIpv4('10.89.4.1')!)).toBe(true);
    expect(isHostOf(s, s.network)).toBe(false);
    expect(isHostOf(s, s.broadcast)).toBe(false);
    expect(isHostOf(s, parseIpv4('10.89.8.1')!)).toBe(false);
  });

  it('refuses host bits, subnets without room for a pod and non-CIDRs, saying why', () => {
    expect(() => parseSubnet('10.89.0.1/16')).toThrow('did you mean 10.89.0.0/16?');
    expect(() => parseSubnet('10.89.0.0/31')).toThrow('too small');
    expect(() => parseSubnet('10.89.0.0')).toThrow('not an IPv4 CIDR');
    expect(() => parseSubnet('10.89.0.0/33')).toThrow('not an IPv4 CIDR');
    expect(() => parseSubnet('fd00::/64')).toThrow('not an IPv4 CIDR');
  });
});

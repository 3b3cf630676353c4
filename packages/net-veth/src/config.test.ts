import { describe, expect, it } from 'vitest';
import { configSchema } from './config.js';

describe('the [net_veth] config section', () => {
  it('parses {} to the full defaults', () => {
    expect(configSchema.parse({})).toEqual({ bridge: 'criod-veth0', subnet: '10.89.0.0/16', gateway: '', mtu: 1500, state_dir: '' });
  });

  it('describes every key, for the generated config docs', () => {
    for (const [key, schema] of Object.entries(configSchema.shape)) expect(schema.description, key).toBeTruthy();
  });

  it('refuses a bad subnet, a gateway outside it and a bridge name Linux would refuse, naming the key', () => {
    const issues = (input: Record<string, unknown>) => configSchema.safeParse(input).error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues({ subnet: '10.89.0.1/16' })).toEqual([['subnet', expect.stringContaining('did you mean 10.89.0.0/16')]]);
    expect(issues({ subnet: '10.89.0.0/24', gateway: '10.89.1.1' })).toEqual([
      ['gateway', expect.stringContaining('not a host address of subnet 10.89.0.0/24')],
    ]);
    expect(issues({ subnet: '10.89.0.0/24', gateway: '10.89.0.255' })).toEqual([['gateway', expect.stringContaining('not a host address')]]);
    expect(issues({ bridge: 'a-name-longer-than-15' })?.[0]?.[0]).toBe('bridge');
    expect(issues({ bridge: 'br/0' })?.[0]?.[0]).toBe('bridge');
    expect(issues({ mtu: 10 })?.[0]?.[0]).toBe('mtu');
    expect(issues({ subnet: '10.89.0.0/24', gateway: '10.89.0.254' })).toBeUndefined();
  });
});

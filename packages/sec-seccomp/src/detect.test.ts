import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectSeccomp } from './detect.js';
import { configSchema } from './index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeProc(status: string, actions?: string): string {
  const d = mkdtempSync(join(tmpdir(), 'criod-proc-'));
  dirs.push(d);
  mkdirSync(join(d, 'self'));
  writeFileSync(join(d, 'self', 'status'), status);
  if (actions !== undefined) {
    mkdirSync(join(d, 'sys', 'kernel', 'seccomp'), { recursive: true });
    writeFileSync(join(d, 'sys', 'kernel', 'seccomp', 'actions_avail'), actions);
  }
  return d;
}

describe('detectSeccomp', () => {
  it('finds filter support and actions in a proc tree', async () => {
    expect(await detectSeccomp(fakeProc('Name:\tx\nSeccomp:\t0\nSeccomp_filters:\t0\n', 'kill_process kill_thread trap errno\n'))).toEqual({
      supported: true,
      actions: ['kill_process', 'kill_thread', 'trap', 'errno'],
    });
  });

  it('reports no support when the kernel has no seccomp line', async () => {
    expect(await detectSeccomp(fakeProc('Name:\tx\n'))).toEqual({ supported: false, actions: [] });
  });

  it('agrees with this machine, which has seccomp', async () => {
    expect((await detectSeccomp()).supported).toBe(true);
  });
});

describe('config', () => {
  it('defaults to unconfined like the CRI and refuses unknown profiles', () => {
    expect(configSchema.parse({})).toEqual({ default_profile: 'unconfined' });
    expect(configSchema.safeParse({ default_profile: 'strict' }).success).toBe(false);
  });
});

/**
 * Real effect under runc: the specs this package produces are run with a busybox rootfs and the
 * container reports what the kernel enforced.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type ContainerSecurityRequest, type SecurityProfile } from '@criod/core';
import { capabilityMask, daemonBoundingSet as readBoundingSet, resolveCapabilities, type CapabilityRequest } from '@criod/core';
import { configSchema, createSeccompPlugin, detectSeccompHost } from './plugin.js';
import { RuncHarness, statusField, type BundleSpec } from './__tests__/runc-harness.js';

const harness = new RuncHarness();
const scratchDirs: string[] = [];

beforeAll(() => harness.setUp(), 60_000);
afterEach(async () => {
  await harness.cleanContainers();
  for (const d of scratchDirs.splice(0)) await rm(d, { recursive: true, force: true });
});
afterAll(() => harness.tearDown());

const runtimeDefault: SecurityProfile = { type: 'runtimeDefault', localhostRef: '' };
const unconfined: SecurityProfile = { type: 'unconfined', localhostRef: '' };
const statusScript = 'grep -E "^(Cap|Seccomp|NoNewPrivs)" /proc/self/status';

async function runWith(script: string, seccomp: SecurityProfile, capabilities?: CapabilityRequest, edit?: (spec: BundleSpec) => void) {
  const plugin = createSeccompPlugin(configSchema.parse({}), silentLogger, await detectSeccompHost());
  const { spec, bundle } = await harness.newSpec(script);
  if (capabilities) spec.process.capabilities = resolveCapabilities(capabilities, await readBoundingSet());
  edit?.(spec);
  const req: ContainerSecurityRequest = { podId: 'p', containerName: 'c', privileged: capabilities?.privileged ?? false, seccomp };
  await plugin.applyToContainer(spec, req);
  return harness.runContainer(bundle, spec);
}

function caps(add: string[], drop: string[] = []): CapabilityRequest {
  return { add, drop, addAmbient: [], privileged: false };
}

describe('seccomp profiles under runc', () => {
  it('runs an ordinary shell session under RuntimeDefault, with the filter in place', async () => {
    const r = await runWith(`${statusScript}; mkdir /tmp/d && touch /tmp/d/f && ls /tmp/d && linux32 true && echo done`, runtimeDefault, caps([]));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(statusField(r.stdout, 'Seccomp')).toBe('2');
    expect(r.stdout).toContain('f\ndone');
  });

  it('denies unshare with EPERM under RuntimeDefault where unconfined allows it', async () => {
    const script = 'unshare -U true && echo created a user namespace';
    const free = await runWith(script, unconfined, caps([]));
    expect(free.code).toBe(0);
    expect(free.stdout).toContain('created a user namespace');

    const confined = await runWith(script, runtimeDefault, caps([]));
    expect(confined.code).not.toBe(0);
    expect(confined.stderr).toMatch(/unshare.*Operation not permitted/);
  });

  it('allows namespace syscalls under RuntimeDefault when the container holds CAP_SYS_ADMIN', async () => {
    const r = await runWith('unshare -n true && echo created a network namespace', runtimeDefault, caps(['SYS_ADMIN']));
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('created a network namespace');
  });

  it('applies a Localhost profile that denies mkdir and nothing else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'criod-seccomp-profile-'));
    scratchDirs.push(dir);
    const path = join(dir, 'no-mkdir.json');
    await writeFile(
      path,
      JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }),
    );

    const baseline = await runWith('mkdir /tmp/x && echo made', unconfined);
    expect(baseline.stdout).toContain('made');

    const r = await runWith('touch /tmp/file && echo touched; mkdir /tmp/x', { type: 'localhost', localhostRef: path });
    expect(r.stdout).toContain('touched');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/mkdir.*Operation not permitted/);
  });
});

describe('capabilities under runc', () => {
  it('gives exactly NET_ADMIN for drop ALL, add NET_ADMIN', async () => {
    const r = await runWith(statusScript, unconfined, { add: ['net_admin'], drop: ['ALL'], addAmbient: [], privileged: false });
    expect(r.code).toBe(0);
    const want = capabilityMask(['CAP_NET_ADMIN']);
    expect(statusField(r.stdout, 'CapEff')).toBe(want);
    expect(statusField(r.stdout, 'CapPrm')).toBe(want);
    expect(statusField(r.stdout, 'CapBnd')).toBe(want);
    expect(statusField(r.stdout, 'CapInh')).toBe('0000000000000000');
  });

  it('gives the default set when nothing is added or dropped', async () => {
    const r = await runWith(statusScript, unconfined, caps([]));
    expect(statusField(r.stdout, 'CapEff')).toBe(capabilityMask(resolveCapabilities(caps([]), await readBoundingSet()).effective));
    expect(statusField(r.stdout, 'CapEff')).toBe('00000000000005fb');
  });

  it('gives a privileged container the whole bounding set of criod', async () => {
    const r = await runWith(statusScript, unconfined, { add: [], drop: [], addAmbient: [], privileged: true });
    expect(r.stderr).toBe('');
    expect(statusField(r.stdout, 'CapEff')).toBe(capabilityMask(await readBoundingSet()));
  });

  it('keeps ambient capabilities for a non-root user across exec', async () => {
    const r = await runWith(statusScript, unconfined, { add: [], drop: ['ALL'], addAmbient: ['NET_BIND_SERVICE'], privileged: false }, (spec) => {
      spec.process = { ...spec.process, user: { uid: 1000, gid: 1000 } };
    });
    expect(r.stderr).toBe('');
    const want = capabilityMask(['CAP_NET_BIND_SERVICE']);
    expect(statusField(r.stdout, 'CapAmb')).toBe(want);
    expect(statusField(r.stdout, 'CapEff')).toBe(want);
  });

  it('sets NoNewPrivs from process.noNewPrivileges', async () => {
    const on = await runWith(statusScript, runtimeDefault, caps([]), (spec) => {
      spec.process = { ...spec.process, noNewPrivileges: true };
    });
    expect(statusField(on.stdout, 'NoNewPrivs')).toBe('1');
    const off = await runWith(statusScript, runtimeDefault, caps([]), (spec) => {
      spec.process = { ...spec.process, noNewPrivileges: false };
    });
    expect(off.stderr).toBe('');
    expect(statusField(off.stdout, 'NoNewPrivs')).toBe('0');
    expect(statusField(off.stdout, 'Seccomp')).toBe('2');
  });
});

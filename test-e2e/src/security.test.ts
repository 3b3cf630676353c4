import { status as GrpcStatus } from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capabilityMask, daemonBoundingSet } from '@criod/core';
import { cri } from '@criod/cri-grpc';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { containerConfig, waitForExit } from './containers.js';
import { uniqueName, type CriodInstance } from './harness.js';
import { startTestImages, type TestImages } from './images.js';
import { startPodFixture, type PodFixture } from './pod-fixture.js';

let images: TestImages;
let fx: PodFixture;
let criod: CriodInstance;
let podSandboxId: string;
let profiles: string;

beforeAll(async () => {
  images = await startTestImages();
  profiles = mkdtempSync(join(tmpdir(), 'criod-seccomp-'));
});

afterAll(async () => {
  await images?.stop();
  rmSync(profiles, { recursive: true, force: true });
});

beforeEach(async () => {
  fx = await startPodFixture(images);
  ({ criod, podSandboxId } = fx);
});

afterEach(async () => {
  await fx?.cleanup();
});

type SecurityContext = Partial<cri.LinuxContainerSecurityContext>;

/** Run a shell script to completion in a container with the given security context; its output and exit code. */
async function runScript(script: string, sc: SecurityContext = {}, pod = podSandboxId): Promise<{ exitCode: number; output: string }> {
  const config = containerConfig(images.busybox, ['sh', '-c', script]);
  config.linux!.securityContext = cri.LinuxContainerSecurityContext.fromPartial({ ...config.linux!.securityContext, ...sc });
  const { containerId } = await criod.client.runtime.createContainer({ podSandboxId: pod, config, sandboxConfig: undefined });
  await criod.client.runtime.startContainer({ containerId });
  const st = await waitForExit(criod.client, containerId);
  const output = readFileSync(st.logPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').slice(3).join(' '))
    .join('\n');
  return { exitCode: st.exitCode, output };
}

const runtimeDefault = cri.SecurityProfile.fromPartial({ profileType: cri.SecurityProfile_ProfileType.RuntimeDefault });
const unconfined = cri.SecurityProfile.fromPartial({ profileType: cri.SecurityProfile_ProfileType.Unconfined });
const withSysAdmin = cri.Capability.fromPartial({ addCapabilities: ['SYS_ADMIN'] });

describe('container security through criod', () => {
  it('denies unshare under the RuntimeDefault seccomp profile but not unconfined', async () => {
    // A user namespace needs no capability, so with the same capabilities in both runs only
    // seccomp can refuse (RuntimeDefault allows unshare only with CAP_SYS_ADMIN, as moby's does).
    const probe = 'unshare -U true && echo made-a-userns';
    const confined = await runScript(probe, { seccomp: runtimeDefault });
    expect(confined.exitCode).not.toBe(0);
    expect(confined.output).not.toContain('made-a-userns');
    const free = await runScript(probe, { seccomp: unconfined });
    expect(free).toMatchObject({ exitCode: 0, output: 'made-a-userns' });
  });

  it('applies a Localhost profile that denies one syscall', async () => {
    const path = join(profiles, `${uniqueName('deny-mkdir-')}.json`);
    writeFileSync(
      path,
      JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }),
    );
    const r = await runScript('mkdir /tmp/x && echo made', {
      seccomp: cri.SecurityProfile.fromPartial({ profileType: cri.SecurityProfile_ProfileType.Localhost, localhostRef: path }),
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.output).not.toContain('made');
    await expect(
      runScript('true', {
        seccomp: cri.SecurityProfile.fromPartial({ profileType: cri.SecurityProfile_ProfileType.Localhost, localhostRef: join(profiles, 'missing.json') }),
      }),
    ).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: expect.stringContaining('missing.json') });
  });

  it('runs a privileged container without the seccomp profile it names, as critest expects', async () => {
    const path = join(profiles, `${uniqueName('block-hostname-')}.json`);
    writeFileSync(path, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['sethostname'], action: 'SCMP_ACT_ERRNO' }] }));
    // critest sets the profile through the deprecated path field, in a privileged pod.
    const blocksHostname = { seccompProfilePath: `localhost/${path}` };
    const sethostname = 'hostname set-by-test && echo hostname-set';
    const confined = await runScript(sethostname, { ...blocksHostname, capabilities: withSysAdmin });
    expect(confined.exitCode).not.toBe(0);
    expect(confined.output).not.toContain('hostname-set');
    const config = fx.podConfig();
    config.linux!.securityContext!.privileged = true;
    const { podSandboxId: privilegedPod } = await criod.client.runtime.runPodSandbox({ config, runtimeHandler: '' });
    const privileged = await runScript(sethostname, { ...blocksHostname, privileged: true }, privilegedPod);
    expect(privileged).toMatchObject({ exitCode: 0, output: 'hostname-set' });
  });

  it('gives the process exactly the requested capabilities, and the bounding set when privileged', async () => {
    const dropped = await runScript('grep CapEff /proc/self/status', {
      capabilities: cri.Capability.fromPartial({ dropCapabilities: ['ALL'], addCapabilities: ['NET_ADMIN'] }),
    });
    expect(dropped.output).toBe(`CapEff:\t${capabilityMask(['CAP_NET_ADMIN'])}`);
    const privileged = await runScript('grep CapEff /proc/self/status', { privileged: true });
    expect(privileged.output).toBe(`CapEff:\t${capabilityMask(await daemonBoundingSet())}`);
  });

  it('refuses writes to a read-only rootfs', async () => {
    const r = await runScript('touch /newfile && echo wrote', { readonlyRootfs: true });
    expect(r.exitCode).not.toBe(0);
    expect(r.output).not.toContain('wrote');
  });

  it('masks /proc/timer_list and makes /proc/sys read-only unless privileged', async () => {
    // /proc/timer_list rather than /proc/kcore, which not every kernel has. The domainname is the
    // pod's own UTS namespace's: with CAP_SYS_ADMIN only the read-only mount refuses the write.
    const probe =
      'head -c1 /proc/timer_list | grep -q . && echo timer-list-visible; (echo e2e > /proc/sys/kernel/domainname) 2>/dev/null && echo sys-writable; echo done';
    const plain = await runScript(probe, { capabilities: withSysAdmin });
    expect(plain.output).toBe('done');
    const privileged = await runScript(probe, { privileged: true });
    expect(privileged.output).toBe('timer-list-visible\nsys-writable\ndone');
  });

  it('sets no_new_privs when asked', async () => {
    expect((await runScript('grep NoNewPrivs /proc/self/status', { noNewPrivs: true })).output).toBe('NoNewPrivs:\t1');
    expect((await runScript('grep NoNewPrivs /proc/self/status', { noNewPrivs: false })).output).toBe('NoNewPrivs:\t0');
  });

  it('runs as the requested user and groups', async () => {
    const r = await runScript('id', {
      runAsUser: cri.Int64Value.fromPartial({ value: 65534n }),
      runAsGroup: cri.Int64Value.fromPartial({ value: 65534n }),
      supplementalGroups: [1234n],
    });
    expect(r.output).toMatch(/^uid=65534\(nobody\) gid=65534\(nogroup\) groups=/);
    expect(r.output.split('groups=')[1]?.split(',').sort()).toEqual(['1234', '65534(nogroup)']);
  });

  it('refuses run_as_group without a user, for containers (critest) and pods', async () => {
    const gid = cri.Int64Value.fromPartial({ value: 1002n });
    await expect(runScript('true', { runAsGroup: gid })).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: expect.stringContaining('run_as_group 1002'),
    });
    const config = fx.podConfig();
    config.linux!.securityContext!.runAsGroup = gid;
    await expect(criod.client.runtime.runPodSandbox({ config, runtimeHandler: '' })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
  });

  it('ignores an AppArmor profile on a host without AppArmor, as CRI-O does', async () => {
    const r = await runScript('echo ran', { apparmor: cri.SecurityProfile.fromPartial({ profileType: cri.SecurityProfile_ProfileType.RuntimeDefault }) });
    expect(r).toMatchObject({ exitCode: 0, output: 'ran' });
  });
});

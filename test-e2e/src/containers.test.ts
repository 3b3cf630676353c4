import { status as GrpcStatus } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cri } from '@criod/cri-grpc';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { conmonsMentioning, containerConfig, leftoverCgroups, runcList, waitForExit } from './containers.js';
import { mountsBelow, waitFor, type CriodInstance } from './harness.js';
import { startTestImages, type TestImages } from './images.js';
import { startPodFixture, type PodFixture } from './pod-fixture.js';

let images: TestImages;
let fx: PodFixture;
let criod: CriodInstance;
let cgroupParent: string;
let podSandboxId: string;
let run: PodFixture['run'];

beforeAll(async () => {
  images = await startTestImages();
});

afterAll(async () => {
  await images?.stop();
});

async function setUp() {
  fx = await startPodFixture(images);
  ({ criod, cgroupParent, podSandboxId, run } = fx);
}

afterEach(async () => {
  await fx?.cleanup();
});

function resources(memory: number): cri.LinuxContainerResources {
  return cri.LinuxContainerResources.fromPartial({ memoryLimitInBytes: BigInt(memory), memorySwapLimitInBytes: BigInt(memory) });
}

describe('containers under runc and conmon', () => {
  beforeEach(setUp);

  it('writes stdout and stderr to the CRI log in the CRI format', async () => {
    const id = await run(['sh', '-c', 'echo hello out; echo hello err >&2']);
    const st = await waitForExit(criod.client, id);
    expect(st).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const lines = readFileSync(st.logPath, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) (stdout|stderr) F hello (out|err)$/);
    expect(lines.some((l) => / stdout F hello out$/.test(l))).toBe(true);
    expect(lines.some((l) => / stderr F hello err$/.test(l))).toBe(true);
    expect(st.finishedAt).toBeGreaterThanOrEqual(st.startedAt);
  });

  it('reports a non-zero exit code as Error', async () => {
    const st = await waitForExit(criod.client, await run(['sh', '-c', 'exit 3']));
    expect(st).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  it('reports OOMKilled under a tiny memory limit', async () => {
    const id = await run(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], {}, resources(16 << 20));
    const st = await waitForExit(criod.client, id);
    expect(st.reason).toBe('OOMKilled');
    expect(st.exitCode).toBe(137);
  });

  it('runs ExecSync with output and exit code, and kills it at the timeout', async () => {
    const id = await run(['sleep', '3600']);
    const ok = await criod.client.runtime.execSync({ containerId: id, cmd: ['sh', '-c', 'echo in; echo err >&2; exit 5'], timeout: 0n });
    expect(ok.stdout.toString()).toBe('in\n');
    expect(ok.stderr.toString()).toBe('err\n');
    expect(ok.exitCode).toBe(5);
    const t0 = Date.now();
    await expect(criod.client.runtime.execSync({ containerId: id, cmd: ['sleep', '60'], timeout: 1n })).rejects.toMatchObject({
      code: GrpcStatus.DEADLINE_EXCEEDED,
    });
    expect(Date.now() - t0).toBeLessThan(10_000);
    const ps = await criod.client.runtime.execSync({ containerId: id, cmd: ['ps', '-o', 'pid,comm'], timeout: 5n });
    expect(ps.stdout.toString()).not.toContain('sleep 60');
    expect(ps.stdout.toString().match(/sleep/g)).toHaveLength(1);
  });

  it('stops a process that ignores SIGTERM after the timeout, and stops twice', async () => {
    const id = await run(['sh', '-c', 'trap "" TERM; while true; do sleep 1; done']);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await criod.client.runtime.stopContainer({ containerId: id, timeout: 2n });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    const st = (await criod.client.runtime.containerStatus({ containerId: id, verbose: false })).status!;
    expect(st.state).toBe(cri.ContainerState.CONTAINER_EXITED);
    expect(st.exitCode).toBe(137);
    await criod.client.runtime.stopContainer({ containerId: id, timeout: 2n });
  });

  it('keeps containers across a criod restart, seeing exits that happened meanwhile', async () => {
    const running = await run(['sleep', '3600']);
    const exiting = await run(['sh', '-c', 'sleep 1; exit 7']);
    expect(await criod.stop()).toBe(0);
    await new Promise((r) => setTimeout(r, 2000));
    await criod.restart();
    const a = (await criod.client.runtime.containerStatus({ containerId: running, verbose: false })).status!;
    const b = (await criod.client.runtime.containerStatus({ containerId: exiting, verbose: false })).status!;
    expect(a.state).toBe(cri.ContainerState.CONTAINER_RUNNING);
    expect(b).toMatchObject({ state: cri.ContainerState.CONTAINER_EXITED, exitCode: 7, reason: 'Error' });
    expect(b.finishedAt).toBeGreaterThan(b.startedAt);
    expect((await criod.client.runtime.execSync({ containerId: running, cmd: ['echo', 'still here'], timeout: 5n })).stdout.toString()).toBe('still here\n');
  });

  it('keeps a running container across a kill -9 of criod', async () => {
    const id = await run(['sleep', '3600']);
    await criod.kill();
    await criod.restart();
    expect((await criod.client.runtime.containerStatus({ containerId: id, verbose: false })).status?.state).toBe(cri.ContainerState.CONTAINER_RUNNING);
  });

  it('creates and starts 20 containers in parallel, and leaves nothing once they are removed', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => run(['sleep', '3600'])));
    const list = await criod.client.runtime.listContainers({
      filter: { id: '', podSandboxId, labelSelector: {}, state: { state: cri.ContainerState.CONTAINER_RUNNING } },
    });
    expect(list.containers.map((c) => c.id).sort()).toEqual([...ids].sort());
    const podStatus = await criod.client.runtime.podSandboxStatus({ podSandboxId, verbose: false });
    expect(podStatus.containersStatuses.map((c) => c.id).sort()).toEqual([...ids].sort());
    expect(podStatus.timestamp).toBeGreaterThan(0n);
    const stats = await criod.client.runtime.listContainerStats({ filter: undefined });
    expect(stats.stats).toHaveLength(20);
    expect(stats.stats.every((s) => (s.memory?.workingSetBytes?.value ?? 0n) > 0n)).toBe(true);
    await Promise.all(ids.map((containerId) => criod.client.runtime.removeContainer({ containerId })));
    expect(await runcList(join(criod.dir, 'run', 'runtimes', 'runc'))).toEqual([]);
    expect(conmonsMentioning(criod.dir)).toEqual([]);
    expect(leftoverCgroups(cgroupParent)).toEqual([]);
    expect(mountsBelow(join(criod.dir, 'root')).filter((m) => m.includes('containers'))).toEqual([]);
  });

  it('answers bad input with the right codes and leaves nothing behind', async () => {
    const create = (config: cri.ContainerConfig, pod = podSandboxId) =>
      criod.client.runtime.createContainer({ podSandboxId: pod, config, sandboxConfig: undefined });
    await expect(create(containerConfig(images.busybox, ['true']), 'f'.repeat(64))).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
    const named = containerConfig(images.busybox, ['true']);
    const first = await create(named);
    await expect(create(named)).rejects.toMatchObject({ code: GrpcStatus.ALREADY_EXISTS, details: expect.stringContaining(first.containerId) });
    await expect(create(containerConfig(images.busybox, ['true'], { logPath: '../../escape.log' }))).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
    });
    await expect(
      create(containerConfig(images.busybox, ['true'], { mounts: [cri.Mount.fromPartial({ containerPath: '/data', hostPath: '/nonexistent/criod-e2e' })] })),
    ).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: expect.stringContaining('/nonexistent/criod-e2e') });
    const badQuota = containerConfig(images.busybox, ['true']);
    badQuota.linux!.resources = cri.LinuxContainerResources.fromPartial({ cpuQuota: 5n });
    await expect(create(badQuota)).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
    await expect(create(containerConfig('127.0.0.1:1/none:latest', ['true']))).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
    const list = await criod.client.runtime.listContainers({ filter: undefined });
    expect(list.containers.map((c) => c.id)).toEqual([first.containerId]);
    expect(await runcList(join(criod.dir, 'run', 'runtimes', 'runc'))).toEqual([first.containerId]);
  });

  it('shares one PID namespace across a pod through an infra container', async () => {
    const config = fx.podConfig();
    config.linux!.securityContext!.namespaceOptions!.pid = cri.NamespaceMode.POD;
    const shared = (await criod.client.runtime.runPodSandbox({ config, runtimeHandler: '' })).podSandboxId;
    const inPod = (command: string[]) => {
      const c = containerConfig(images.busybox, command);
      c.linux!.securityContext!.namespaceOptions!.pid = cri.NamespaceMode.POD;
      return c;
    };
    const a = (await criod.client.runtime.createContainer({ podSandboxId: shared, config: inPod(['sleep', '3601']), sandboxConfig: undefined })).containerId;
    await criod.client.runtime.startContainer({ containerId: a });
    const b = (await criod.client.runtime.createContainer({ podSandboxId: shared, config: inPod(['sleep', '3602']), sandboxConfig: undefined })).containerId;
    await criod.client.runtime.startContainer({ containerId: b });
    const ps = (await criod.client.runtime.execSync({ containerId: b, cmd: ['ps', '-o', 'pid,args'], timeout: 5n })).stdout.toString();
    expect(ps).toMatch(/^\s*1 sleep 2147483647$/m);
    expect(ps).toContain('sleep 3601');
    expect(ps).toContain('sleep 3602');
    // The infra's negative oom_score_adj is clamped where the kernel refuses it, not a failure.
    await criod.client.runtime.removePodSandbox({ podSandboxId: shared });
    expect(await runcList(join(criod.dir, 'run', 'runtimes', 'runc'))).toEqual([]);
  });

  it('keeps a pod and its infra container across a criod restart: a container created afterwards joins its PID namespace', async () => {
    const config = fx.podConfig();
    config.linux!.securityContext!.namespaceOptions!.pid = cri.NamespaceMode.POD;
    const shared = (await criod.client.runtime.runPodSandbox({ config, runtimeHandler: '' })).podSandboxId;
    const inPod = (command: string[]) => {
      const c = containerConfig(images.busybox, command);
      c.linux!.securityContext!.namespaceOptions!.pid = cri.NamespaceMode.POD;
      return c;
    };
    const runc = join(criod.dir, 'run', 'runtimes', 'runc');
    const [infra] = await runcList(runc);
    expect(await criod.stop()).toBe(0);
    await criod.restart();
    expect(await runcList(runc)).toEqual([infra]);
    const late = (await criod.client.runtime.createContainer({ podSandboxId: shared, config: inPod(['sleep', '3603']), sandboxConfig: undefined })).containerId;
    await criod.client.runtime.startContainer({ containerId: late });
    const ps = (await criod.client.runtime.execSync({ containerId: late, cmd: ['ps', '-o', 'pid,args'], timeout: 5n })).stdout.toString();
    expect(ps).toMatch(/^\s*1 sleep 2147483647$/m);
    expect(ps).toContain('sleep 3603');
    await criod.client.runtime.stopPodSandbox({ podSandboxId: shared });
    await criod.client.runtime.removePodSandbox({ podSandboxId: shared });
    expect(await runcList(runc)).toEqual([]);
  });

  it("confines the infra container with the pod's RuntimeDefault seccomp profile", async () => {
    const config = fx.podConfig();
    config.linux!.securityContext!.namespaceOptions!.pid = cri.NamespaceMode.POD;
    config.linux!.securityContext!.seccomp = cri.SecurityProfile.fromPartial({ profileType: cri.SecurityProfile_ProfileType.RuntimeDefault });
    const confined = (await criod.client.runtime.runPodSandbox({ config, runtimeHandler: '' })).podSandboxId;
    const probe = containerConfig(images.busybox, ['sleep', '3600']);
    probe.linux!.securityContext!.namespaceOptions!.pid = cri.NamespaceMode.POD;
    const { containerId } = await criod.client.runtime.createContainer({ podSandboxId: confined, config: probe, sandboxConfig: undefined });
    await criod.client.runtime.startContainer({ containerId });
    // PID 1 of the shared namespace is the infra's pause process; Seccomp: 2 is a filter in force.
    const status = (await criod.client.runtime.execSync({ containerId, cmd: ['cat', '/proc/1/status', '/proc/1/cmdline'], timeout: 5n })).stdout.toString();
    expect(status).toContain('sleep\u00002147483647');
    expect(status).toMatch(/^Seccomp:\s+2$/m);
    await criod.client.runtime.removePodSandbox({ podSandboxId: confined });
  });

  it('runs a container from a multi-layer image: deleted files gone, replaced files replaced, opaque dirs opaque', async () => {
    await criod.client.image.pullImage({ image: cri.ImageSpec.fromPartial({ image: images.layered }), auth: undefined, sandboxConfig: undefined });
    const config = containerConfig(images.layered, ['sh', '-c', 'cat /data/replaced.txt; test -e /data/old.txt || echo old-gone; ls /opaque']);
    const { containerId } = await criod.client.runtime.createContainer({ podSandboxId, config, sandboxConfig: undefined });
    await criod.client.runtime.startContainer({ containerId });
    const st = await waitForExit(criod.client, containerId);
    const out = readFileSync(st.logPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ').slice(3).join(' '));
    expect(out).toEqual(['v2', 'old-gone', 'fresh.txt']);
  });

  it('streams lifecycle events, an exit included without anyone asking for the status', async () => {
    const stream = criod.client.raw.runtime.getContainerEvents({});
    const events: [number, string][] = [];
    stream.on('data', (e: cri.ContainerEventResponse) => events.push([e.containerEventType, e.containerId]));
    stream.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 100));
    const id = await run(['sh', '-c', 'sleep 1']);
    await waitFor('the stopped event', () => events.some(([t]) => t === cri.ContainerEventType.CONTAINER_STOPPED_EVENT), 10_000);
    await criod.client.runtime.removeContainer({ containerId: id });
    await waitFor('the deleted event', () => events.some(([t]) => t === cri.ContainerEventType.CONTAINER_DELETED_EVENT), 10_000);
    stream.cancel();
    expect(events).toEqual([
      [cri.ContainerEventType.CONTAINER_CREATED_EVENT, id],
      [cri.ContainerEventType.CONTAINER_STARTED_EVENT, id],
      [cri.ContainerEventType.CONTAINER_STOPPED_EVENT, id],
      [cri.ContainerEventType.CONTAINER_DELETED_EVENT, id],
    ]);
  });

  it('announces each exit once and leaves no record of removed containers while status, list and stats calls hammer them', async () => {
    const stream = criod.client.raw.runtime.getContainerEvents({});
    const stopped: string[] = [];
    stream.on(
      'data',
      (e: cri.ContainerEventResponse) => e.containerEventType === cri.ContainerEventType.CONTAINER_STOPPED_EVENT && stopped.push(e.containerId),
    );
    stream.on('error', () => undefined);
    const exiting = await run(['sh', '-c', 'sleep 1']);
    const removed = await run(['sleep', '3600']);
    let hammering = true;
    const rt = criod.client.runtime;
    const hammer = async () => {
      while (hammering) {
        await Promise.allSettled([
          ...[exiting, removed].map((containerId) => rt.containerStatus({ containerId, verbose: false })),
          ...[exiting, removed].map((containerId) => rt.containerStats({ containerId })),
          rt.listContainers({ filter: undefined }),
          rt.listContainerStats({ filter: undefined }),
          rt.listPodSandboxStats({ filter: undefined }),
        ]);
      }
    };
    const hammers = [hammer(), hammer(), hammer()];
    try {
      await waitFor('the exit', () => stopped.includes(exiting), 10_000);
      // A running container is killed by the removal: its exit races the record's deletion.
      await rt.removeContainer({ containerId: removed });
      await rt.removeContainer({ containerId: exiting });
    } finally {
      hammering = false;
      await Promise.all(hammers);
    }
    stream.cancel();
    expect(await criod.stop()).toBe(0);
    await criod.restart();
    expect((await rt.listContainers({ filter: undefined })).containers).toEqual([]);
    expect(stopped.sort()).toEqual([exiting, removed].sort());
  });
});

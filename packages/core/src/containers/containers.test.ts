import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../logger.js';
import type { OciSpec } from '../oci/spec.js';
import { NewerRecordError } from '../records.js';
import type { RuntimeContainerRequest } from '../plugins.js';
import { CriService } from '../service.js';
import { fakePluginSet, testContainerConfig, testImage, testPodConfig, type FakePluginSet } from '../testing/index.js';
import type { ContainerConfig } from '../types.js';
import { RECHECK_AFTER_MS } from './state-checks.js';
import { COUNTER_TTL_MS, LAYER_USAGE_TTL_MS } from './stats-cache.js';

let runroot: string;
let plugins: FakePluginSet;
let svc: CriService;
let podId: string;

beforeEach(async () => {
  runroot = mkdtempSync(join(tmpdir(), 'criod-ctr-'));
  plugins = fakePluginSet();
  plugins.images.images.set(testImage().id, testImage());
  svc = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
  podId = await svc.runPodSandbox(testPodConfig('web', { logDirectory: join(runroot, 'logs') }), '');
});

afterEach(async () => {
  for (const pod of svc.listPodSandbox()) await svc.removePodSandbox(pod.id);
  rmSync(runroot, { recursive: true, force: true });
});

/** The spec core handed the runtime, whose process, mounts and linux sections core always fills. */
function specOf(id: string): OciSpec & Required<Pick<OciSpec, 'process' | 'mounts' | 'linux'>> {
  const { spec } = plugins.runtime.containers.get(id)!.req;
  const { process, mounts, linux } = spec;
  if (!process || !mounts || !linux) throw new Error(`the spec of ${id} lacks a process, mounts or linux section`);
  return { ...spec, process, mounts, linux };
}

/** A container the runtime knows but no record names (a crash's leftover, a pod's infra). */
function bareRuntimeRequest(id: string, podId: string): RuntimeContainerRequest {
  return { id, podId, handler: '', spec: { ociVersion: '1.0.2' }, cgroupParent: '', logPath: '', stdin: false, stdinOnce: false, tty: false };
}

describe('container lifecycle', () => {
  it('creates, starts, stops and removes a container, with the reasons kubelet expects', async () => {
    const id = await svc.createContainer(podId, testContainerConfig());
    expect((await svc.containerStatus(id, false)).container.state).toBe('created');
    await svc.startContainer(id);
    const running = (await svc.containerStatus(id, false)).container;
    expect(running.state).toBe('running');
    expect(running.startedAt).toBeGreaterThan(0n);
    await svc.stopContainer(id, 10);
    const exited = (await svc.containerStatus(id, false)).container;
    expect(exited).toMatchObject({ state: 'exited', exitCode: 137, reason: 'Error' });
    expect(plugins.runtime.deleted.get(id)?.signals).toEqual(['SIGTERM']);
    // Exited: gone from the runtime and its rootfs unmounted at once; the writable layer stays until removal.
    expect(plugins.runtime.containers.has(id)).toBe(false);
    expect(plugins.images.unmounted.has(id)).toBe(true);
    expect(plugins.images.rootfs.has(id)).toBe(true);
    expect((await svc.containerStatus(id, false)).container).toMatchObject({ state: 'exited', exitCode: 137 });
    await svc.stopContainer(id, 10); // idempotent
    const runtimeDeletes = vi.spyOn(plugins.runtime, 'deleteContainer');
    await svc.removeContainer(id);
    await svc.removeContainer(id); // idempotent
    // Released at its exit: the removal did not ask the runtime again.
    expect(runtimeDeletes).not.toHaveBeenCalled();
    await expect(svc.containerStatus(id, false)).rejects.toMatchObject({ code: 'NotFound' });
    expect(plugins.images.rootfs.has(id)).toBe(false);
    expect(await plugins.records.containers.list()).toEqual([]);
  });

  it('deletes from the runtime at removal when the release at exit failed', async () => {
    const id = await svc.createContainer(podId, testContainerConfig());
    await svc.startContainer(id);
    const runtimeDeletes = vi.spyOn(plugins.runtime, 'deleteContainer').mockRejectedValueOnce(new Error('runc delete failed'));
    await svc.stopContainer(id, 0);
    expect(plugins.runtime.containers.has(id)).toBe(true);
    await svc.removeContainer(id);
    expect(runtimeDeletes).toHaveBeenCalledTimes(2);
    expect(plugins.runtime.containers.has(id)).toBe(false);
  });

  it('reports Completed and OOMKilled from the runtime', async () => {
    const a = await svc.createContainer(podId, testContainerConfig('a'));
    const b = await svc.createContainer(podId, testContainerConfig('b'));
    await svc.startContainer(a);
    await svc.startContainer(b);
    plugins.runtime.exit(a, 0);
    plugins.runtime.exit(b, 137, true);
    expect((await svc.containerStatus(a, false)).container).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
    expect((await svc.containerStatus(b, false)).container).toMatchObject({ state: 'exited', reason: 'OOMKilled' });
    // An exit nobody asked for releases the runtime's state and the rootfs mount just the same.
    expect([plugins.runtime.containers.has(a), plugins.runtime.containers.has(b)]).toEqual([false, false]);
    expect([...plugins.images.unmounted].sort()).toEqual([a, b].sort());
  });

  it('uses the image STOPSIGNAL, then a CRI stop signal over it; timeout 0 kills now', async () => {
    plugins.images.images.set(testImage().id, testImage({ config: { ...testImage().config, stopSignal: 'SIGQUIT' } }));
    const a = await svc.createContainer(podId, testContainerConfig('a'));
    const b = await svc.createContainer(podId, testContainerConfig('b', { stopSignal: 'SIGUSR1' }));
    const k = await svc.createContainer(podId, testContainerConfig('k'));
    for (const id of [a, b, k]) await svc.startContainer(id);
    await svc.stopContainer(a, 5);
    await svc.stopContainer(b, 5);
    await svc.stopContainer(k, 0);
    expect(plugins.runtime.deleted.get(a)?.signals).toEqual(['SIGQUIT']);
    expect(plugins.runtime.deleted.get(b)?.signals).toEqual(['SIGUSR1']);
    expect(plugins.runtime.deleted.get(k)?.signals).toEqual(['SIGKILL']);
  });

  it('refuses to start a container twice', async () => {
    const id = await svc.createContainer(podId, testContainerConfig());
    await svc.startContainer(id);
    await expect(svc.startContainer(id)).rejects.toMatchObject({ code: 'FailedPrecondition' });
  });

  it('runs ExecSync only in running containers', async () => {
    const id = await svc.createContainer(podId, testContainerConfig());
    await expect(svc.execSync(id, ['echo', 'hi'], 0)).rejects.toMatchObject({ code: 'FailedPrecondition' });
    await svc.startContainer(id);
    expect((await svc.execSync(id, ['echo', 'hi'], 0)).stdout.toString()).toBe('echo hi\n');
    await expect(svc.execSync(id, [], 0)).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});

describe('bad input leaves nothing behind', () => {
  async function expectRejected(config: ContainerConfig, code: string, message?: string, pod = podId) {
    await expect(svc.createContainer(pod, config)).rejects.toMatchObject({ code, ...(message ? { message: expect.stringContaining(message) } : {}) });
    expect(plugins.runtime.containers.size).toBe(0);
    expect(plugins.images.rootfs.size).toBe(0);
    expect(await plugins.records.containers.list()).toEqual([]);
  }

  it('answers NotFound for an unknown pod and an unknown image', async () => {
    await expectRejected(testContainerConfig(), 'NotFound', 'not found', 'f'.repeat(64));
    await expectRejected(testContainerConfig('x', { image: 'nope:1' }), 'NotFound', 'nope:1');
  });

  it('answers AlreadyExists for a name in use in the pod, naming the holder', async () => {
    const id = await svc.createContainer(podId, testContainerConfig());
    await expect(svc.createContainer(podId, testContainerConfig())).rejects.toMatchObject({ code: 'AlreadyExists', message: expect.stringContaining(id) });
    // The next attempt of the same container is a different name.
    await svc.createContainer(podId, testContainerConfig('app', { metadata: { name: 'app', attempt: 1 } }));
  });

  it('refuses log paths that are NUL-bearing, too long or lead out through a symlink, and a relative working_dir', async () => {
    const logs = join(runroot, 'logs');
    await expectRejected(testContainerConfig('a', { logPath: 'a\0b.log' }), 'InvalidArgument', 'NUL');
    await expectRejected(testContainerConfig('b', { logPath: `${'x'.repeat(300)}.log` }), 'InvalidArgument', 'too long');
    await expectRejected(testContainerConfig('c', { workingDir: 'relative/dir' }), 'InvalidArgument', 'working_dir');
    mkdirSync(logs, { recursive: true });
    const outside = mkdtempSync(join(tmpdir(), 'criod-outside-'));
    try {
      symlinkSync(outside, join(logs, 'up'));
      await expectRejected(testContainerConfig('d', { logPath: 'up/d.log' }), 'InvalidArgument', 'through a symbolic link');
      symlinkSync(join(outside, 'victim'), join(logs, 'e.log'));
      await expectRejected(testContainerConfig('e', { logPath: 'e.log' }), 'InvalidArgument', 'is a symbolic link');
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses a log path escaping the pod log dir, a missing host path and invalid resources', async () => {
    await expectRejected(testContainerConfig('a', { logPath: '../../etc/evil.log' }), 'InvalidArgument', 'escapes');
    await expectRejected(testContainerConfig('b', { logPath: '/etc/evil.log' }), 'InvalidArgument', 'relative');
    await expectRejected(
      testContainerConfig('c', {
        mounts: [{ containerPath: '/data', hostPath: '/nonexistent/data', readonly: false, selinuxRelabel: false, propagation: 'private' }],
      }),
      'InvalidArgument',
      '/nonexistent/data',
    );
    const bad = testContainerConfig('d');
    bad.linux.resources = {
      cpuPeriod: 0,
      cpuQuota: 10,
      cpuShares: 0,
      memoryLimitInBytes: -5,
      oomScoreAdj: 0,
      cpusetCpus: '',
      cpusetMems: '',
      hugepageLimits: [],
      unified: {},
      memorySwapLimitInBytes: 0,
    };
    await expectRejected(bad, 'InvalidArgument');
    plugins.images.images.set(testImage().id, testImage({ config: { ...testImage().config, entrypoint: [], cmd: [] } }));
    await expectRejected(testContainerConfig('e', { command: [], args: [] }), 'InvalidArgument', 'no command');
  });

  it('refuses run_as_group without run_as_user or run_as_username (critest), and takes it with either', async () => {
    const groupOnly = (name: string, user: { runAsUser?: number; runAsUsername?: string } = {}) => {
      const config = testContainerConfig(name);
      config.linux.securityContext = { ...config.linux.securityContext, runAsGroup: 1002, ...user };
      return config;
    };
    await expectRejected(groupOnly('a'), 'InvalidArgument', 'container a: run_as_group 1002 is set without run_as_user or run_as_username');
    expect(specOf(await svc.createContainer(podId, groupOnly('b', { runAsUser: 1001 }))).process.user).toMatchObject({ uid: 1001, gid: 1002 });
    expect(specOf(await svc.createContainer(podId, groupOnly('c', { runAsUsername: '1003' }))).process.user).toMatchObject({ uid: 1003, gid: 1002 });
  });

  it('undoes the rootfs when the runtime refuses the container', async () => {
    plugins.runtime.failNextCreate = new Error('runc create failed: oops');
    await expect(svc.createContainer(podId, testContainerConfig())).rejects.toThrow('oops');
    expect(plugins.images.rootfs.size).toBe(0);
    expect(await plugins.records.containers.list()).toEqual([]);
    // The name is free again.
    await svc.createContainer(podId, testContainerConfig());
  });

  it('refuses containers in a stopped pod', async () => {
    await svc.stopPodSandbox(podId);
    await expectRejected(testContainerConfig(), 'FailedPrecondition');
  });
});

describe('the OCI spec', () => {
  it('joins the pod namespaces, mounts the pod files and logs under the pod log dir', async () => {
    const id = await svc.createContainer(podId, testContainerConfig());
    const spec = specOf(id);
    const { pod } = await svc.podSandboxStatus(podId, false);
    const ns = Object.fromEntries((spec.linux.namespaces ?? []).map((n) => [n.type, n.path ?? 'new']));
    expect(ns).toEqual({ mount: 'new', network: `/fake/ns/net/${podId}`, uts: `/fake/ns/uts/${podId}`, ipc: `/fake/ns/ipc/${podId}`, pid: 'new' });
    expect(spec.hostname).toBe('web');
    const dests = spec.mounts.map((m) => [m.destination, m.source]);
    expect(dests).toContainEqual(['/etc/resolv.conf', pod.files.resolvConf]);
    expect(dests).toContainEqual(['/dev/shm', pod.files.shm]);
    expect(plugins.runtime.containers.get(id)?.req.logPath).toBe(join(runroot, 'logs', 'app.log'));
    // The runtime places the container's cgroup under the pod's parent, its own way.
    expect(spec.linux.cgroupsPath).toBeUndefined();
    expect(plugins.runtime.containers.get(id)?.req.cgroupParent).toBe('');
    expect(spec.linux.maskedPaths).toContain('/proc/kcore');
    expect(spec.linux.readonlyPaths).toContain('/proc/sys');
  });

  it("hands the runtime the pod's cgroup parent, for the runtime to place the container under", async () => {
    const config = testPodConfig('limited', { logDirectory: join(runroot, 'logs') });
    config.linux.cgroupParent = '/kubepods/burstable/pod-uid-limited';
    const limited = await svc.runPodSandbox(config, '');
    const id = await svc.createContainer(limited, testContainerConfig());
    expect(plugins.runtime.containers.get(id)?.req.cgroupParent).toBe('/kubepods/burstable/pod-uid-limited');
    expect(specOf(id).linux.cgroupsPath).toBeUndefined();
  });

  it('follows the Kubernetes command and args rules against the image', async () => {
    plugins.images.images.set(testImage().id, testImage({ config: { ...testImage().config, entrypoint: ['/entry'], cmd: ['default'] } }));
    const only = await svc.createContainer(podId, testContainerConfig('a', { command: [], args: [] }));
    const args = await svc.createContainer(podId, testContainerConfig('b', { command: [], args: ['x'] }));
    const cmd = await svc.createContainer(podId, testContainerConfig('c', { command: ['/bin/true'], args: ['y'] }));
    expect(specOf(only).process.args).toEqual(['/entry', 'default']);
    expect(specOf(args).process.args).toEqual(['/entry', 'x']);
    expect(specOf(cmd).process.args).toEqual(['/bin/true', 'y']);
  });

  it('puts the image env first and lets the request override it', async () => {
    plugins.images.images.set(testImage().id, testImage({ config: { ...testImage().config, env: ['PATH=/bin', 'A=image', 'B=image'] } }));
    const id = await svc.createContainer(
      podId,
      testContainerConfig('a', {
        envs: [
          { key: 'B', value: 'cri' },
          { key: 'C', value: 'x=y' },
        ],
      }),
    );
    expect(specOf(id).process.env).toEqual(['PATH=/bin', 'A=image', 'B=cri', 'C=x=y', 'HOSTNAME=web']);
  });

  it('adds and drops capabilities over the default set, ALL included', async () => {
    const cfg = testContainerConfig('a');
    cfg.linux.securityContext.capabilities = { add: ['NET_ADMIN'], drop: ['ALL'], addAmbient: [] };
    const a = await svc.createContainer(podId, cfg);
    expect(specOf(a).process.capabilities?.effective).toEqual(['CAP_NET_ADMIN']);
    const d = testContainerConfig('d');
    d.linux.securityContext.capabilities = { add: [], drop: ['cap_kill'], addAmbient: [] };
    const b = await svc.createContainer(podId, d);
    expect(specOf(b).process.capabilities?.effective).not.toContain('CAP_KILL');
    expect(specOf(b).process.capabilities?.effective).toContain('CAP_CHOWN');
    const bad = testContainerConfig('e');
    bad.linux.securityContext.capabilities = { add: ['CAP_TELEPORT'], drop: [], addAmbient: [] };
    await expect(svc.createContainer(podId, bad)).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('CAP_TELEPORT') });
  });

  it('gives privileged containers no masked or readonly paths and all device access', async () => {
    const cfg = testContainerConfig('p');
    cfg.linux.securityContext.privileged = true;
    const spec = specOf(await svc.createContainer(podId, cfg));
    expect(spec.linux.maskedPaths).toEqual([]);
    expect(spec.linux.readonlyPaths).toEqual([]);
    expect(spec.linux.resources?.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(spec.linux.devices?.length).toBeGreaterThan(0);
  });

  it('applies resources and runs the security plugins on the spec', async () => {
    const seen: string[] = [];
    plugins.security[0]!.applyToContainer = async (spec, req) => {
      seen.push(req.containerName);
      if (spec.process) spec.process.noNewPrivileges = true;
    };
    const cfg = testContainerConfig('r');
    cfg.linux.resources = {
      cpuPeriod: 100000,
      cpuQuota: 50000,
      cpuShares: 512,
      memoryLimitInBytes: 64 << 20,
      oomScoreAdj: 500,
      cpusetCpus: '0',
      cpusetMems: '',
      hugepageLimits: [],
      unified: {},
      memorySwapLimitInBytes: 0,
    };
    const spec = specOf(await svc.createContainer(podId, cfg));
    expect(spec.linux.resources?.cpu).toEqual({ shares: 512, quota: 50000, period: 100000, cpus: '0' });
    expect(spec.linux.resources?.memory).toEqual({ limit: 64 << 20 });
    expect(spec.process.oomScoreAdj).toBe(500);
    expect(spec.process.noNewPrivileges).toBe(true);
    expect(seen).toEqual(['r']);
  });
});

describe('listing, stats and restore', () => {
  it('filters containers by state, pod and label', async () => {
    const a = await svc.createContainer(podId, testContainerConfig('a'));
    const b = await svc.createContainer(podId, testContainerConfig('b'));
    await svc.startContainer(b);
    expect((await svc.listContainers()).map((c) => c.id)).toEqual([a, b]);
    expect((await svc.listContainers({ state: 'running' })).map((c) => c.id)).toEqual([b]);
    expect((await svc.listContainers({ labelSelector: { container: 'a' } })).map((c) => c.id)).toEqual([a]);
    expect(await svc.listContainers({ podId: 'ffff' })).toEqual([]);
  });

  it('reports stats of running containers and sums them per pod', async () => {
    const id = await svc.createContainer(podId, testContainerConfig());
    await svc.startContainer(id);
    const st = await svc.containerStats(id);
    expect(st.sample).toBeDefined();
    const pod = await svc.podSandboxStats(podId);
    expect(pod.containers.map((c) => c.container.id)).toEqual([id]);
  });

  it('reads pod network counters through the namespace plugin, none for a host-network pod', async () => {
    const stats = await svc.podSandboxStats(podId);
    expect(stats.network?.defaultInterface).toMatchObject({ name: 'eth0', rxBytes: 2048n });
    const host = testPodConfig('host', { logDirectory: join(runroot, 'logs') });
    host.linux.securityContext.namespaceOptions = { network: 'node', pid: 'container', ipc: 'node', targetId: '' };
    const hostPod = await svc.runPodSandbox(host, '');
    const listed = await svc.listPodSandboxStats();
    expect(listed.find((p) => p.pod.id === podId)?.network?.interfaces.map((i) => i.name)).toEqual(['eth0']);
    expect(listed.find((p) => p.pod.id === hostPod)?.network).toBeUndefined();
  });

  it('restores containers and reconciles exits that happened while criod was down', async () => {
    const a = await svc.createContainer(podId, testContainerConfig('a'));
    await svc.startContainer(a);
    const b = await svc.createContainer(podId, testContainerConfig('b'));
    await svc.startContainer(b);
    plugins.runtime.exit(b, 3);
    await plugins.runtime.createContainer(bareRuntimeRequest('stray', podId));
    await plugins.images.createRootfs('stray-rootfs', testImage().id);
    const again = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
    await again.restore();
    expect((await again.containerStatus(a, false)).container.state).toBe('running');
    expect((await again.containerStatus(b, false)).container).toMatchObject({ state: 'exited', exitCode: 3, reason: 'Error' });
    expect(plugins.runtime.containers.has('stray')).toBe(false);
    expect(plugins.images.rootfs.has('stray-rootfs')).toBe(false);
    expect(plugins.images.rootfs.has(a)).toBe(true);
    await expect(again.createContainer(podId, testContainerConfig('a'))).rejects.toMatchObject({ code: 'AlreadyExists' });
    svc = again;
  });

  it('leaves everything a quarantined pod owns alone: containers, infra container, rootfs, pins, network', async () => {
    const a = await svc.createContainer(podId, testContainerConfig('a'));
    await svc.startContainer(a);
    // Stands in for the pod's infra container, which only the unreadable pod record names.
    await plugins.runtime.createContainer(bareRuntimeRequest('infra', podId));
    await plugins.images.createRootfs('infra', testImage().id);
    const pod = (await plugins.records.pods.get(podId))!;
    const pins = pod.namespaces;
    plugins.records.pods.records.delete(podId);
    const quarantined = { id: podId, path: `/root/quarantine/pods/${podId}.json`, error: 'Unexpected end of JSON input' };
    plugins.records.pods.quarantine.push(quarantined);
    const again = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
    await again.restore();
    expect(plugins.runtime.containers.get(a)?.state.status).toBe('running');
    expect(plugins.runtime.containers.has('infra')).toBe(true);
    expect([...plugins.images.rootfs.keys()].sort()).toEqual([a, 'infra'].sort());
    expect(await plugins.records.containers.get(a)).toBeDefined();
    expect(pins.map((ns) => plugins.namespace.open.has(ns.path))).toEqual([true, true, true]);
    expect(plugins.network.attached.has(podId)).toBe(true);
    // Not served: kubelet must not act on what criod cannot describe.
    expect(again.listPodSandbox()).toEqual([]);
    expect(await again.listContainers()).toEqual([]);
    expect(JSON.parse((await again.status(true)).info.quarantinedRecords ?? '')).toEqual({ pods: [quarantined], containers: [] });
    // The operator puts the repaired record back: the next start restores the pod whole.
    plugins.records.pods.quarantine.length = 0;
    await plugins.records.pods.put(pod);
    svc = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
    await svc.restore();
    expect(svc.listPodSandbox().map((p) => p.id)).toEqual([podId]);
    expect((await svc.containerStatus(a, false)).container.state).toBe('running');
  });

  it("spares a quarantined container's runtime container and rootfs, and still removes true orphans", async () => {
    const a = await svc.createContainer(podId, testContainerConfig('a'));
    await svc.startContainer(a);
    plugins.records.containers.records.delete(a);
    plugins.records.containers.quarantine.push({ id: a, path: `/root/quarantine/containers/${a}.json`, error: 'createdAt: a decimal integer' });
    await plugins.runtime.createContainer(bareRuntimeRequest('stray', podId));
    const again = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
    await again.restore();
    expect(plugins.runtime.containers.get(a)?.state.status).toBe('running');
    expect(plugins.images.rootfs.has(a)).toBe(true);
    expect(plugins.runtime.containers.has('stray')).toBe(false);
    expect(again.listPodSandbox().map((p) => p.id)).toEqual([podId]);
    expect(await again.listContainers()).toEqual([]);
    svc = again;
  });

  it('refuses to restore past a record of a newer schema, before touching anything', async () => {
    const a = await svc.createContainer(podId, testContainerConfig('a'));
    const pod = (await plugins.records.pods.get(podId))!;
    await plugins.records.pods.put({ ...pod, creating: true }); // would be cleaned up
    plugins.records.containers.list = async () => {
      throw new NewerRecordError('/root/containers/x.json', 3);
    };
    const again = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
    await expect(again.restore()).rejects.toThrow('/root/containers/x.json has schema version 3');
    expect((await plugins.records.pods.get(podId))?.creating).toBe(true);
    expect(plugins.runtime.containers.has(a)).toBe(true);
    expect(plugins.namespace.open.size).toBe(3);
  });
});

async function runningContainers(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = await svc.createContainer(podId, testContainerConfig(`c${i}`));
    await svc.startContainer(id);
    ids.push(id);
  }
  return ids;
}

/** Move the clock StateChecks and the stats cache read (performance.now) forward. */
function advanceClock(ms: number): void {
  const later = performance.now() + ms;
  vi.spyOn(performance, 'now').mockReturnValue(later);
}

describe('reads answered from memory while exits are watched', () => {
  afterEach(() => vi.restoreAllMocks());

  it('lists, statuses and stats ask the runtime nothing when nothing changed', async () => {
    await svc.restore(); // starts watching the runtime's exits
    const [a] = await runningContainers(3);
    const asked = vi.spyOn(plugins.runtime, 'containerState');
    expect((await svc.listContainers()).map((c) => c.state)).toEqual(['running', 'running', 'running']);
    await svc.containerStatus(a!, false);
    await svc.podSandboxStatus(podId, false);
    await svc.listContainerStats();
    await svc.listPodSandboxStats();
    expect(asked).not.toHaveBeenCalled();
  });

  it('shows an announced exit in the very next list, asking only about that container', async () => {
    await svc.restore();
    const [a, b] = await runningContainers(2);
    const asked = vi.spyOn(plugins.runtime, 'containerState');
    plugins.runtime.exit(a!, 3);
    const list = await svc.listContainers();
    expect(list.find((c) => c.id === a)).toMatchObject({ state: 'exited', exitCode: 3, reason: 'Error' });
    expect(list.find((c) => c.id === b)?.state).toBe('running');
    expect(new Set(asked.mock.calls.map(([id]) => id))).toEqual(new Set([a]));
  });

  it('asks the runtime per container on every read when exits are not watched', async () => {
    await runningContainers(2); // no restore: nothing watches exits
    const asked = vi.spyOn(plugins.runtime, 'containerState');
    await svc.listContainers();
    await svc.listContainers();
    expect(asked).toHaveBeenCalledTimes(4);
  });

  it('rechecks a live container unconfirmed for RECHECK_AFTER_MS in the background, catching an exit nobody announced', async () => {
    await svc.restore(); // starts the recheck sweep
    const [id] = await runningContainers(1);
    // Its monitor was killed: the process ended and nobody announced it.
    plugins.runtime.containers.get(id!)!.state = { status: 'stopped', pid: 0, exitCode: 137, finishedAt: BigInt(Date.now()) * 1_000_000n };
    advanceClock(RECHECK_AFTER_MS);
    // Reads answer from memory and leave the asking to the sweep, which finds the exit on its next slice.
    expect((await svc.listContainers())[0]?.state).toBe('running');
    await vi.waitFor(async () => expect((await svc.listContainers())[0]).toMatchObject({ state: 'exited', exitCode: 137 }), { timeout: 5000 });
  });

  it('leaves containers confirmed within RECHECK_AFTER_MS alone', async () => {
    await svc.restore();
    await runningContainers(2);
    const asked = vi.spyOn(plugins.runtime, 'containerState');
    advanceClock(RECHECK_AFTER_MS - 100);
    // Past two slices of the sweep.
    await new Promise((r) => setTimeout(r, (2 * RECHECK_AFTER_MS) / 20 + 100));
    expect(asked).not.toHaveBeenCalled();
  });
});

describe('stats reads shared for a short while', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads cgroups once a second and writable layers every 10 s, shared by concurrent and back-to-back calls', async () => {
    await runningContainers(2);
    const cgroups = vi.spyOn(plugins.runtime, 'stats');
    const layers = vi.spyOn(plugins.images, 'rootfsUsage');
    await Promise.all([svc.listContainerStats(), svc.listContainerStats(), svc.listPodSandboxStats()]);
    await svc.listContainerStats();
    expect([cgroups.mock.calls.length, layers.mock.calls.length]).toEqual([2, 2]);
    advanceClock(COUNTER_TTL_MS);
    await svc.listContainerStats();
    expect([cgroups.mock.calls.length, layers.mock.calls.length]).toEqual([4, 2]);
    advanceClock(LAYER_USAGE_TTL_MS);
    await svc.listContainerStats();
    expect([cgroups.mock.calls.length, layers.mock.calls.length]).toEqual([6, 4]);
  });

  it('gives no cgroup sample for a container that exited, even one read a moment ago', async () => {
    const [id] = await runningContainers(1);
    expect((await svc.containerStats(id!)).sample).toBeDefined();
    await svc.stopContainer(id!, 0);
    expect((await svc.containerStats(id!)).sample).toBeUndefined();
  });

  it("hands the namespace plugin the pids of the pod's running containers, and shares its reads too", async () => {
    const [id] = await runningContainers(1);
    const read = vi.spyOn(plugins.namespace, 'networkStats');
    await Promise.all([svc.listPodSandboxStats(), svc.podSandboxStats(podId)]);
    expect(read).toHaveBeenCalledTimes(1);
    expect(read).toHaveBeenCalledWith(expect.objectContaining({ kind: 'net' }), { pids: [plugins.runtime.containers.get(id!)!.state.pid] });
  });
});

describe('container events', () => {
  it('tells listeners of created, started, stopped (also an exit nobody asked about) and deleted', async () => {
    await svc.restore(); // starts watching the runtime's exits
    const seen: string[] = [];
    const off = svc.onContainerEvent((e) => seen.push(`${e.type}:${e.containerId.slice(0, 4)}`));
    const a = await svc.createContainer(podId, testContainerConfig('a'));
    await svc.startContainer(a);
    plugins.runtime.exit(a, 0);
    await new Promise((r) => setTimeout(r, 20));
    await svc.removeContainer(a);
    off();
    await svc.createContainer(podId, testContainerConfig('b'));
    const id = a.slice(0, 4);
    expect(seen).toEqual([`created:${id}`, `started:${id}`, `stopped:${id}`, `deleted:${id}`]);
  });
});

/**
 * Park the runtime's state reads made while parking is on; each read asks the runtime only once
 * released, so the test decides what the parked callers see and when.
 */
function parkStateReads(runtime: FakePluginSet['runtime']) {
  const read = runtime.containerState.bind(runtime);
  const parked: (() => void)[] = [];
  let parking = true;
  runtime.containerState = async (id) => {
    if (parking) await new Promise<void>((resolve) => parked.push(resolve));
    return read(id);
  };
  return {
    parked: () => parked.length,
    /** Stop parking new reads; the parked ones stay until release(). */
    stop: () => (parking = false),
    release: () => parked.splice(0).forEach((resume) => resume()),
  };
}

describe('status, list and stats racing an exit and a removal', () => {
  const hammer = (id: string) => [
    svc.containerStatus(id, false),
    svc.listContainers(),
    svc.containerStats(id),
    svc.listContainerStats(),
    svc.podSandboxStats(podId),
    svc.listPodSandboxStats(),
  ];

  async function untilParked(park: ReturnType<typeof parkStateReads>, n: number) {
    while (park.parked() < n) await new Promise((r) => setImmediate(r));
  }

  it('emit exactly one stopped event for one exit', async () => {
    await svc.restore(); // the exit watcher refreshes too
    const id = await svc.createContainer(podId, testContainerConfig());
    await svc.startContainer(id);
    const stopped: string[] = [];
    svc.onContainerEvent((e) => e.type === 'stopped' && stopped.push(e.containerId));
    const park = parkStateReads(plugins.runtime);
    // The announced exit makes the watcher and every read ask the runtime, all at once.
    plugins.runtime.exit(id, 0);
    const calls = hammer(id);
    await untilParked(park, calls.length + 1);
    park.stop();
    park.release();
    await Promise.all(calls);
    await new Promise((r) => setTimeout(r, 5));
    expect(stopped).toEqual([id]);
    expect((await svc.containerStatus(id, false)).container).toMatchObject({ state: 'exited', exitCode: 0 });
  });

  it('write nothing back for a container removed meanwhile: no ghost record after a restart', async () => {
    const id = await svc.createContainer(podId, testContainerConfig());
    await svc.startContainer(id);
    const events: string[] = [];
    svc.onContainerEvent((e) => events.push(e.type));
    const park = parkStateReads(plugins.runtime);
    const calls = hammer(id);
    await untilParked(park, calls.length);
    park.stop();
    await svc.removeContainer(id);
    park.release();
    await Promise.allSettled(calls);
    expect(events).toEqual(['stopped', 'deleted']);
    expect(await plugins.records.containers.list()).toEqual([]);
    const again = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
    await again.restore();
    expect(await again.listContainers()).toEqual([]);
    svc = again;
  });
});

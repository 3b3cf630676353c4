import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailedPreconditionError } from '../errors.js';
import { silentLogger } from '../logger.js';
import type { OciSpec } from '../oci/spec.js';
import type { ContainerSecurityRequest, PodSecurityReservation, PodSecurityState, SecurityPlugin } from '../plugins.js';
import { CriService } from '../service.js';
import { fakePluginSet, testContainerConfig, testImage, testPodConfig as podConfig, testPodRecord, type FakePluginSet } from '../testing/index.js';
import type { PodSandboxConfig } from '../types.js';
import { isMountPoint } from '../util/mount.js';

let runroot: string;
let plugins: FakePluginSet;
let svc: CriService;

beforeEach(() => {
  runroot = mkdtempSync(join(tmpdir(), 'criod-pods-'));
  plugins = fakePluginSet();
  svc = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
});

afterEach(async () => {
  for (const pod of svc.listPodSandbox()) await svc.removePodSandbox(pod.id);
  rmSync(runroot, { recursive: true, force: true });
});

function hostNetworkConfig(name: string): PodSandboxConfig {
  const c = podConfig(name);
  c.linux.securityContext.namespaceOptions = { network: 'node', pid: 'container', ipc: 'node', targetId: '' };
  return c;
}

describe('RunPodSandbox', () => {
  it('pins namespaces, attaches the network, writes the pod files and records the pod', async () => {
    const id = await svc.runPodSandbox(podConfig(), '');
    const { pod } = await svc.podSandboxStatus(id, false);
    expect(pod.state).toBe('ready');
    expect(pod.ips).toEqual(plugins.network.attached.get(id));
    expect(pod.namespaces.map((n) => n.kind).sort()).toEqual(['ipc', 'net', 'uts']);
    expect(plugins.namespace.open.size).toBe(3);
    expect((await plugins.records.pods.get(id))?.creating).toBe(false);
    expect(readFileSync(pod.files.resolvConf, 'utf8')).toBe('search default.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
    expect(readFileSync(pod.files.hosts, 'utf8')).toContain(`${pod.ips[0]}\tweb\n`);
    expect(readFileSync(pod.files.hostname, 'utf8')).toBe('web\n');
    expect(await isMountPoint(pod.files.shm)).toBe(true);
    // Every pod gets a runtime sandbox; without a shared PID namespace it has no infra container.
    expect(plugins.runtime.sandboxes.get(id)?.sandbox).toEqual({ podId: id, handler: '', config: pod.config, namespaces: pod.namespaces });
    expect(plugins.runtime.containers.size).toBe(0);
  });

  it('refuses a second pod with the same name, naming the holder', async () => {
    const id = await svc.runPodSandbox(podConfig(), '');
    await expect(svc.runPodSandbox(podConfig(), '')).rejects.toMatchObject({ code: 'AlreadyExists', message: expect.stringContaining(id) });
  });

  it('leaves nothing behind when the network fails, and the name can be used again', async () => {
    plugins.network.failNextSetUp = new Error('CNI plugin bridge failed (ADD): boom');
    await expect(svc.runPodSandbox(podConfig(), '')).rejects.toThrow('boom');
    expect(plugins.namespace.open.size).toBe(0);
    expect(await plugins.records.pods.list()).toEqual([]);
    expect(svc.listPodSandbox()).toEqual([]);
    expect(existsSync(join(runroot, 'pods')) ? readdirSync(join(runroot, 'pods')) : []).toEqual([]);
    const id = await svc.runPodSandbox(podConfig(), '');
    expect(id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leaves nothing behind when the runtime fails to make the sandbox', async () => {
    plugins.runtime.failNextRunPodSandbox = new Error('boot the pod VM: no memory');
    await expect(svc.runPodSandbox(podConfig(), '')).rejects.toThrow('no memory');
    expect(plugins.namespace.open.size).toBe(0);
    expect(plugins.network.attached.size).toBe(0);
    expect(await plugins.records.pods.list()).toEqual([]);
    expect(plugins.runtime.sandboxes.size).toBe(0);
  });

  it('leaves nothing behind when namespace creation fails', async () => {
    plugins.namespace.failNextCreate = new Error('unshare failed');
    await expect(svc.runPodSandbox(podConfig(), '')).rejects.toThrow('unshare failed');
    expect(await plugins.records.pods.list()).toEqual([]);
    expect(plugins.network.attached.size).toBe(0);
  });

  it('gives host-network pods no network call and no network namespace', async () => {
    const id = await svc.runPodSandbox(hostNetworkConfig('hostpod'), '');
    const { pod } = await svc.podSandboxStatus(id, false);
    expect(pod.ips).toEqual([]);
    expect(pod.namespaces).toEqual([]);
    expect(plugins.network.attached.size).toBe(0);
    expect(pod.files.shm).toBe('/dev/shm');
  });

  it('refuses bad input with InvalidArgument and keeps nothing', async () => {
    await expect(svc.runPodSandbox(podConfig(''), '')).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(svc.runPodSandbox(podConfig('a/b'), '')).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(svc.runPodSandbox(podConfig('ok', { hostname: 'bad host' }), '')).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(svc.runPodSandbox(podConfig('ok', { annotations: { 'io.kubernetes.cri-o.ShmSize': 'lots' } }), '')).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    await expect(svc.runPodSandbox(podConfig(), 'kata')).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('kata') });
    expect(await plugins.records.pods.list()).toEqual([]);
  });

  it('refuses metadata that would break CNI_ARGS and log directories that climb out', async () => {
    for (const name of ['a;b', 'K8S_POD_NAME=x', 'tab\there']) {
      await expect(svc.runPodSandbox(podConfig(name), '')).rejects.toMatchObject({
        code: 'InvalidArgument',
        message: expect.stringContaining('metadata.name'),
      });
    }
    await expect(svc.runPodSandbox(podConfig('ok', { logDirectory: '/tmp/../../etc' }), '')).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: `pod log_directory "/tmp/../../etc" must not contain '..'`,
    });
    await expect(svc.runPodSandbox(podConfig('ok', { logDirectory: 'var/log' }), '')).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('log_directory'),
    });
    for (const cgroupParent of ['/kubepods/../../system.slice', 'relative/path', 'not a slice']) {
      const config = podConfig('ok');
      config.linux.cgroupParent = cgroupParent;
      await expect(svc.runPodSandbox(config, '')).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('cgroup_parent') });
    }
    expect(await plugins.records.pods.list()).toEqual([]);
  });

  it('keeps p_q/r and p/q_r apart: two pods, two names', async () => {
    const a = podConfig('a', { metadata: { name: 'p_q', namespace: 'r', uid: 'u', attempt: 0 } });
    const b = podConfig('b', { metadata: { name: 'p', namespace: 'q_r', uid: 'u', attempt: 0 } });
    const ids = [await svc.runPodSandbox(a, ''), await svc.runPodSandbox(b, '')];
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) await svc.removePodSandbox(id);
  });

  it('refuses run_as_group without run_as_user, as containerd does', async () => {
    const groupOnly = podConfig();
    groupOnly.linux.securityContext.runAsGroup = 1002;
    await expect(svc.runPodSandbox(groupOnly, '')).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: 'pod sandbox: run_as_group 1002 is set without run_as_user',
    });
    expect(await plugins.records.pods.list()).toEqual([]);
    groupOnly.linux.securityContext.runAsUser = 1001;
    await svc.runPodSandbox(groupOnly, '');
  });

  it('hands a pod finished after its caller gave up to the retry of the same request', async () => {
    const gone = new AbortController();
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const setUp = plugins.network.setUp.bind(plugins.network);
    plugins.network.setUp = async (req) => {
      await slow;
      return setUp(req);
    };
    const first = svc.runPodSandbox(podConfig(), '', { signal: gone.signal });
    await new Promise((r) => setTimeout(r, 20));
    gone.abort(); // kubelet's deadline passed
    const retry = svc.runPodSandbox(podConfig(), '');
    release();
    const [a, b] = await Promise.all([first, retry]);
    expect(b).toBe(a);
    expect(svc.listPodSandbox()).toHaveLength(1);
    // Once handed over, the name is an ordinary conflict again.
    await expect(svc.runPodSandbox(podConfig(), '')).rejects.toMatchObject({ code: 'AlreadyExists' });
  });

  it('answers AlreadyExists to a concurrent duplicate whose first caller is still waiting', async () => {
    const results = await Promise.allSettled([svc.runPodSandbox(podConfig(), ''), svc.runPodSandbox(podConfig(), '')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
  });
});

describe('StopPodSandbox and RemovePodSandbox', () => {
  it('stops twice and removes twice without error, releasing everything', async () => {
    const id = await svc.runPodSandbox(podConfig(), '');
    const { pod } = await svc.podSandboxStatus(id, false);
    await svc.stopPodSandbox(id);
    await svc.stopPodSandbox(id);
    expect((await svc.podSandboxStatus(id, false)).pod.state).toBe('notready');
    expect(plugins.namespace.open.size).toBe(0);
    expect(plugins.network.attached.size).toBe(0);
    expect(await isMountPoint(pod.files.shm)).toBe(false);
    await svc.removePodSandbox(id);
    await svc.removePodSandbox(id);
    await expect(svc.podSandboxStatus(id, false)).rejects.toMatchObject({ code: 'NotFound' });
    expect(existsSync(pod.files.dir)).toBe(false);
    expect(await plugins.records.pods.list()).toEqual([]);
    // The name is free again.
    await svc.runPodSandbox(podConfig(), '');
  });

  it('accepts stop and remove of pods it does not know', async () => {
    await svc.stopPodSandbox('f'.repeat(64));
    await svc.removePodSandbox('f'.repeat(64));
  });

  it('removes a ready pod directly, stopping it first and killing its containers', async () => {
    const id = await svc.runPodSandbox(podConfig(), '');
    plugins.images.images.set(testImage().id, testImage());
    const cid = await svc.createContainer(id, testContainerConfig());
    await svc.startContainer(cid);
    await svc.removePodSandbox(id);
    expect(plugins.runtime.containers.size).toBe(0);
    expect(svc.ctx.state.containers.size).toBe(0);
    expect(plugins.namespace.open.size).toBe(0);
  });
});

describe('PodSandboxStatus and ListPodSandbox', () => {
  it('finds pods by unique id prefix and refuses an unknown one', async () => {
    const id = await svc.runPodSandbox(podConfig(), '');
    expect((await svc.podSandboxStatus(id.slice(0, 8), false)).pod.id).toBe(id);
    await expect(svc.podSandboxStatus('zzzz', false)).rejects.toMatchObject({ code: 'NotFound' });
    await expect(svc.podSandboxStatus('', false)).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('adds the netns path to verbose info', async () => {
    const id = await svc.runPodSandbox(podConfig(), '');
    const { info } = await svc.podSandboxStatus(id, true);
    expect(JSON.parse(info.info ?? '{}')).toMatchObject({ netnsPath: `/fake/ns/net/${id}` });
  });

  it('filters by id prefix, state and labels', async () => {
    const a = await svc.runPodSandbox(podConfig('a'), '');
    const b = await svc.runPodSandbox(podConfig('b'), '');
    await svc.stopPodSandbox(b);
    expect(svc.listPodSandbox().map((p) => p.id)).toEqual([a, b]);
    expect(svc.listPodSandbox({ state: 'ready' }).map((p) => p.id)).toEqual([a]);
    expect(svc.listPodSandbox({ labelSelector: { app: 'b' } }).map((p) => p.id)).toEqual([b]);
    expect(svc.listPodSandbox({ id: a.slice(0, 10) }).map((p) => p.id)).toEqual([a]);
    expect(svc.listPodSandbox({ labelSelector: { app: 'c' } })).toEqual([]);
  });
});

describe('PortForward', () => {
  it("reaches the pod's port through the runtime, and refuses unknown and stopped pods", async () => {
    // The fake runtime's pods share the host's loopback: a listener of the test's own stands in for the pod's server.
    const listener = createServer((socket) => socket.end('hello from the pod'));
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    try {
      const id = await svc.runPodSandbox(podConfig(), '');
      expect(svc.preparePortForward(id.slice(0, 12))).toBe(id);
      const connection = await svc.portForward(id.slice(0, 12), (listener.address() as AddressInfo).port);
      const chunks: Buffer[] = [];
      for await (const chunk of connection) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('hello from the pod');
      await expect(svc.portForward(id, 0)).rejects.toMatchObject({ code: 'InvalidArgument' });
      expect(() => svc.preparePortForward('f'.repeat(64))).toThrow(/not found/);
      await svc.stopPodSandbox(id);
      expect(() => svc.preparePortForward(id)).toThrow(FailedPreconditionError);
      await expect(svc.portForward(id, 80)).rejects.toThrow(FailedPreconditionError);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});

describe('restore', () => {
  it('brings pods back with their names after a restart', async () => {
    const id = await svc.runPodSandbox(podConfig(), '');
    const again = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
    await again.restore();
    expect(again.listPodSandbox().map((p) => [p.id, p.state, p.ips])).toEqual([[id, 'ready', plugins.network.attached.get(id)]]);
    await expect(again.runPodSandbox(podConfig(), '')).rejects.toMatchObject({ code: 'AlreadyExists' });
    await again.stopPodSandbox(id);
    await again.removePodSandbox(id);
    expect(plugins.namespace.open.size).toBe(0);
    svc = again;
  });

  it('cleans up a pod a crash left half-made, and namespaces no pod owns', async () => {
    const id = await svc.runPodSandbox(podConfig(), '');
    const rec = (await plugins.records.pods.get(id))!;
    await plugins.records.pods.put({ ...rec, creating: true, state: 'notready' });
    await plugins.namespace.create('orphan', ['net']);
    const again = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
    await again.restore();
    expect(again.listPodSandbox()).toEqual([]);
    expect(await plugins.records.pods.list()).toEqual([]);
    expect(plugins.namespace.open.size).toBe(0);
    expect(plugins.network.attached.size).toBe(0);
    expect(await isMountPoint(rec.files.shm)).toBe(false);
    svc = again;
  });
});

describe('pods sharing one PID namespace', () => {
  it('run an infra container from the pause image that containers join, and remove it with the pod', async () => {
    const pause = testImage({ id: 'c'.repeat(64), repoTags: ['registry.example/pause:1'], config: { ...testImage().config, entrypoint: ['/pause'], cmd: [] } });
    plugins.images.registry.set('registry.example/pause:1', pause);
    plugins.images.images.set(testImage().id, testImage());
    svc = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot, pauseImage: 'registry.example/pause:1' });
    const shared = podConfig('shared');
    shared.linux.securityContext.namespaceOptions.pid = 'pod';
    const podId = await svc.runPodSandbox(shared, '');
    const { pod } = await svc.podSandboxStatus(podId, false);
    const infra = plugins.runtime.containers.get(pod.infraContainerId!)!;
    expect(infra.state.status).toBe('running');
    expect(infra.req.spec.process?.args).toEqual(['/pause']);
    expect(plugins.runtime.sandboxes.get(podId)?.sandbox.infraContainerId).toBe(pod.infraContainerId);
    const cfg = testContainerConfig('app');
    cfg.linux.securityContext.namespaceOptions.pid = 'pod';
    const cid = await svc.createContainer(podId, cfg);
    const pidNs = plugins.runtime.containers.get(cid)!.req.spec.linux?.namespaces?.find((n) => n.type === 'pid');
    // The path the runtime names, not one core makes up.
    expect(pidNs?.path).toBe(`/fake/ns/pid/${pod.infraContainerId}`);
    await svc.stopPodSandbox(podId);
    expect(plugins.runtime.containers.get(pod.infraContainerId!)?.state.status).toBe('stopped');
    expect(plugins.runtime.sandboxes.get(podId)?.status).toBe('stopped');
    await svc.removePodSandbox(podId);
    expect(plugins.runtime.containers.size).toBe(0);
    expect(plugins.runtime.sandboxes.size).toBe(0);
    expect(plugins.images.rootfs.size).toBe(0);
  });

  it('keeps the infra across a restart: a container created afterwards joins it, and RemovePodSandbox frees it', async () => {
    const pause = testImage({ id: 'c'.repeat(64), repoTags: ['registry.example/pause:1'], config: { ...testImage().config, entrypoint: ['/pause'], cmd: [] } });
    plugins.images.registry.set('registry.example/pause:1', pause);
    plugins.images.images.set(testImage().id, testImage());
    const options = { runtimeVersion: 't', runroot, pauseImage: 'registry.example/pause:1' };
    svc = new CriService(plugins, silentLogger, options);
    const shared = podConfig('restarted');
    shared.linux.securityContext.namespaceOptions.pid = 'pod';
    const podId = await svc.runPodSandbox(shared, '');
    const infraId = (await svc.podSandboxStatus(podId, false)).pod.infraContainerId!;
    svc = new CriService(plugins, silentLogger, options);
    await svc.restore();
    expect(plugins.runtime.containers.get(infraId)?.state.status).toBe('running');
    const cfg = testContainerConfig('late');
    cfg.linux.securityContext.namespaceOptions.pid = 'pod';
    const cid = await svc.createContainer(podId, cfg);
    const spec = plugins.runtime.containers.get(cid)!.req.spec.linux;
    expect(spec?.namespaces?.find((n) => n.type === 'pid')?.path).toBe(`/fake/ns/pid/${infraId}`);
    await svc.removePodSandbox(podId);
    expect(plugins.runtime.containers.size).toBe(0);
    expect(plugins.images.rootfs.size).toBe(0);
  });

  it('joins the PID namespace of a TARGET container, as the runtime names it, and refuses one that does not run', async () => {
    plugins.images.images.set(testImage().id, testImage());
    const podId = await svc.runPodSandbox(podConfig('targeted'), '');
    const target = await svc.createContainer(podId, testContainerConfig('target'));
    await svc.startContainer(target);
    const debug = testContainerConfig('debug');
    debug.linux.securityContext.namespaceOptions = { ...debug.linux.securityContext.namespaceOptions, pid: 'target', targetId: target };
    const cid = await svc.createContainer(podId, debug);
    const spec = plugins.runtime.containers.get(cid)!.req.spec.linux;
    expect(spec?.namespaces?.find((n) => n.type === 'pid')?.path).toBe(`/fake/ns/pid/${target}`);
    await svc.stopContainer(target, 0);
    await expect(svc.createContainer(podId, { ...debug, metadata: { name: 'debug2', attempt: 0 } })).rejects.toMatchObject({
      code: 'FailedPrecondition',
      message: expect.stringContaining(`container ${target}, which holds the PID namespace to join, is not running`),
    });
  });

  it('removes a pod whose infra rootfs a crash during RunPodSandbox left, leaving nothing', async () => {
    const pause = testImage({ id: 'c'.repeat(64), repoTags: ['registry.example/pause:1'], config: { ...testImage().config, entrypoint: ['/pause'], cmd: [] } });
    plugins.images.registry.set('registry.example/pause:1', pause);
    svc = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot, pauseImage: 'registry.example/pause:1' });
    const shared = podConfig('failing');
    shared.linux.securityContext.namespaceOptions.pid = 'pod';
    plugins.runtime.failNextRunPodSandbox = new Error('runc run: boom');
    await expect(svc.runPodSandbox(shared, '')).rejects.toThrow('boom');
    expect(plugins.images.rootfs.size).toBe(0);
    expect(plugins.runtime.containers.size).toBe(0);
    expect(plugins.namespace.open.size).toBe(0);
  });

  it('confines the infra container with every security plugin, by the pod-level security context', async () => {
    const seen: ContainerSecurityRequest[] = [];
    const confining: SecurityPlugin = {
      name: 'confining',
      status: async () => ({ enabled: true, message: '' }),
      async applyToContainer(spec: OciSpec, req: ContainerSecurityRequest) {
        seen.push(req);
        spec.linux = { ...spec.linux, seccomp: { defaultAction: req.seccomp?.type === 'runtimeDefault' ? 'SCMP_ACT_ERRNO' : 'SCMP_ACT_ALLOW' } };
        if (spec.process) spec.process.apparmorProfile = `confined-${req.apparmor?.type ?? 'none'}`;
      },
    };
    plugins.security.push(confining);
    const pause = testImage({ id: 'c'.repeat(64), repoTags: ['registry.example/pause:1'], config: { ...testImage().config, entrypoint: ['/pause'], cmd: [] } });
    plugins.images.registry.set('registry.example/pause:1', pause);
    svc = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot, pauseImage: 'registry.example/pause:1' });
    const shared = podConfig('confined');
    shared.linux.securityContext.namespaceOptions.pid = 'pod';
    shared.linux.securityContext.seccompProfile = { type: 'runtimeDefault', localhostRef: '' };
    shared.linux.securityContext.apparmorProfile = { type: 'localhost', localhostRef: 'pod-profile' };
    const podId = await svc.runPodSandbox(shared, '');
    const { pod } = await svc.podSandboxStatus(podId, false);
    const infra = plugins.runtime.containers.get(pod.infraContainerId!)!;
    expect(infra.req.spec.linux).toMatchObject({ seccomp: { defaultAction: 'SCMP_ACT_ERRNO' } });
    expect(infra.req.spec.process).toMatchObject({ apparmorProfile: 'confined-localhost' });
    expect(seen).toEqual([
      {
        podId,
        containerName: 'POD',
        privileged: false,
        seccomp: { type: 'runtimeDefault', localhostRef: '' },
        apparmor: { type: 'localhost', localhostRef: 'pod-profile' },
        selinux: shared.linux.securityContext.selinux,
      },
    ]);
  });

  it('refuses a pod-shared PID namespace container in a pod without one', async () => {
    plugins.images.images.set(testImage().id, testImage());
    const podId = await svc.runPodSandbox(podConfig(), '');
    const cfg = testContainerConfig('app');
    cfg.linux.securityContext.namespaceOptions.pid = 'pod';
    await expect(svc.createContainer(podId, cfg)).rejects.toMatchObject({ code: 'FailedPrecondition' });
  });
});

/** A security plugin that hands out a token per pod, like an SELinux level, and remembers what it was given back. */
class TokenSecurity implements SecurityPlugin {
  readonly name = 'tokens';
  readonly given = new Map<string, PodSecurityState | undefined>();
  private next = 0;
  constructor(private readonly prefix: string) {}
  async status() {
    return { enabled: true, message: '' };
  }
  async applyToContainer(): Promise<void> {}
  async reservePod(podId: string, { state }: PodSecurityReservation): Promise<PodSecurityState> {
    this.given.set(podId, state);
    return { token: state?.token ?? `${this.prefix}-${this.next++}` };
  }
}

describe('security plugin state', () => {
  it('keeps what reservePod returned in the pod record and hands it back at restore', async () => {
    const before = new TokenSecurity('first');
    plugins.security = [before];
    const podId = await svc.runPodSandbox(podConfig(), '');
    expect(before.given.get(podId)).toBeUndefined();
    expect((await plugins.records.pods.get(podId))?.securityState).toEqual({ tokens: { token: 'first-0' } });

    // A restart: a fresh plugin instance, the same store.
    const after = new TokenSecurity('second');
    plugins.security = [after];
    svc = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
    await svc.restore();
    expect(after.given.get(podId)).toEqual({ token: 'first-0' });
    expect((await plugins.records.pods.get(podId))?.securityState).toEqual({ tokens: { token: 'first-0' } });
  });

  it('records the state a plugin gives a pod restored from a record without any', async () => {
    const podId = await svc.runPodSandbox(podConfig(), '');
    expect((await plugins.records.pods.get(podId))?.securityState).toBeUndefined();
    plugins.security = [new TokenSecurity('late')];
    svc = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
    await svc.restore();
    expect((await plugins.records.pods.get(podId))?.securityState).toEqual({ tokens: { token: 'late-0' } });
  });
});

describe('UpdatePodSandboxResources', () => {
  it('records new pod-level resources, refusing unknown pods and bad values', async () => {
    const id = await svc.runPodSandbox(podConfig(), '');
    const r = {
      cpuPeriod: 100000,
      cpuQuota: 200000,
      cpuShares: 1024,
      memoryLimitInBytes: 256 << 20,
      oomScoreAdj: 0,
      cpusetCpus: '',
      cpusetMems: '',
      hugepageLimits: [],
      unified: {},
      memorySwapLimitInBytes: 0,
    };
    await svc.updatePodSandboxResources(id, undefined, r);
    expect((await plugins.records.pods.get(id))?.config.linux.resources).toEqual(r);
    expect(plugins.runtime.sandboxes.get(id)).toMatchObject({ resources: r });
    await expect(svc.updatePodSandboxResources('f'.repeat(64), undefined, r)).rejects.toMatchObject({ code: 'NotFound' });
    await expect(svc.updatePodSandboxResources(id, undefined, { ...r, cpuShares: -1 })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('records nothing when the runtime refuses to resize its sandbox', async () => {
    const id = await svc.runPodSandbox(podConfig(), '');
    plugins.runtime.sandboxes.delete(id);
    const r = testPodRecord().config.linux.overhead!;
    await expect(svc.updatePodSandboxResources(id, r, undefined)).rejects.toMatchObject({ code: 'NotFound' });
    expect((await plugins.records.pods.get(id))?.config.linux.overhead).toBeUndefined();
  });
});

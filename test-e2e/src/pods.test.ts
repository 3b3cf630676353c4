import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { cri } from '@criod/cri-grpc';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { mountsBelow, startCriod, waitFor, type CriodInstance } from './harness.js';
import {
  allocatedIps,
  bridgePorts,
  deleteBridge,
  networksUnderTest,
  ping,
  writeBridgeNetwork,
  writeTestPlugin,
  type NetworkUnderTest,
  type PodNetwork,
} from './network.js';
import { netnsPathOf, podConfig } from './pods.js';

let criod: CriodInstance | undefined;
let net: PodNetwork | undefined;

afterEach(async () => {
  try {
    if (criod) {
      // Remove whatever the test left, through criod, so the network plugin releases IPs and veths.
      const pods = await criod.client.runtime.listPodSandbox({ filter: undefined }).catch(() => ({ items: [] }));
      for (const p of pods.items) await criod.client.runtime.removePodSandbox({ podSandboxId: p.id }).catch(() => undefined);
      await criod.cleanup();
    }
  } finally {
    await deleteBridge(net);
    criod = undefined;
    net = undefined;
  }
});

async function start(extra: Record<string, unknown> = {}) {
  criod = await startCriod({ config: extra });
  return criod;
}

/** criod running with the network plugin under test, its network made and ready. */
async function startWith(network: NetworkUnderTest, options: { slowSetUpMs?: number } = {}) {
  const c = await start(network.criodConfig);
  const n = await network.attach(c, options);
  net = n;
  await networkReady(c);
  return { c, n };
}

async function networkReady(c: CriodInstance) {
  await waitFor('NetworkReady', async () => {
    const st = await c.client.runtime.status({ verbose: false });
    return st.status?.conditions.find((x) => x.type === 'NetworkReady')?.status === true;
  });
}

/** Nothing of any pod is left: no pins, no veths, no IPs, no records, no pod mounts. */
async function expectNothingLeft(c: CriodInstance, n: PodNetwork) {
  expect(readdirSync(join(c.dir, 'netns'))).toEqual([]);
  expect(await bridgePorts(n)).toEqual([]);
  expect(allocatedIps(n)).toEqual([]);
  expect(existsSync(join(c.dir, 'root', 'pods')) ? readdirSync(join(c.dir, 'root', 'pods')) : []).toEqual([]);
  const podMounts = mountsBelow(join(c.dir, 'run', 'pods'));
  expect(podMounts).toEqual([]);
}

describe.each(Object.entries(networksUnderTest))('pod networking through %s', (_plugin, network) => {
  it('runs a pod the host can reach, and a second pod that reaches the first over the bridge', async () => {
    const { c, n } = await startWith(network());
    const a = await c.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: '' });
    const b = await c.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: '' });
    const sa = await c.client.runtime.podSandboxStatus({ podSandboxId: a.podSandboxId, verbose: true });
    const sb = await c.client.runtime.podSandboxStatus({ podSandboxId: b.podSandboxId, verbose: true });
    expect(sa.status?.state).toBe(cri.PodSandboxState.SANDBOX_READY);
    const ipA = sa.status?.network?.ip ?? '';
    const ipB = sb.status?.network?.ip ?? '';
    expect(ipA.startsWith(`${n.prefix}.`)).toBe(true);
    expect(ipB).not.toBe(ipA);
    expect(await ping(ipA)).toBe(true);
    expect(await ping(ipA, netnsPathOf(sb.info))).toBe(true);
    expect(sa.status?.linux?.namespaces?.options?.network).toBe(cri.NamespaceMode.POD);
    expect(sa.status?.labels.suite).toBe('e2e');
    expect(sa.status?.createdAt).toBeGreaterThan(1_700_000_000_000_000_000n);
  });

  it('stops twice and removes twice, leaving nothing behind', async () => {
    const { c, n } = await startWith(network());
    const { podSandboxId } = await c.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: '' });
    await c.client.runtime.stopPodSandbox({ podSandboxId });
    await c.client.runtime.stopPodSandbox({ podSandboxId });
    const st = await c.client.runtime.podSandboxStatus({ podSandboxId, verbose: false });
    expect(st.status?.state).toBe(cri.PodSandboxState.SANDBOX_NOTREADY);
    await c.client.runtime.removePodSandbox({ podSandboxId });
    await c.client.runtime.removePodSandbox({ podSandboxId });
    await expect(c.client.runtime.podSandboxStatus({ podSandboxId, verbose: false })).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
    await expectNothingLeft(c, n);
  });

  it('keeps pods across a graceful restart, and stops and removes them afterwards', async () => {
    const { c, n } = await startWith(network());
    const { podSandboxId } = await c.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: '' });
    const before = await c.client.runtime.podSandboxStatus({ podSandboxId, verbose: false });
    expect(await c.stop()).toBe(0);
    await c.restart();
    const after = await c.client.runtime.listPodSandbox({ filter: undefined });
    expect(after.items.map((p) => [p.id, p.state])).toEqual([[podSandboxId, cri.PodSandboxState.SANDBOX_READY]]);
    const st = await c.client.runtime.podSandboxStatus({ podSandboxId, verbose: false });
    expect(st.status?.network?.ip).toBe(before.status?.network?.ip);
    expect(await ping(st.status?.network?.ip ?? '')).toBe(true);
    await c.client.runtime.stopPodSandbox({ podSandboxId });
    await c.client.runtime.removePodSandbox({ podSandboxId });
    await expectNothingLeft(c, n);
  });

  it('cleans up after a kill -9 during RunPodSandbox', async () => {
    const { c, n } = await startWith(network(), { slowSetUpMs: 3000 });
    const run = c.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: '' }).catch((e: unknown) => e);
    // Wait until the plugin has allocated the IP, then crash criod mid-call.
    await waitFor('an IP to be allocated', () => allocatedIps(n).length === 1);
    await c.kill();
    await run;
    await c.restart();
    expect((await c.client.runtime.listPodSandbox({ filter: undefined })).items).toEqual([]);
    await expectNothingLeft(c, n);
  });

  it('runs 20 pods in parallel with distinct IPs and leaves nothing once they are removed', async () => {
    const { c, n } = await startWith(network());
    const ids = await Promise.all(Array.from({ length: 20 }, () => c.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: '' })));
    const statuses = await Promise.all(ids.map((r) => c.client.runtime.podSandboxStatus({ podSandboxId: r.podSandboxId, verbose: false })));
    const ips = statuses.map((s) => s.status?.network?.ip);
    expect(new Set(ips).size).toBe(20);
    await Promise.all(ids.map((r) => c.client.runtime.stopPodSandbox({ podSandboxId: r.podSandboxId })));
    await Promise.all(ids.map((r) => c.client.runtime.removePodSandbox({ podSandboxId: r.podSandboxId })));
    await expectNothingLeft(c, n);
  });

  it('stops and removes a pod whose network namespace was closed behind its back', async () => {
    const { c, n } = await startWith(network());
    const { podSandboxId } = await c.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: '' });
    const netns = netnsPathOf((await c.client.runtime.podSandboxStatus({ podSandboxId, verbose: true })).info);
    await execa('umount', [netns]);
    rmSync(netns);
    await c.client.runtime.stopPodSandbox({ podSandboxId });
    await c.client.runtime.stopPodSandbox({ podSandboxId });
    await c.client.runtime.removePodSandbox({ podSandboxId });
    await expectNothingLeft(c, n);
  });
});

describe('pod sandboxes on a real CNI bridge', () => {
  it('finishes a pod whose caller timed out and hands it to the retry', async () => {
    const c = await start();
    writeTestPlugin(join(c.dir, 'cni', 'bin'));
    const callLog = join(c.dir, 'cni-calls.log');
    net = writeBridgeNetwork(c.dir, { extraPlugins: [{ type: 'e2e-test', sleepMs: 1500, callLog }] });
    await networkReady(c);
    const config = podConfig();
    await expect(c.client.runtime.runPodSandbox({ config, runtimeHandler: '' }, { deadlineMs: 300 })).rejects.toMatchObject({
      code: GrpcStatus.DEADLINE_EXCEEDED,
    });
    const retry = await c.client.runtime.runPodSandbox({ config, runtimeHandler: '' });
    const pods = await c.client.runtime.listPodSandbox({ filter: undefined });
    expect(pods.items.map((p) => p.id)).toEqual([retry.podSandboxId]);
    await expect(c.client.runtime.runPodSandbox({ config, runtimeHandler: '' })).rejects.toMatchObject({ code: GrpcStatus.ALREADY_EXISTS });
    // Adopted, not made again: the one network ADD was for the timed-out call's pod, and the retry got that pod.
    const calls = readFileSync(callLog, 'utf8').split('\n').filter(Boolean);
    expect(calls).toEqual([`ADD ${retry.podSandboxId}`]);
  });

  it('reports a plugin failure with its own message and leaves nothing behind', async () => {
    const c = await start();
    writeTestPlugin(join(c.dir, 'cni', 'bin'));
    net = writeBridgeNetwork(c.dir, { extraPlugins: [{ type: 'e2e-test', fail: 'no more leases in the e2e pool' }] });
    await networkReady(c);
    await expect(c.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: '' })).rejects.toMatchObject({
      details: expect.stringContaining('no more leases in the e2e pool'),
    });
    await expectNothingLeft(c, net);
  });

  it('refuses pods while the conflist is broken, naming the file', async () => {
    const c = await start();
    writeFileSync(join(c.dir, 'cni', 'net.d', '05-broken.conflist'), '{"cniVersion": "1.0.0", "name": ');
    await waitFor('NetworkReady to name the broken file', async () => {
      const st = await c.client.runtime.status({ verbose: false });
      return st.status?.conditions.find((x) => x.type === 'NetworkReady')?.message.includes('05-broken.conflist') ?? false;
    });
    await expect(c.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: '' })).rejects.toMatchObject({
      details: expect.stringContaining('05-broken.conflist'),
    });
    expect(readdirSync(join(c.dir, 'netns'))).toEqual([]);
  });

  it('answers ALREADY_EXISTS for a pod name in use, naming the holder', async () => {
    const c = await start();
    net = writeBridgeNetwork(c.dir);
    await networkReady(c);
    const config = podConfig();
    const first = await c.client.runtime.runPodSandbox({ config, runtimeHandler: '' });
    await expect(c.client.runtime.runPodSandbox({ config, runtimeHandler: '' })).rejects.toMatchObject({
      code: GrpcStatus.ALREADY_EXISTS,
      details: expect.stringContaining(first.podSandboxId),
    });
  });

  it('answers INVALID_ARGUMENT for a pod without metadata and for an unknown handler', async () => {
    const c = await start();
    await expect(c.client.runtime.runPodSandbox({ config: cri.PodSandboxConfig.fromPartial({}), runtimeHandler: '' })).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
    });
    await expect(c.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: 'kata' })).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: expect.stringContaining('kata'),
    });
  });

  it('filters the pod list by state and labels', async () => {
    const c = await start();
    net = writeBridgeNetwork(c.dir);
    await networkReady(c);
    const a = await c.client.runtime.runPodSandbox({ config: podConfig({ labels: { tier: 'front' } }), runtimeHandler: '' });
    const b = await c.client.runtime.runPodSandbox({ config: podConfig({ labels: { tier: 'back' } }), runtimeHandler: '' });
    await c.client.runtime.stopPodSandbox({ podSandboxId: b.podSandboxId });
    const ready = await c.client.runtime.listPodSandbox({ filter: { id: '', labelSelector: {}, state: { state: cri.PodSandboxState.SANDBOX_READY } } });
    expect(ready.items.map((p) => p.id)).toEqual([a.podSandboxId]);
    const back = await c.client.runtime.listPodSandbox({ filter: { id: '', labelSelector: { tier: 'back' }, state: undefined } });
    expect(back.items.map((p) => p.id)).toEqual([b.podSandboxId]);
  });
});

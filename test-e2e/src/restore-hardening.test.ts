/**
 * Restore must never destroy what it cannot account for: a pod whose record is unreadable, user
 * data shaped like the store's own encoding, or the pods of another criod on the same host.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSFS_MAGIC } from '@criod/core';
import { cri } from '@criod/cri-grpc';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { containerConfig, runcDeleteAll, runcStatus } from './containers.js';
import { startCriod, unmountBelow, waitFor, type CriodInstance } from './harness.js';
import { startTestImages, type TestImages } from './images.js';
import { allocatedIps, deleteBridge, ping, writeBridgeNetwork, type TestNetwork } from './network.js';
import { startPodFixture, type PodFixture } from './pod-fixture.js';
import { netnsPathOf, podConfig } from './pods.js';

/** The pin is a mounted namespace, not a leftover file. */
const isPinnedNamespace = (path: string) => existsSync(path) && statfsSync(path).type === NSFS_MAGIC;

const runcRoot = (c: CriodInstance) => join(c.dir, 'run', 'runtimes', 'runc');

interface Quarantined {
  id: string;
  path: string;
  error: string;
}

async function quarantinedRecords(c: CriodInstance): Promise<{ pods: Quarantined[]; containers: Quarantined[] }> {
  const st = await c.client.runtime.status({ verbose: true });
  return JSON.parse(st.info.quarantinedRecords ?? '{"pods":[],"containers":[]}') as { pods: Quarantined[]; containers: Quarantined[] };
}

describe('restore with records it cannot read, or user data shaped like its encoding', () => {
  let images: TestImages;
  let fx: PodFixture | undefined;

  beforeAll(async () => {
    images = await startTestImages();
  });

  afterAll(async () => {
    await images?.stop();
  });

  afterEach(async () => {
    // A quarantined pod's container is outside criod's view: end it here, whatever the outcome.
    if (fx) await runcDeleteAll(runcRoot(fx.criod));
    await fx?.cleanup();
    fx = undefined;
  });

  it('quarantines an unreadable pod record and leaves its container, netns and IP alone until an operator acts', async () => {
    fx = await startPodFixture(images);
    const { criod, podSandboxId } = fx;
    const containerId = await fx.run(['sleep', '3600']);
    const before = await criod.client.runtime.podSandboxStatus({ podSandboxId, verbose: true });
    const netns = netnsPathOf(before.info);
    const ip = before.status?.network?.ip ?? '';
    expect(isPinnedNamespace(netns)).toBe(true);

    expect(await criod.stop()).toBe(0);
    const record = join(criod.dir, 'root', 'pods', `${podSandboxId}.json`);
    const original = readFileSync(record, 'utf8');
    writeFileSync(record, original.slice(0, Math.floor(original.length / 2))); // a torn record
    await criod.restart();

    expect(await runcStatus(runcRoot(criod), containerId)).toBe('running');
    expect(isPinnedNamespace(netns)).toBe(true);
    expect(allocatedIps(fx.net)).toContain(ip);
    expect(await ping(ip)).toBe(true);
    const quarantinePath = join(criod.dir, 'root', 'quarantine', 'pods', `${podSandboxId}.json`);
    const q = await quarantinedRecords(criod);
    expect(q.pods).toEqual([{ id: podSandboxId, path: quarantinePath, error: expect.stringMatching(/JSON/) }]);
    expect(q.containers).toEqual([]);
    expect(existsSync(record)).toBe(false);
    expect(criod.logs()).toContain(quarantinePath);
    // Not served while quarantined: kubelet must not act on a pod criod cannot describe.
    expect((await criod.client.runtime.listPodSandbox({ filter: undefined })).items).toEqual([]);

    // The operator repairs the record and puts it back: the next start restores the pod whole.
    expect(await criod.stop()).toBe(0);
    writeFileSync(record, original);
    rmSync(quarantinePath);
    await criod.restart();
    const after = await criod.client.runtime.podSandboxStatus({ podSandboxId, verbose: false });
    expect(after.status?.state).toBe(cri.PodSandboxState.SANDBOX_READY);
    expect(after.status?.network?.ip).toBe(ip);
    const ctr = await criod.client.runtime.containerStatus({ containerId, verbose: false });
    expect(ctr.status?.state).toBe(cri.ContainerState.CONTAINER_RUNNING);
    expect(await quarantinedRecords(criod)).toEqual({ pods: [], containers: [] });
  });

  it('keeps $bigint-shaped labels and annotations of a pod and its container unchanged across a restart', async () => {
    fx = await startPodFixture(images);
    const { criod } = fx;
    // A map whose only key is "$bigint" is exactly what the old encoding of a timestamp looked like.
    const podLabels = { $bigint: 'x' };
    const podAnnotations = { $bigint: '{"$bigint":"1"}' };
    const ctrLabels = { $bigint: '1' };
    const ctrAnnotations = { $bigint: '{"$bigint":"x"}', other: '{"$bigint":"2"}' };
    const { podSandboxId } = await criod.client.runtime.runPodSandbox({
      config: { ...fx.podConfig(), labels: podLabels, annotations: podAnnotations },
      runtimeHandler: '',
    });
    const { containerId } = await criod.client.runtime.createContainer({
      podSandboxId,
      config: containerConfig(images.busybox, ['sleep', '3600'], { labels: ctrLabels, annotations: ctrAnnotations }),
      sandboxConfig: undefined,
    });
    await criod.client.runtime.startContainer({ containerId });

    expect(await criod.stop()).toBe(0);
    await criod.restart();

    const pod = await criod.client.runtime.podSandboxStatus({ podSandboxId, verbose: false });
    expect(pod.status?.state).toBe(cri.PodSandboxState.SANDBOX_READY);
    expect(pod.status?.labels).toEqual(podLabels);
    expect(pod.status?.annotations).toEqual(podAnnotations);
    const ctr = await criod.client.runtime.containerStatus({ containerId, verbose: false });
    expect(ctr.status?.state).toBe(cri.ContainerState.CONTAINER_RUNNING);
    expect(ctr.status?.labels).toEqual(ctrLabels);
    expect(ctr.status?.annotations).toEqual(ctrAnnotations);
    expect(await quarantinedRecords(criod)).toEqual({ pods: [], containers: [] });
  });
});

describe('two criods on one host', () => {
  let first: CriodInstance | undefined;
  let second: CriodInstance | undefined;
  let net: TestNetwork | undefined;
  let sharedNetns: string | undefined;

  afterEach(async () => {
    if (first) {
      const pods = await first.client.runtime.listPodSandbox({ filter: undefined }).catch(() => ({ items: [] }));
      for (const p of pods.items) await first.client.runtime.removePodSandbox({ podSandboxId: p.id }).catch(() => undefined);
    }
    await first?.cleanup();
    await second?.cleanup();
    await deleteBridge(net);
    if (sharedNetns) {
      await unmountBelow(sharedNetns);
      rmSync(sharedNetns, { recursive: true, force: true });
    }
    first = second = net = sharedNetns = undefined;
  });

  it("leaves the first one's pod its netns and IP through the second one's start and restart", async () => {
    sharedNetns = mkdtempSync(join(tmpdir(), 'criod-e2e-netns-'));
    const config = { namespace: { netns_dir: sharedNetns } };
    first = await startCriod({ config });
    const a = first;
    net = writeBridgeNetwork(a.dir);
    await waitFor('NetworkReady', async () => {
      const st = await a.client.runtime.status({ verbose: false });
      return st.status?.conditions.find((x) => x.type === 'NetworkReady')?.status === true;
    });
    const { podSandboxId } = await a.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: '' });
    const before = await a.client.runtime.podSandboxStatus({ podSandboxId, verbose: true });
    const netns = netnsPathOf(before.info);
    const ip = before.status?.network?.ip ?? '';
    expect(isPinnedNamespace(netns)).toBe(true);

    second = await startCriod({ config });
    expect(await second.stop()).toBe(0);
    await second.restart();

    expect(isPinnedNamespace(netns)).toBe(true);
    expect(await ping(ip)).toBe(true);
    const after = await a.client.runtime.podSandboxStatus({ podSandboxId, verbose: true });
    expect(after.status?.network?.ip).toBe(ip);
    expect(netnsPathOf(after.info)).toBe(netns);
    // The first criod still owns and releases its pod in full.
    await a.client.runtime.stopPodSandbox({ podSandboxId });
    await a.client.runtime.removePodSandbox({ podSandboxId });
    expect(existsSync(netns)).toBe(false);
    expect(allocatedIps(net)).toEqual([]);
  });
});

/**
 * Pod network stats and the CRI metrics calls on a real CNI bridge: counters read inside the
 * pod's network namespace move when the host pings the pod.
 */
import { cri } from '@criod/cri-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './harness.js';
import { startTestImages, type TestImages } from './images.js';
import { ping } from './network.js';
import { startPodFixture, type PodFixture } from './pod-fixture.js';

let images: TestImages;
let fixture: PodFixture | undefined;

beforeAll(async () => {
  images = await startTestImages();
  fixture = await startPodFixture(images);
}, 180_000);

afterAll(async () => {
  await fixture?.cleanup();
  await images?.stop();
}, 120_000);

describe('pod network stats', () => {
  it('reports eth0 counters that grow with traffic, and lists the pod in ListPodSandboxMetrics', async () => {
    const f = fixture!;
    const rt = f.criod.client.runtime;
    const ctr = await f.run(['sleep', '3600']);
    const ip = (await rt.podSandboxStatus({ podSandboxId: f.podSandboxId, verbose: false })).status?.network?.ip ?? '';
    expect(ip.startsWith(`${f.net.prefix}.`)).toBe(true);

    const eth0 = async () => (await rt.podSandboxStats({ podSandboxId: f.podSandboxId })).stats?.linux?.network?.defaultInterface;
    const before = await eth0();
    expect(before?.name).toBe('eth0');
    let replies = 0;
    for (let i = 0; i < 3; i++) if (await ping(ip)) replies++;
    expect(replies).toBeGreaterThan(0);
    // Each echo request is 84 bytes of IP and more on the wire; replies go back the same way.
    // Counters are read at most once a second, so the pings show within about a second.
    const moved = (a: Awaited<ReturnType<typeof eth0>>) =>
      a!.rxBytes!.value - before!.rxBytes!.value >= BigInt(84 * replies) && a!.txBytes!.value - before!.txBytes!.value >= BigInt(84 * replies);
    let after = await eth0();
    await waitFor('eth0 counters to show the pings', async () => moved((after = await eth0())), 5_000);

    const listed = (await rt.listPodSandboxStats({ filter: undefined })).stats.find((s) => s.attributes?.id === f.podSandboxId);
    expect(listed?.linux?.network?.interfaces.map((i) => i.name)).toContain('eth0');

    const { podMetrics } = await rt.listPodSandboxMetrics({});
    const pm = podMetrics.find((p) => p.podSandboxId === f.podSandboxId);
    const rx = pm?.metrics.find((m) => m.name === 'container_network_receive_bytes_total' && m.labelValues.includes('eth0'));
    expect(rx?.metricType).toBe(cri.MetricType.COUNTER);
    expect(rx!.value!.value).toBeGreaterThanOrEqual(after!.rxBytes!.value);
    const cpu = pm?.containerMetrics.find((c) => c.containerId === ctr)?.metrics.find((m) => m.name === 'container_cpu_usage_seconds_total');
    expect(cpu?.metricType).toBe(cri.MetricType.COUNTER);
    expect(cpu?.value).toBeDefined();
  }, 120_000);
});

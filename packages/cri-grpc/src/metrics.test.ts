import type { ClientReadableStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriService } from '@criod/core';
import { testContainerConfig, testImage, testPodConfig, type FakePluginSet } from '@criod/core/testing';
import { type CriClient } from './client.js';
import { MetricType, type Metric, type StreamPodSandboxMetricsResponse } from './gen/runtime/v1/api.js';
import { startTestServer, type TestServer } from './__tests__/test-server.js';

let server: TestServer;
let client: CriClient;
let plugins: FakePluginSet;
let core: CriService;

beforeAll(async () => {
  server = await startTestServer('metrics');
  ({ client, plugins, core } = server);
});

afterAll(() => server.close());

const BASE = ['container', 'id', 'image', 'name', 'namespace', 'pod'];

describe('pod network stats and CRI metrics', () => {
  it('reports the pod network namespace counters in PodSandboxStats and ListPodSandboxStats', async () => {
    const pod = await core.runPodSandbox(testPodConfig('net'), '');
    try {
      plugins.namespace.interfaces = [
        { name: 'net1', rxBytes: 7n, rxErrors: 0n, txBytes: 8n, txErrors: 0n },
        { name: 'eth0', rxBytes: 2048n, rxErrors: 1n, txBytes: 1024n, txErrors: 2n },
      ];
      const network = (await client.runtime.podSandboxStats({ podSandboxId: pod })).stats?.linux?.network;
      expect(network?.timestamp).toBeGreaterThan(0n);
      expect(network?.defaultInterface).toEqual({
        name: 'eth0',
        rxBytes: { value: 2048n },
        rxErrors: { value: 1n },
        txBytes: { value: 1024n },
        txErrors: { value: 2n },
      });
      expect(network?.interfaces.map((i) => i.name)).toEqual(['net1', 'eth0']);
      const listed = (await client.runtime.listPodSandboxStats({ filter: { id: pod, labelSelector: {} } })).stats;
      expect(listed[0]?.linux?.network?.defaultInterface?.name).toBe('eth0');

      await core.stopPodSandbox(pod);
      expect((await client.runtime.podSandboxStats({ podSandboxId: pod })).stats?.linux?.network).toBeUndefined();
    } finally {
      await core.removePodSandbox(pod);
    }
  });

  it('describes every metric with cAdvisor names and label keys', async () => {
    const { descriptors } = await client.runtime.listMetricDescriptors({});
    const byName = new Map(descriptors.map((d) => [d.name, d]));
    expect([...byName.keys()].sort()).toEqual([
      'container_cpu_usage_seconds_total',
      'container_fs_usage_bytes',
      'container_memory_rss',
      'container_memory_usage_bytes',
      'container_memory_working_set_bytes',
      'container_network_receive_bytes_total',
      'container_network_receive_errors_total',
      'container_network_transmit_bytes_total',
      'container_network_transmit_errors_total',
    ]);
    for (const d of descriptors) {
      expect(d.help).not.toBe('');
      expect(d.labelKeys.slice(0, BASE.length)).toEqual(BASE);
    }
    expect(byName.get('container_network_receive_bytes_total')?.labelKeys).toEqual([...BASE, 'interface']);
  });

  it('lists pod and container metrics matching their descriptors, the same in the stream', async () => {
    plugins.images.images.set(testImage().id, testImage());
    plugins.namespace.interfaces = [{ name: 'eth0', rxBytes: 2048n, rxErrors: 1n, txBytes: 1024n, txErrors: 0n }];
    const pod = await core.runPodSandbox(testPodConfig('metrics'), '');
    try {
      const ctr = await core.createContainer(pod, testContainerConfig('app'));
      await core.startContainer(ctr);
      const { descriptors } = await client.runtime.listMetricDescriptors({});
      const keys = new Map(descriptors.map((d) => [d.name, d.labelKeys]));
      const { podMetrics } = await client.runtime.listPodSandboxMetrics({});
      const pm = podMetrics.find((p) => p.podSandboxId === pod);
      const labels = (m: Metric | undefined) => Object.fromEntries((keys.get(m?.name ?? '') ?? []).map((k, i) => [k, m?.labelValues[i]]));

      const rx = pm?.metrics.find((m) => m.name === 'container_network_receive_bytes_total');
      expect(rx).toMatchObject({ metricType: MetricType.COUNTER, value: { value: 2048n } });
      expect(labels(rx)).toMatchObject({ container: 'POD', id: pod, interface: 'eth0', namespace: 'default', pod: 'metrics' });

      const cm = pm?.containerMetrics.find((c) => c.containerId === ctr);
      expect(cm?.metrics.map((m) => m.name).sort()).toEqual([
        'container_cpu_usage_seconds_total',
        'container_fs_usage_bytes',
        'container_memory_rss',
        'container_memory_usage_bytes',
        'container_memory_working_set_bytes',
      ]);
      const ws = cm?.metrics.find((m) => m.name === 'container_memory_working_set_bytes');
      expect(ws?.metricType).toBe(MetricType.GAUGE);
      expect(labels(ws)).toMatchObject({ container: 'app', id: ctr, pod: 'metrics', namespace: 'default' });
      for (const m of [...(pm?.metrics ?? []), ...(cm?.metrics ?? [])]) expect(m.labelValues).toHaveLength(keys.get(m.name)?.length ?? -1);

      const streamed = await collect(client.raw.runtime.streamPodSandboxMetrics({}));
      expect(
        streamed
          .flatMap((r) => r.podSandboxMetrics)
          .find((p) => p.podSandboxId === pod)
          ?.containerMetrics.map((c) => c.containerId),
      ).toEqual([ctr]);
    } finally {
      await core.stopPodSandbox(pod);
      await core.removePodSandbox(pod);
    }
  });
});

function collect(stream: ClientReadableStream<StreamPodSandboxMetricsResponse>): Promise<StreamPodSandboxMetricsResponse[]> {
  return new Promise((resolve, reject) => {
    const messages: StreamPodSandboxMetricsResponse[] = [];
    stream.on('data', (m: StreamPodSandboxMetricsResponse) => messages.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(messages));
  });
}

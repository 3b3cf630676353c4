import { status as GrpcStatus } from '@grpc/grpc-js';
import { silentLogger } from '@criod/core';
import { describe, expect, it } from 'vitest';
import { CriodMetrics, serveMetrics } from './metrics.js';

describe('criod metrics', () => {
  it('turn RPC and operation reports into Prometheus series served at /metrics', async () => {
    const metrics = new CriodMetrics();
    metrics.countStatesWith(() => ({ pods: { ready: 2, notready: 1 }, containers: { created: 0, running: 3, exited: 1, unknown: 0 } }));
    metrics.observeRpc('ListPodSandbox', GrpcStatus.OK, 0.002);
    metrics.observeRpc('ListPodSandbox', GrpcStatus.OK, 0.004);
    metrics.observeRpc('StopContainer', GrpcStatus.NOT_FOUND, 0.001);
    metrics.observeOperation({ type: 'cni', command: 'ADD', ok: false, seconds: 0.3 });
    metrics.observeOperation({ type: 'image_bytes', bytes: 1234 });
    metrics.observeOperation({
      type: 'restore',
      podsRestored: 4,
      podsCleaned: 1,
      podsQuarantined: 1,
      containersRestored: 6,
      containersCleaned: 2,
      containersQuarantined: 0,
    });
    const server = await serveMetrics(metrics, '127.0.0.1', 0, silentLogger);
    try {
      const res = await fetch(server.url);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await res.text();
      for (const line of [
        'criod_grpc_requests_total{rpc="ListPodSandbox",code="OK"} 2',
        'criod_grpc_requests_total{rpc="StopContainer",code="NOT_FOUND"} 1',
        'criod_grpc_request_duration_seconds_count{rpc="ListPodSandbox"} 2',
        'criod_cni_operation_failures_total{command="ADD"} 1',
        'criod_cni_operation_duration_seconds_bucket{le="0.5",command="ADD"} 1',
        'criod_image_pull_bytes_total 1234',
        'criod_restore_pods{result="cleaned"} 1',
        'criod_restore_containers{result="restored"} 6',
        'criod_pods{state="ready"} 2',
        'criod_containers{state="running"} 3',
      ]) {
        expect(text).toContain(line);
      }
      expect(text).toMatch(/^process_cpu_seconds_total \d/m);
      expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

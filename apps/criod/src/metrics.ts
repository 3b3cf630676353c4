/**
 * criod's Prometheus metrics: core and the plugins report operations through plain observer
 * callbacks, and only this module knows prom-client. Served on [metrics] address:port at /metrics.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger, OperationEvent, StateCounts } from '@criod/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class CriodMetrics {
  readonly registry = new Registry();
  private stateCounts: (() => StateCounts) | undefined;

  private readonly grpcRequests = new Counter({
    name: 'criod_grpc_requests_total',
    help: 'CRI gRPC requests by method and status code (streams are counted when they end).',
    labelNames: ['rpc', 'code'] as const,
    registers: [this.registry],
  });
  private readonly grpcDuration = new Histogram({
    name: 'criod_grpc_request_duration_seconds',
    help: 'Time from a CRI gRPC request to its status, by method.',
    labelNames: ['rpc'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  private readonly pulls = new Counter({ name: 'criod_image_pulls_total', help: 'PullImage calls, failed ones included.', registers: [this.registry] });
  private readonly pullFailures = new Counter({ name: 'criod_image_pull_failures_total', help: 'PullImage calls that failed.', registers: [this.registry] });
  private readonly pullBytes = new Counter({
    name: 'criod_image_pull_bytes_total',
    help: 'Bytes of image layers fetched from registries (layers already stored are not fetched).',
    registers: [this.registry],
  });
  private readonly pullDuration = new Histogram({
    name: 'criod_image_pull_duration_seconds',
    help: 'Time a PullImage took, failed ones included.',
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  private readonly cniDuration = new Histogram({
    name: 'criod_cni_operation_duration_seconds',
    help: "Time a CNI command took over a pod's whole plugin chain.",
    labelNames: ['command'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly cniFailures = new Counter({
    name: 'criod_cni_operation_failures_total',
    help: 'CNI commands that failed.',
    labelNames: ['command'] as const,
    registers: [this.registry],
  });
  private readonly restoredPods = new Gauge({
    name: 'criod_restore_pods',
    help: 'Pods found at startup: restored, cleaned up because a crash left them half-made, or quarantined as unreadable.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly restoredContainers = new Gauge({
    name: 'criod_restore_containers',
    help: 'Containers found at startup: restored, cleaned up because their pod was gone, or quarantined with their pod or as unreadable.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor() {
    const counts = () => this.stateCounts?.();
    new Gauge({
      name: 'criod_pods',
      help: 'Pod sandboxes by state.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        for (const [state, n] of Object.entries(counts()?.pods ?? {})) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'criod_containers',
      help: 'Containers by state.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        for (const [state, n] of Object.entries(counts()?.containers ?? {})) this.set({ state }, n);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Where the pod and container gauges read from at each scrape (core exists after the plugins). */
  countStatesWith(source: () => StateCounts): void {
    this.stateCounts = source;
  }

  readonly observeRpc = (rpc: string, code: GrpcStatus, seconds: number): void => {
    this.grpcRequests.inc({ rpc, code: GrpcStatus[code] ?? String(code) });
    this.grpcDuration.observe({ rpc }, seconds);
  };

  readonly observeOperation = (e: OperationEvent): void => {
    switch (e.type) {
      case 'image_pull':
        this.pulls.inc();
        if (!e.ok) this.pullFailures.inc();
        this.pullDuration.observe(e.seconds);
        break;
      case 'image_bytes':
        this.pullBytes.inc(e.bytes);
        break;
      case 'cni':
        this.cniDuration.observe({ command: e.command }, e.seconds);
        if (!e.ok) this.cniFailures.inc({ command: e.command });
        break;
      case 'restore':
        this.restoredPods.set({ result: 'restored' }, e.podsRestored);
        this.restoredPods.set({ result: 'cleaned' }, e.podsCleaned);
        this.restoredPods.set({ result: 'quarantined' }, e.podsQuarantined);
        this.restoredContainers.set({ result: 'restored' }, e.containersRestored);
        this.restoredContainers.set({ result: 'cleaned' }, e.containersCleaned);
        this.restoredContainers.set({ result: 'quarantined' }, e.containersQuarantined);
        break;
    }
  };
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serve GET /metrics; anything else is 404. */
export async function serveMetrics(metrics: CriodMetrics, address: string, port: number, logger: Logger): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('criod serves only GET /metrics here\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: unknown) => {
        logger.error({ err }, 'collecting metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('collecting metrics failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}/metrics`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * criod's Prometheus metrics: core and the plugins report operations through plain observer
 * callbacks, and only this module knows prom-client. Served on [metrics] address:port at /metrics.
 */
import { createServer } from 'node:http';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
export class CriodMetrics {
  registry = new Registry();
  stateCounts;
  grpcRequests = new Counter({
    name: 'criod_grpc_requests_total',
    help: 'CRI gRPC requests by method and status code (streams are counted when they end).',
    labelNames: ['rpc', 'code'],
    registers: [this.registry],
  });
  grpcDuration = new Histogram({
    name: 'criod_grpc_request_duration_seconds',
    help: 'Time from a CRI gRPC request to its status, by method.',
    labelNames: ['rpc'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  pulls = new Counter({ name: 'criod_image_pulls_total', help: 'PullImage calls, failed ones included.', registers: [this.registry] });
  pullFailures = new Counter({ name: 'criod_image_pull_failures_total', help: 'PullImage calls that failed.', registers: [this.registry] });
  pullBytes = new Counter({
    name: 'criod_image_pull_bytes_total',
    help: 'Bytes of image layers fetched from registries (layers already stored are not fetched).',
    registers: [this.registry],
  });
  pullDuration = new Histogram({
    name: 'criod_image_pull_duration_seconds',
    help: 'Time a PullImage took, failed ones included.',
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  cniDuration = new Histogram({
    name: 'criod_cni_operation_duration_seconds',
    help: "Time a CNI command took over a pod's whole plugin chain.",
    labelNames: ['command'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  cniFailures = new Counter({
    name: 'criod_cni_operation_failures_total',
    help: 'CNI commands that failed.',
    labelNames: ['command'],
    registers: [this.registry],
  });
  restoredPods = new Gauge({
    name: 'criod_restore_pods',
    help: 'Pods found at startup: restored, cleaned up because a crash left them half-made, or quarantined as unreadable.',
    labelNames: ['result'],
    registers: [this.registry],
  });
  restoredContainers = new Gauge({
    name: 'criod_restore_containers',
    help: 'Containers found at startup: restored, cleaned up because their pod was gone, or quarantined with their pod or as unreadable.',
    labelNames: ['result'],
    registers: [this.registry],
  });
  constructor() {
    const counts = () => this.stateCounts?.();
    new Gauge({
      name: 'criod_pods',
      help: 'Pod sandboxes by state.',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        for (const [state, n] of Object.entries(counts()?.pods ?? {})) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'criod_containers',
      help: 'Containers by state.',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        for (const [state, n] of Object.entries(counts()?.containers ?? {})) this.set({ state }, n);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }
  /** Where the pod and container gauges read from at each scrape (core exists after the plugins). */
  countStatesWith(source) {
    this.stateCounts = source;
  }
  observeRpc = (rpc, code, seconds) => {
    this.grpcRequests.inc({ rpc, code: GrpcStatus[code] ?? String(code) });
    this.grpcDuration.observe({ rpc }, seconds);
  };
  observeOperation = (e) => {
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
/** Serve GET /metrics; anything else is 404. */
export async function serveMetrics(metrics, address, port, logger) {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('criod serves only GET /metrics here\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err) => {
        logger.error({ err }, 'collecting metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('collecting metrics failed\n');
      },
    );
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
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
//# sourceMappingURL=metrics.js.map

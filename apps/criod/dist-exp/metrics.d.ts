import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger, OperationEvent, StateCounts } from '@criod/core';
import { Registry } from 'prom-client';
export declare class CriodMetrics {
  readonly registry: Registry<'text/plain; version=0.0.4; charset=utf-8'>;
  private stateCounts;
  private readonly grpcRequests;
  private readonly grpcDuration;
  private readonly pulls;
  private readonly pullFailures;
  private readonly pullBytes;
  private readonly pullDuration;
  private readonly cniDuration;
  private readonly cniFailures;
  private readonly restoredPods;
  private readonly restoredContainers;
  constructor();
  /** Where the pod and container gauges read from at each scrape (core exists after the plugins). */
  countStatesWith(source: () => StateCounts): void;
  readonly observeRpc: (rpc: string, code: GrpcStatus, seconds: number) => void;
  readonly observeOperation: (e: OperationEvent) => void;
}
export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}
/** Serve GET /metrics; anything else is 404. */
export declare function serveMetrics(metrics: CriodMetrics, address: string, port: number, logger: Logger): Promise<MetricsServer>;
//# sourceMappingURL=metrics.d.ts.map

/**
 * Operations core and plugins report as they finish, so a daemon can turn them into metrics
 * without every package depending on a metrics library.
 */
import type { ContainerState, PodState } from './types.js';

export type OperationEvent =
  /** One PullImage, however many bytes it had to fetch. */
  | { type: 'image_pull'; ok: boolean; seconds: number }
  /** Bytes fetched from a registry by a pull (layers already stored are not fetched again). */
  | { type: 'image_bytes'; bytes: number }
  /** One CNI command over a pod's whole plugin chain. */
  | { type: 'cni'; command: 'ADD' | 'CHECK' | 'DEL'; ok: boolean; seconds: number }
  /** What restore found at startup: records brought back, records of half-made work removed, unreadable records quarantined. */
  | {
      type: 'restore';
      podsRestored: number;
      podsCleaned: number;
      podsQuarantined: number;
      containersRestored: number;
      containersCleaned: number;
      containersQuarantined: number;
    };

export type OperationObserver = (event: OperationEvent) => void;

/** Pods and containers by state, from the in-memory view (no runtime or kernel reads). */
export interface StateCounts {
  pods: Record<PodState, number>;
  containers: Record<ContainerState, number>;
}

/** Run fn and report how long it took and whether it succeeded; its result or error passes through. */
export async function timed<T>(fn: () => Promise<T>, report: (ok: boolean, seconds: number) => void): Promise<T> {
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  try {
    const result = await fn();
    report(true, seconds());
    return result;
  } catch (err) {
    report(false, seconds());
    throw err;
  }
}

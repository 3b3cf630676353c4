import type { CoreContext } from '../context.js';
import type { PodRecord } from '../types.js';
import { findPod } from './lookup.js';

export interface PodSandboxStatusResult {
  pod: PodRecord;
  /** Verbose details, one JSON document per key. */
  info: Record<string, string>;
}

/** PodSandboxStatus: the pod's record; verbose adds where its namespaces and files are. */
export async function podSandboxStatus(ctx: CoreContext, ref: string, verbose: boolean): Promise<PodSandboxStatusResult> {
  const pod = findPod(ctx, ref);
  const info: Record<string, string> = {};
  if (verbose) {
    const namespaces = await Promise.all(pod.namespaces.map(async (ns) => ({ ...ns, state: await ctx.plugins.namespace.state(ns).catch(() => 'unknown') })));
    info.info = JSON.stringify({
      id: pod.id,
      runtimeHandler: pod.runtimeHandler,
      netnsPath: pod.namespaces.find((ns) => ns.kind === 'net')?.path ?? '',
      namespaces,
      files: pod.files,
      shmSizeBytes: pod.shmSizeBytes,
      config: pod.config,
    });
  }
  return { pod, info };
}

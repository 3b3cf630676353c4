import type { Duplex } from 'node:stream';
import type { CoreContext } from '../context.js';
import { FailedPreconditionError } from '../errors.js';
import type { PodRecord } from '../types.js';
import { findPod } from './lookup.js';
import { runtimeSandbox } from './sandbox.js';

function readyPod(ctx: CoreContext, podRef: string): PodRecord {
  const pod = findPod(ctx, podRef);
  if (pod.state !== 'ready') throw new FailedPreconditionError(`pod sandbox ${pod.id} is not ready: it was stopped`);
  return pod;
}

/** PortForward: checked before a streaming URL is handed out, so a bad request fails at the RPC; answers the pod's full id. */
export function preparePortForward(ctx: CoreContext, podRef: string): string {
  return readyPod(ctx, podRef).id;
}

/** One forwarded connection to the pod's 127.0.0.1:<port>, made by the runtime plugin, which owns the sandbox. */
export async function portForward(ctx: CoreContext, podRef: string, port: number): Promise<Duplex> {
  return ctx.plugins.runtime.portForward(runtimeSandbox(readyPod(ctx, podRef)), port);
}

import type { CoreContext } from './context.js';
import { errorMessage } from './errors.js';
import type { Readiness, RuntimeHandlerInfo } from './types.js';

export interface RuntimeCondition {
  type: 'RuntimeReady' | 'NetworkReady';
  status: boolean;
  reason: string;
  message: string;
}

export interface RuntimeStatus {
  conditions: RuntimeCondition[];
  handlers: RuntimeHandlerInfo[];
  /** Verbose details, one JSON document per key, as crictl info prints them. */
  info: Record<string, string>;
}

async function readiness(probe: () => Promise<Readiness>, failReason: string): Promise<Readiness> {
  try {
    return await probe();
  } catch (err) {
    return { ready: false, reason: failReason, message: errorMessage(err) };
  }
}

/** Status: RuntimeReady from the runtime plugin, NetworkReady from the network plugin. */
export async function status(ctx: CoreContext, verbose: boolean): Promise<RuntimeStatus> {
  const { runtime, network } = ctx.plugins;
  const [rt, net] = await Promise.all([readiness(() => runtime.status(), 'RuntimeStatusFailed'), readiness(() => network.status(), 'NetworkPluginNotReady')]);
  const conditions: RuntimeCondition[] = [
    { type: 'RuntimeReady', status: rt.ready, reason: rt.reason, message: rt.message },
    { type: 'NetworkReady', status: net.ready, reason: net.reason, message: net.message },
  ];
  const info: Record<string, string> = {};
  if (verbose) {
    const all = [ctx.plugins.records, ctx.plugins.images, ctx.plugins.namespace, ctx.plugins.network, ctx.plugins.runtime, ...ctx.plugins.security];
    const plugins: Record<string, unknown> = {};
    for (const p of all) {
      plugins[p.name] = p.info ? await p.info().catch((err: unknown) => ({ error: errorMessage(err) })) : {};
    }
    info.plugins = JSON.stringify(plugins);
    // Unreadable records, set aside at restore until an operator repairs or deletes them.
    const { records } = ctx.plugins;
    const quarantined = await Promise.all([records.pods.quarantined(), records.containers.quarantined()]).then(
      ([pods, containers]) => ({ pods, containers }),
      (err: unknown) => ({ error: errorMessage(err) }),
    );
    info.quarantinedRecords = JSON.stringify(quarantined);
    if (ctx.options.effectiveConfig !== undefined) info.config = JSON.stringify(ctx.options.effectiveConfig);
    info.runtimeConfig = JSON.stringify({ podCidr: ctx.state.podCidr });
  }
  return { conditions, handlers: runtime.handlers(), info };
}

export interface RuntimeConfigInfo {
  cgroupDriver: 'cgroupfs' | 'systemd';
}

export function runtimeConfig(ctx: CoreContext): RuntimeConfigInfo {
  return { cgroupDriver: ctx.plugins.runtime.cgroupDriver() };
}

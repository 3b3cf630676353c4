import type { CoreContext } from '../context.js';
import { AlreadyExistsError, InvalidArgumentError } from '../errors.js';
import type { NamespaceKind, PodRecord, PodSandboxConfig } from '../types.js';
import { nowNs } from '../types.js';
import { newId } from '../util/ids.js';
import { settleAll } from '../util/settle.js';
import { UndoStack } from '../util/undo.js';
import { releasePodSecurity, reservePodSecurity, validatePodSecurity } from './security.js';
import { mountShm, podFilePaths, removePodFiles, shmSizeOf, writeBaseFiles, writeHostsFile } from './files.js';
import { networkRequest } from './network-request.js';
import { runSandbox } from './sandbox.js';
import { podFullName, validatePodConfig } from './validate.js';

export interface RunPodSandboxOptions {
  /** Fires when the caller cancels or its deadline passes. */
  signal?: AbortSignal;
}

/**
 * RunPodSandbox: reserve the name, pin the namespaces, attach the network, write the pod's
 * files, have the runtime make the sandbox, persist. Each step registers its undo, so a failure leaves nothing behind.
 */
export async function runPodSandbox(ctx: CoreContext, config: PodSandboxConfig, runtimeHandler: string, options: RunPodSandboxOptions = {}): Promise<string> {
  validatePodConfig(config);
  const handlers = ctx.plugins.runtime.handlers().map((h) => h.name);
  if (runtimeHandler !== '' && !handlers.includes(runtimeHandler)) {
    throw new InvalidArgumentError(`runtime handler "${runtimeHandler}" is not configured (known: ${handlers.join(', ')})`);
  }
  await validatePodSecurity(ctx, config);
  const name = podFullName(config);
  const adopted = await adoptAbandonedCreation(ctx, name);
  if (adopted) return adopted;

  const id = newId();
  ctx.state.podNames.reserve(name, id, 'pod sandbox');
  let settle!: (ok: boolean) => void;
  ctx.state.podCreations.set(name, { id, done: new Promise((r) => (settle = r)), callerGone: () => options.signal?.aborted ?? false });
  try {
    await ctx.state.locks.run(id, () => createPod(ctx, id, name, config, runtimeHandler));
  } catch (err) {
    ctx.state.podCreations.delete(name);
    settle(false);
    throw err;
  }
  // Keep the entry only when nobody is waiting for this answer, so kubelet's retry can take it.
  if (!options.signal?.aborted) ctx.state.podCreations.delete(name);
  settle(true);
  return id;
}

/**
 * A name held by a creation still running or finished after its caller gave up: wait for it
 * and hand the pod to this retry; anything else holding the name is a conflict.
 */
async function adoptAbandonedCreation(ctx: CoreContext, name: string): Promise<string | undefined> {
  const holder = ctx.state.podNames.holder(name);
  if (holder === undefined) return undefined;
  const creation = ctx.state.podCreations.get(name);
  if (creation?.id === holder) {
    const ok = await creation.done;
    if (ok && creation.callerGone() && ctx.state.pods.has(holder)) {
      ctx.state.podCreations.delete(name);
      ctx.logger.info({ podId: holder, name }, 'handing a pod finished after its caller gave up to the retry');
      return holder;
    }
    if (!ok) return undefined;
  }
  throw new AlreadyExistsError(`pod sandbox name "${name}" is already reserved for pod sandbox ${ctx.state.podNames.holder(name) ?? holder}`);
}

async function createPod(ctx: CoreContext, id: string, name: string, config: PodSandboxConfig, runtimeHandler: string): Promise<void> {
  const { records, namespace } = ctx.plugins;
  const log = ctx.logger.child({ podId: id, pod: name });
  const undo = new UndoStack(log);
  const nsOptions = config.linux.securityContext.namespaceOptions;
  const hostNetwork = nsOptions.network === 'node';
  const files = podFilePaths(ctx.options.runroot, id, nsOptions.ipc === 'node');
  const pod: PodRecord = {
    id,
    config,
    runtimeHandler,
    state: 'notready',
    createdAt: nowNs(),
    namespaces: [],
    ips: [],
    creating: true,
    files,
    shmSizeBytes: shmSizeOf(config),
  };
  undo.push('release name', async () => ctx.state.podNames.release(name, id));
  try {
    // Recorded first, marked creating: a crash from here on is cleaned up at restore.
    await records.pods.put(pod);
    undo.push('delete record', () => records.pods.delete(id));
    await reservePodSecurity(ctx, pod);
    undo.push('release pod security', () => releasePodSecurity(ctx, id));

    const kinds: NamespaceKind[] = [];
    if (!hostNetwork) kinds.push('net', 'uts');
    if (nsOptions.ipc !== 'node') kinds.push('ipc');
    if (kinds.length > 0) {
      pod.namespaces = await namespace.create(id, kinds, {
        hostname: hostNetwork ? undefined : config.hostname || undefined,
        sysctls: config.linux.sysctls,
      });
      // Not recorded yet: after a crash here, restore releases pins no pod owns.
      undo.push('release namespaces', () => Promise.all(pod.namespaces.map((ns) => namespace.release(ns))));
    } else if (Object.keys(config.linux.sysctls).length > 0) {
      throw new InvalidArgumentError(`sysctls ${Object.keys(config.linux.sysctls).join(', ')} need a pod network or IPC namespace; this pod uses the host's`);
    }

    undo.push('remove pod files', () => removePodFiles(files, { keepDir: false }));
    // The network and the pod's files (then the runtime's sandbox, whose infra container needs the
    // files but not the IPs) do not depend on each other: do them at the same time, and let both
    // end before a failure unwinds.
    const [net] = await settleAll([
      hostNetwork ? Promise.resolve({ ips: [] as string[] }) : attachNetwork(ctx, pod, undo),
      writeBaseFiles(files, config)
        .then(() => mountShm(files, pod.shmSizeBytes))
        .then(() => runSandbox(ctx, pod, undo)),
    ]);
    pod.ips = net.ips;
    // In place: the infra container already bind-mounts this file.
    await writeHostsFile(files, config, hostNetwork, pod.ips);

    pod.creating = false;
    pod.state = 'ready';
    await records.pods.put(pod);
    ctx.state.pods.set(id, pod);
    log.info({ ips: pod.ips }, 'pod sandbox ready');
  } catch (err) {
    log.warn({ err }, 'RunPodSandbox failed: undoing');
    await undo.unwind();
    throw err;
  }
}

async function attachNetwork(ctx: CoreContext, pod: PodRecord, undo: UndoStack) {
  const req = networkRequest(pod);
  const status = await ctx.plugins.network.setUp(req);
  undo.push('network teardown', () => ctx.plugins.network.tearDown(req));
  return status;
}

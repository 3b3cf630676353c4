import type { CoreContext } from './context.js';
import { containerNameKey, refreshContainer } from './containers/lookup.js';
import { startRecheckSweep } from './containers/recheck-sweep.js';
import { errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import { removePodFiles } from './pods/files.js';
import { networkRequest, usesHostNetwork } from './pods/network-request.js';
import { removeSandbox } from './pods/sandbox.js';
import { reservePodSecurity } from './pods/security.js';
import { podFullName } from './pods/validate.js';
import type { PodRecord } from './types.js';

/**
 * Rebuild the in-memory state from the records after a start (graceful or after kill -9): pods
 * and containers come back with their names; pods a crash left half-made are cleaned up, and
 * runtime containers, rootfs and pinned namespaces no record owns are removed. What belongs to a
 * quarantined (unreadable) record is never taken for an orphan: it stays until an operator acts.
 */
export async function restore(ctx: CoreContext): Promise<void> {
  const { records, images, namespace } = ctx.plugins;
  const log = ctx.logger.child({ phase: 'restore' });
  let podsCleaned = 0;
  let containersCleaned = 0;
  // Every record is read before restore acts on any: a record of a newer schema refuses the start here.
  const [pods, containers] = await Promise.all([records.pods.list(), records.containers.list()]);
  const quarantine = await quarantinedIds(ctx);
  for (const pod of pods) {
    if (pod.creating) {
      podsCleaned++;
      await cleanUpHalfMadePod(ctx, pod).catch((err: unknown) => log.error({ err, podId: pod.id }, 'cleaning up a half-made pod failed'));
      continue;
    }
    ctx.state.pods.set(pod.id, pod);
    ctx.state.podNames.reserve(podFullName(pod.config), pod.id, 'pod sandbox');
    try {
      // Given back the state they returned before the restart, the plugins hold the same things again.
      if (await reservePodSecurity(ctx, pod)) await records.pods.put(pod);
    } catch (err) {
      log.error({ err, podId: pod.id }, 'security plugins refused the restored pod');
    }
    for (const ns of pod.namespaces) {
      if ((await namespace.state(ns).catch(() => 'closed')) === 'closed') {
        log.warn({ podId: pod.id, path: ns.path }, 'a namespace of this pod was closed while criod was down');
      }
    }
  }
  for (const c of containers) {
    if (!ctx.state.pods.has(c.podId)) {
      if (quarantine.pods.has(c.podId)) {
        log.warn({ containerId: c.id, podId: c.podId }, 'container of a quarantined pod: left alone, not served');
        quarantine.containers.add(c.id);
        continue;
      }
      log.warn({ containerId: c.id, podId: c.podId }, 'container record of a pod that no longer exists: removing it');
      containersCleaned++;
      await ctx.plugins.runtime.deleteContainer(c.id).catch(() => undefined);
      await images.removeRootfs(c.id).catch(() => undefined);
      await records.containers.delete(c.id);
      continue;
    }
    ctx.state.containers.set(c.id, c);
    ctx.state.containerNames.reserve(containerNameKey(c.podId, c.name, c.attempt), c.id, 'container');
    // Containers kept running while criod was down; some may have exited meanwhile.
    await refreshContainer(ctx, c).catch((err: unknown) => log.error({ err, containerId: c.id }, 'reconciling with the runtime failed'));
    // After a reboot the overlay mounts are gone; a plain restart finds them in place.
    if (c.state !== 'exited') await images.mountRootfs(c.id).catch((err: unknown) => log.error({ err, containerId: c.id }, 'remounting the rootfs failed'));
  }
  const infras = new Set([...ctx.state.pods.values()].flatMap((p) => (p.infraContainerId ? [p.infraContainerId] : [])));
  for (const id of infras) await images.mountRootfs(id).catch((err: unknown) => log.error({ err, containerId: id }, 'remounting an infra rootfs failed'));
  const orphan = orphanContainer(ctx, infras, quarantine, log);
  for (const id of await ctx.plugins.runtime.listContainers()) {
    if (orphan(id)) {
      log.warn({ containerId: id }, 'deleting a runtime container no record owns (a crash during CreateContainer)');
      await ctx.plugins.runtime.deleteContainer(id).catch((err: unknown) => log.error({ err, containerId: id }, 'deleting it failed'));
    }
  }
  for (const id of await images.listRootfs()) {
    if (orphan(id)) {
      log.warn({ containerId: id }, 'removing a rootfs no container owns (a crash during CreateContainer)');
      await images.removeRootfs(id).catch((err: unknown) => log.error({ err, containerId: id }, 'removing it failed'));
    }
  }
  const owned = new Set([...ctx.state.pods.values()].flatMap((p) => p.namespaces.map((ns) => ns.path)));
  for (const id of quarantine.pods) {
    try {
      for (const ns of namespace.pinsFor(id)) owned.add(ns.path);
    } catch (err) {
      log.warn({ podId: id, err: errorMessage(err) }, 'a quarantined pod id that names no namespace pin');
    }
  }
  for (const ns of await namespace.list()) {
    if (!owned.has(ns.path)) {
      log.warn({ path: ns.path }, 'releasing a pinned namespace no pod owns');
      await namespace.release(ns).catch((err: unknown) => log.error({ err, path: ns.path }, 'releasing it failed'));
    }
  }
  watchExits(ctx);
  ctx.options.observe?.({
    type: 'restore',
    podsRestored: ctx.state.pods.size,
    podsCleaned,
    podsQuarantined: quarantine.pods.size,
    containersRestored: ctx.state.containers.size,
    containersCleaned,
    containersQuarantined: quarantine.containers.size,
  });
  log.info(
    {
      pods: ctx.state.pods.size,
      containers: ctx.state.containers.size,
      quarantinedPods: quarantine.pods.size,
      quarantinedContainers: quarantine.containers.size,
    },
    'state restored',
  );
}

interface Quarantine {
  pods: Set<string>;
  /** Quarantined container records, and the readable records of quarantined pods. */
  containers: Set<string>;
}

async function quarantinedIds(ctx: CoreContext): Promise<Quarantine> {
  const { records } = ctx.plugins;
  const [pods, containers] = await Promise.all([records.pods.quarantined(), records.containers.quarantined()]);
  for (const q of [...pods, ...containers]) {
    ctx.logger.error(
      { phase: 'restore', ...q },
      'quarantined record: what it owns is left alone until an operator repairs it and moves it back, or deletes it',
    );
  }
  return { pods: new Set(pods.map((q) => q.id)), containers: new Set(containers.map((q) => q.id)) };
}

/**
 * Whether a runtime container or rootfs id is an orphan, safe to remove. A quarantined pod's
 * infra container is named only in its unreadable record, so while a pod is quarantined no
 * container without a record is taken for an orphan.
 */
function orphanContainer(ctx: CoreContext, infras: Set<string>, quarantine: Quarantine, log: Logger): (id: string) => boolean {
  return (id) => {
    if (ctx.state.containers.has(id) || infras.has(id) || quarantine.containers.has(id)) return false;
    if (quarantine.pods.size > 0) {
      log.warn({ containerId: id }, 'sparing a container no record owns: it may be the infra container of a quarantined pod');
      return false;
    }
    return true;
  };
}

async function cleanUpHalfMadePod(ctx: CoreContext, pod: PodRecord): Promise<void> {
  ctx.logger.warn({ podId: pod.id }, 'cleaning up a pod a crash left half-made');
  await removeSandbox(ctx, pod);
  // Always for pod networks: the crash may have come after CNI ADD but before the namespaces were recorded.
  if (!usesHostNetwork(pod)) {
    await ctx.plugins.network.tearDown(networkRequest(pod)).catch((err: unknown) => {
      ctx.logger.warn({ podId: pod.id, err: errorMessage(err) }, 'CNI teardown of a half-made pod failed');
    });
  }
  await removePodFiles(pod.files, { keepDir: false });
  await Promise.all(pod.namespaces.map((ns) => ctx.plugins.namespace.release(ns)));
  await ctx.plugins.records.pods.delete(pod.id);
}

/**
 * Notice exits as they happen (not only when someone asks), so event listeners hear of them and
 * reads can trust records checked since (StateChecks).
 */
function watchExits(ctx: CoreContext): void {
  const watch = ctx.plugins.runtime.watchExits?.bind(ctx.plugins.runtime);
  if (!watch) return;
  watch((id) => {
    const c = ctx.state.containers.get(id);
    if (!c || c.state === 'exited') return;
    ctx.state.stateChecks.exitAnnounced(id);
    refreshContainer(ctx, c).catch((err: unknown) => ctx.logger.warn({ err, containerId: id }, 'reconciling an exit failed'));
  });
  ctx.state.stateChecks.startWatching();
  startRecheckSweep(ctx);
}

import type { CoreContext } from './context.js';
import { containerNameKey, refreshContainer } from './containers/lookup.js';
import { errorMessage } from './errors.js';
import { removePodFiles } from './pods/files.js';
import { removeInfra } from './pods/infra.js';
import { networkRequest, usesHostNetwork } from './pods/network-request.js';
import { reservePodSecurity } from './pods/security.js';
import { podFullName } from './pods/validate.js';
import type { PodRecord } from './types.js';

/**
 * Rebuild the in-memory state from the store after a start (graceful or after kill -9): pods
 * and containers come back with their names; pods a crash left half-made are cleaned up, and
 * pinned namespaces no record owns are released.
 */
export async function restore(ctx: CoreContext): Promise<void> {
  const { store, namespace } = ctx.plugins;
  const log = ctx.logger.child({ phase: 'restore' });
  for (const pod of await store.pods.list()) {
    if (pod.creating) {
      await cleanUpHalfMadePod(ctx, pod).catch((err: unknown) => log.error({ err, podId: pod.id }, 'cleaning up a half-made pod failed'));
      continue;
    }
    ctx.state.pods.set(pod.id, pod);
    ctx.state.podNames.reserve(podFullName(pod.config), pod.id, 'pod sandbox');
    await reservePodSecurity(ctx, pod).catch((err: unknown) => log.error({ err, podId: pod.id }, 'security plugins refused the restored pod'));
    for (const ns of pod.namespaces) {
      if ((await namespace.state(ns).catch(() => 'closed')) === 'closed') {
        log.warn({ podId: pod.id, path: ns.path }, 'a namespace of this pod was closed while criod was down');
      }
    }
  }
  for (const c of await store.containers.list()) {
    if (!ctx.state.pods.has(c.podId)) {
      log.warn({ containerId: c.id, podId: c.podId }, 'container record of a pod that no longer exists: removing it');
      await ctx.plugins.runtime.deleteContainer(c.id).catch(() => undefined);
      await store.images.removeRootfs(c.id).catch(() => undefined);
      await store.containers.delete(c.id);
      continue;
    }
    ctx.state.containers.set(c.id, c);
    ctx.state.containerNames.reserve(containerNameKey(c.podId, c.name, c.attempt), c.id, 'container');
    // Containers kept running under their monitors; some may have exited meanwhile.
    await refreshContainer(ctx, c).catch((err: unknown) => log.error({ err, containerId: c.id }, 'reconciling with the runtime failed'));
    // After a reboot the overlay mounts are gone; a plain restart finds them in place.
    if (c.state !== 'exited') await store.images.mountRootfs(c.id).catch((err: unknown) => log.error({ err, containerId: c.id }, 'remounting the rootfs failed'));
  }
  const infras = new Set([...ctx.state.pods.values()].flatMap((p) => (p.infraContainerId ? [p.infraContainerId] : [])));
  for (const id of infras) await store.images.mountRootfs(id).catch((err: unknown) => log.error({ err, containerId: id }, 'remounting an infra rootfs failed'));
  const ownsContainer = (id: string) => ctx.state.containers.has(id) || infras.has(id);
  for (const id of await ctx.plugins.runtime.listContainers()) {
    if (!ownsContainer(id)) {
      log.warn({ containerId: id }, 'deleting a runtime container no record owns (a crash during CreateContainer)');
      await ctx.plugins.runtime.deleteContainer(id).catch((err: unknown) => log.error({ err, containerId: id }, 'deleting it failed'));
    }
  }
  for (const id of await store.images.listRootfs()) {
    if (!ownsContainer(id)) {
      log.warn({ containerId: id }, 'removing a rootfs no container owns (a crash during CreateContainer)');
      await store.images.removeRootfs(id).catch((err: unknown) => log.error({ err, containerId: id }, 'removing it failed'));
    }
  }
  const owned = new Set([...ctx.state.pods.values()].flatMap((p) => p.namespaces.map((ns) => ns.path)));
  for (const ns of await namespace.list()) {
    if (!owned.has(ns.path)) {
      log.warn({ path: ns.path }, 'releasing a pinned namespace no pod owns');
      await namespace.release(ns).catch((err: unknown) => log.error({ err, path: ns.path }, 'releasing it failed'));
    }
  }
  watchExits(ctx);
  log.info({ pods: ctx.state.pods.size, containers: ctx.state.containers.size }, 'state restored');
}

async function cleanUpHalfMadePod(ctx: CoreContext, pod: PodRecord): Promise<void> {
  ctx.logger.warn({ podId: pod.id }, 'cleaning up a pod a crash left half-made');
  await removeInfra(ctx, pod);
  // Always for pod networks: the crash may have come after CNI ADD but before the namespaces were recorded.
  if (!usesHostNetwork(pod)) {
    await ctx.plugins.network.tearDown(networkRequest(pod)).catch((err: unknown) => {
      ctx.logger.warn({ podId: pod.id, err: errorMessage(err) }, 'CNI teardown of a half-made pod failed');
    });
  }
  await removePodFiles(pod.files, { keepDir: false });
  await Promise.all(pod.namespaces.map((ns) => ctx.plugins.namespace.release(ns)));
  await ctx.plugins.store.pods.delete(pod.id);
}

/** Notice exits as they happen (not only when someone asks), so event listeners hear of them. */
function watchExits(ctx: CoreContext): void {
  ctx.plugins.runtime.watchExits?.((id) => {
    const c = ctx.state.containers.get(id);
    if (!c || c.state === 'exited') return;
    refreshContainer(ctx, c).catch((err: unknown) => ctx.logger.warn({ err, containerId: id }, 'reconciling an exit failed'));
  });
}

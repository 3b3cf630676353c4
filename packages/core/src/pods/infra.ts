import { join } from 'node:path';
import type { CoreContext } from '../context.js';
import { FailedPreconditionError } from '../errors.js';
import { createRuntimeContainer } from '../containers/runtime-container.js';
import type { ContainerConfig, ImageRecord, PodRecord } from '../types.js';
import { newId } from '../util/ids.js';
import type { UndoStack } from '../util/undo.js';

/** The oom_score_adj runtimes give the infra process: the last thing the OOM killer takes. */
const infraOomScoreAdj = -998;

async function pauseImage(ctx: CoreContext): Promise<ImageRecord> {
  const ref = ctx.options.pauseImage;
  if (!ref) throw new FailedPreconditionError('this pod shares one PID namespace, which needs an infra container, but [image] pause_image is not set');
  const images = ctx.plugins.images;
  return (await images.resolve(ref)) ?? images.pull(ref, { registries: ctx.options.registries ?? {}, pinned: true });
}

/** The infra container as a container config: the pause image's own command, confined and tiny. */
function infraConfig(pod: PodRecord, image: string): ContainerConfig {
  const podNs = pod.config.linux.securityContext.namespaceOptions;
  return {
    metadata: { name: 'POD', attempt: pod.config.metadata.attempt },
    image,
    command: [],
    args: [],
    workingDir: '',
    envs: [],
    mounts: [],
    devices: [],
    labels: {},
    annotations: {},
    logPath: '',
    stdin: false,
    stdinOnce: false,
    tty: false,
    stopSignal: 'SIGKILL',
    linux: {
      resources: {
        cpuPeriod: 0,
        cpuQuota: 0,
        cpuShares: 2,
        memoryLimitInBytes: 0,
        oomScoreAdj: infraOomScoreAdj,
        cpusetCpus: '',
        cpusetMems: '',
        hugepageLimits: [],
        unified: {},
        memorySwapLimitInBytes: 0,
      },
      securityContext: {
        capabilities: { add: [], drop: ['ALL'], addAmbient: [] },
        privileged: false,
        namespaceOptions: { ...podNs, pid: 'container' },
        runAsUsername: '',
        readonlyRootfs: true,
        supplementalGroups: [],
        noNewPrivs: true,
        maskedPaths: [],
        readonlyPaths: [],
      },
    },
  };
}

/**
 * Start the infra container whose PID namespace the pod's containers share. Only pods with
 * namespace_options.pid POD get one: the other namespaces are pinned without a process. It is
 * made like any container, so the security plugins confine it with the pod's security context.
 */
export async function startInfra(ctx: CoreContext, pod: PodRecord, undo: UndoStack): Promise<void> {
  const image = await pauseImage(ctx);
  const id = newId();
  const { runtime, images } = ctx.plugins;
  const rootfs = await images.createRootfs(id, image.id);
  undo.push('remove infra rootfs', () => images.removeRootfs(id));
  const config = infraConfig(pod, ctx.options.pauseImage ?? '');
  await createRuntimeContainer(
    ctx,
    {
      id,
      pod,
      config,
      image: image.config,
      rootfs,
      user: { uid: 0, gid: 0, additionalGids: [] },
      logPath: join(pod.files.dir, 'infra.log'),
      infra: true,
      logger: ctx.logger.child({ podId: pod.id, infra: id }),
    },
    undo,
  );
  await runtime.startContainer(id);
  pod.infraContainerId = id;
}

export async function stopInfra(ctx: CoreContext, pod: PodRecord): Promise<void> {
  if (pod.infraContainerId) await ctx.plugins.runtime.stopContainer(pod.infraContainerId, 0, 'SIGKILL');
}

export async function removeInfra(ctx: CoreContext, pod: PodRecord): Promise<void> {
  if (!pod.infraContainerId) return;
  await ctx.plugins.runtime.deleteContainer(pod.infraContainerId);
  await ctx.plugins.images.removeRootfs(pod.infraContainerId);
}

import { join } from 'node:path';
import type { CoreContext } from '../context.js';
import { FailedPreconditionError } from '../errors.js';
import { runtimeContainerRequest } from '../containers/runtime-container.js';
import type { RuntimeContainerRequest } from '../plugins.js';
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
 * The request of the infra container whose PID namespace the pod's containers share, over a new
 * rootfs of the pause image (its removal registered on `undo`). It is made like any container, so
 * the security plugins confine it with the pod's security context; the runtime runs it in
 * runPodSandbox.
 */
export async function infraRequest(ctx: CoreContext, pod: PodRecord, undo: UndoStack): Promise<RuntimeContainerRequest> {
  const image = await pauseImage(ctx);
  const id = newId();
  const { images } = ctx.plugins;
  const rootfs = await images.createRootfs(id, image.id);
  undo.push('remove infra rootfs', () => images.removeRootfs(id));
  return runtimeContainerRequest(ctx, {
    id,
    pod,
    config: infraConfig(pod, ctx.options.pauseImage ?? ''),
    image: image.config,
    rootfs,
    user: { uid: 0, gid: 0, additionalGids: [] },
    logPath: join(pod.files.dir, 'infra.log'),
    infra: true,
    logger: ctx.logger.child({ podId: pod.id, infra: id }),
  });
}

import { constants } from 'node:fs';
import { mkdir, open, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import type { CoreContext } from '../context.js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../errors.js';
import { findPod } from '../pods/lookup.js';
import type { ContainerConfig, ContainerRecord, ImageRecord, LinuxContainerSecurity, NamespaceOptions, PodRecord } from '../types.js';
import { nowNs } from '../types.js';
import { newId } from '../util/ids.js';
import { settleAll } from '../util/settle.js';
import { UndoStack } from '../util/undo.js';
import { emitContainerEvent } from './events.js';
import { containerNameKey, findContainer } from './lookup.js';
import { createRuntimeContainer } from './runtime-container.js';
import { validateResources } from './spec/resources.js';
import { requireUserForGroup, resolveUser, type ProcessUser } from './spec/user.js';

const PATH_MAX = 4095;
const NAME_MAX = 255;

/** The absolute log path of a container: inside the pod's log directory, never outside it. */
export function containerLogPath(ctx: CoreContext, pod: PodRecord, id: string, logPath: string): string {
  const dir = pod.config.logDirectory;
  if (!dir) return join(ctx.options.runroot, 'pods', pod.id, 'logs', `${id}.log`);
  if (!logPath) return join(dir, `${id}.log`);
  if (logPath.includes('\0')) throw new InvalidArgumentError('log_path contains a NUL character');
  if (isAbsolute(logPath)) throw new InvalidArgumentError(`log_path ${JSON.stringify(logPath)} must be relative to the pod's log directory`);
  const full = resolve(dir, normalize(logPath));
  if (!full.startsWith(`${resolve(dir)}/`)) throw new InvalidArgumentError(`log_path ${JSON.stringify(logPath)} escapes the pod's log directory ${dir}`);
  if (full.length > PATH_MAX || full.split('/').some((part) => part.length > NAME_MAX)) {
    throw new InvalidArgumentError(`log_path is too long: ${full.length} characters, at most ${PATH_MAX} and ${NAME_MAX} per name`);
  }
  return full;
}

/**
 * Create the log file before the runtime opens it, so that neither a symlink in its directories
 * nor one in its place can lead the container's output out of the pod's log directory.
 */
async function prepareLogFile(logPath: string, logDirectory: string): Promise<void> {
  await mkdir(dirname(logPath), { recursive: true });
  if (logDirectory) {
    const [dirReal, parentReal] = await Promise.all([realpath(logDirectory), realpath(dirname(logPath))]);
    if (parentReal !== dirReal && !parentReal.startsWith(`${dirReal}/`)) {
      throw new InvalidArgumentError(`log_path leads out of the pod's log directory ${logDirectory} through a symbolic link`);
    }
  }
  let handle;
  try {
    // Non-blocking: a FIFO put in the log's place must not hang the call.
    handle = await open(logPath, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o640);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new InvalidArgumentError(`log file ${logPath} is a symbolic link`, { cause: err });
    if (code === 'ENXIO') throw new InvalidArgumentError(`log file ${logPath} is not a regular file`, { cause: err });
    throw err;
  }
  try {
    if (!(await handle.stat()).isFile()) throw new InvalidArgumentError(`log file ${logPath} is not a regular file`);
  } finally {
    await handle.close();
  }
}

function validateContainerConfig(config: ContainerConfig): void {
  const name = config.metadata.name;
  if (!name) throw new InvalidArgumentError('container metadata.name must not be empty');
  if (/[/\0\n]/.test(name) || name.length > 253) throw new InvalidArgumentError(`container name ${JSON.stringify(name)} is not allowed`);
  if (!config.image) throw new InvalidArgumentError(`container ${name}: image must not be empty`);
  if (config.workingDir && !isAbsolute(config.workingDir)) {
    throw new InvalidArgumentError(`container ${name}: working_dir ${JSON.stringify(config.workingDir)} must be an absolute path`);
  }
  requireUserForGroup(`container ${name}`, config.linux.securityContext);
  validateResources(config.linux.resources);
}

/** A container made from a checkpoint: its rootfs gets the checkpoint's changes, its processes come back at start. */
export interface RestoreSource {
  imagesDir: string;
  applyRootfs(containerId: string): Promise<void>;
}

/** The container's rootfs from the image (with a checkpoint's changes), and the user its files name. Undone on `undo`. */
async function prepareRootfs(
  ctx: CoreContext,
  id: string,
  image: ImageRecord,
  sc: LinuxContainerSecurity,
  restore: RestoreSource | undefined,
  undo: UndoStack,
): Promise<{ rootfs: string; user: ProcessUser }> {
  const rootfs = await ctx.plugins.images.createRootfs(id, image.id);
  undo.push('remove rootfs', () => ctx.plugins.images.removeRootfs(id));
  if (restore) await restore.applyRootfs(id);
  const user = await resolveUser(rootfs, {
    runAsUser: sc.runAsUser,
    runAsGroup: sc.runAsGroup,
    runAsUsername: sc.runAsUsername,
    supplementalGroups: sc.supplementalGroups,
    imageUser: image.config.user,
  });
  return { rootfs, user };
}

/**
 * CreateContainer: reserve the name, make the rootfs from the image, then build, confine and create
 * the container under the runtime (createRuntimeContainer). Undone on failure.
 */
export async function createContainer(ctx: CoreContext, podRef: string, config: ContainerConfig, restore?: RestoreSource): Promise<string> {
  validateContainerConfig(config);
  const pod = findPod(ctx, podRef);
  return ctx.state.locks.run(pod.id, async () => {
    if (pod.state !== 'ready') throw new FailedPreconditionError(`pod sandbox ${pod.id} is not ready: it was stopped`);
    const image = await ctx.plugins.images.resolve(config.image);
    if (!image) throw new NotFoundError(`image ${config.image} not found: pull it first`);
    const id = newId();
    const nameKey = containerNameKey(pod.id, config.metadata.name, config.metadata.attempt);
    ctx.state.containerNames.reserve(nameKey, id, 'container');
    const log = ctx.logger.child({ containerId: id, podId: pod.id, container: config.metadata.name });
    const undo = new UndoStack(log);
    undo.push('release name', async () => ctx.state.containerNames.release(nameKey, id));
    try {
      const logPath = containerLogPath(ctx, pod, id, config.logPath);
      const sc = config.linux.securityContext;
      // The rootfs (and the user it names), the PID namespace to join and the log file do not
      // depend on each other: made at the same time.
      const [{ rootfs, user }, pidNamespacePath] = await settleAll([
        prepareRootfs(ctx, id, image, sc, restore, undo),
        sharedPidNamespace(ctx, pod, sc.namespaceOptions),
        prepareLogFile(logPath, pod.config.logDirectory),
      ]);
      await createRuntimeContainer(
        ctx,
        { id, pod, config, image: image.config, rootfs, user, logPath, pidNamespacePath, restoreFrom: restore?.imagesDir, logger: log },
        undo,
      );
      const record: ContainerRecord = {
        id,
        podId: pod.id,
        name: config.metadata.name,
        attempt: config.metadata.attempt,
        state: 'created',
        createdAt: nowNs(),
        startedAt: 0n,
        finishedAt: 0n,
        exitCode: 0,
        reason: '',
        message: '',
        image: config.image,
        imageRef: image.repoDigests[0] ?? `sha256:${image.id}`,
        imageId: image.id,
        labels: config.labels,
        annotations: config.annotations,
        logPath,
        config,
        stopSignal: config.stopSignal || image.config.stopSignal || 'SIGTERM',
        resources: config.linux.resources,
        user,
      };
      await ctx.plugins.records.containers.put(record);
      ctx.state.containers.set(id, record);
      emitContainerEvent(ctx, record, 'created');
      log.info('container created');
      return id;
    } catch (err) {
      log.warn({ err }, 'CreateContainer failed: undoing');
      await undo.unwind();
      throw err;
    }
  });
}

/**
 * The PID namespace a 'target' container (its target's) or a 'pod' container (the infra's) joins,
 * as the runtime names it while the container holding it runs.
 */
async function sharedPidNamespace(ctx: CoreContext, pod: PodRecord, ns: NamespaceOptions): Promise<string | undefined> {
  if (ns.pid !== 'target' && ns.pid !== 'pod') return undefined;
  let holder: string;
  if (ns.pid === 'target') {
    const target = findContainer(ctx, ns.targetId);
    // An exited container is released from the runtime: nothing to ask.
    if (target.state === 'exited') throw notRunning(target.id);
    holder = target.id;
  } else if (pod.infraContainerId) holder = pod.infraContainerId;
  else throw new FailedPreconditionError(`pod sandbox ${pod.id} does not share one PID namespace: run it with namespace_options.pid POD to share it`);
  const st = await ctx.plugins.runtime.containerState(holder);
  if (st.status !== 'running' || !st.pidNamespacePath) throw notRunning(holder);
  return st.pidNamespacePath;
}

function notRunning(holder: string): FailedPreconditionError {
  return new FailedPreconditionError(`container ${holder}, which holds the PID namespace to join, is not running`);
}

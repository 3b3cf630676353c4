import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { AlreadyExistsError, InternalError, isNotFound, NotFoundError, type OciProcess, type OciSpec } from '@criod/core';
import { writeFileAtomic } from '@criod/core';
import { readIfExists } from './files.js';
import type { ContainerFiles } from './layout.js';

const metaSchema = z.object({
  /** Resolved handler name (never ""), so later calls find the binary and its --root. */
  handler: z.string(),
  logPath: z.string(),
  tty: z.boolean(),
  stdin: z.boolean(),
  /** Close the container's stdin after the first attach ends (CRI stdin_once). */
  stdinOnce: z.boolean().default(false),
  /** /proc/<pid>/cgroup of the container's init right after create: hierarchy controllers → path. */
  cgroups: z.record(z.string(), z.string()).default({}),
  /** Host PID of the container's init, once created. */
  pid: z.number().int().default(0),
  /** `runc start` succeeded: a live init is running, not waiting to start. */
  started: z.boolean().default(false),
  /** A checkpoint's images wait in the bundle: start restores the processes from them. */
  restore: z.boolean().default(false),
  /** The init's start time (with `pid`, names it for good): lets stop signal it without spawning runc. */
  startTime: z.string().optional(),
  /** Run without conmon (the infra container): no exit file, its end is seen in /proc. */
  unmonitored: z.boolean().default(false),
  /** The container has a PID namespace of its own: killing its init ends every process in it. */
  ownPidNamespace: z.boolean().default(false),
});

export type ContainerMeta = z.infer<typeof metaSchema>;

/** Make the bundle dir with config.json and our meta file; an existing bundle means the id is taken. */
export async function createBundle(id: string, files: ContainerFiles, spec: OciSpec, meta: ContainerMeta): Promise<void> {
  try {
    await mkdir(files.bundle, { mode: 0o700 });
  } catch (err) {
    if (!isNotFound(err)) throw bundleError(id, files, err);
    // The first container since the runroot was made: its parent is missing too.
    await mkdir(dirname(files.bundle), { recursive: true, mode: 0o700 });
    await mkdir(files.bundle, { mode: 0o700 }).catch((again: unknown) => {
      throw bundleError(id, files, again);
    });
  }
  await Promise.all([writeFileAtomic(files.config, JSON.stringify(spec), { durable: false }), writeMeta(files, meta)]);
}

function bundleError(id: string, files: ContainerFiles, err: unknown): unknown {
  if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
    return new AlreadyExistsError(`container ${id} already exists in the runtime (bundle ${files.bundle})`, { cause: err });
  }
  return err;
}

export async function writeMeta(files: ContainerFiles, meta: ContainerMeta): Promise<void> {
  await writeFileAtomic(files.meta, JSON.stringify(meta), { durable: false });
}

/** The container's meta, or undefined when it has no bundle (never created or already deleted). */
export async function readMeta(files: ContainerFiles): Promise<ContainerMeta | undefined> {
  const text = await readIfExists(files.meta);
  if (text === undefined) return undefined;
  try {
    return metaSchema.parse(JSON.parse(text));
  } catch (err) {
    throw new InternalError(`corrupt runtime meta ${files.meta}: ${(err as Error).message}`, { cause: err });
  }
}

/** Like readMeta, for operations that need the container to exist. */
export async function requireMeta(id: string, files: ContainerFiles): Promise<ContainerMeta> {
  const meta = await readMeta(files);
  if (!meta) throw new NotFoundError(`container ${id} is not known to the runtime (no bundle at ${files.bundle})`);
  return meta;
}

/** The process section of the container's spec, the base of every exec. */
export async function readProcessSpec(id: string, files: ContainerFiles): Promise<OciProcess> {
  const spec = await readSpec(id, files);
  if (!spec.process) throw new InternalError(`container ${id}: ${files.config} has no process`);
  return spec.process;
}

/** The config.json this runtime wrote for the container. */
export async function readSpec(id: string, files: ContainerFiles): Promise<OciSpec> {
  const text = await readIfExists(files.config);
  if (text === undefined) throw new NotFoundError(`container ${id} is not known to the runtime (no ${files.config})`);
  return JSON.parse(text) as OciSpec;
}

export async function removeBundle(files: ContainerFiles): Promise<void> {
  await rm(files.bundle, { recursive: true, force: true, maxRetries: 3 });
}

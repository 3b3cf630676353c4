/**
 * The container checkpoint archive, laid out as CRI-O and Podman lay theirs so checkpointctl reads
 * it: one uncompressed tar holding the process images under checkpoint/, the OCI spec
 * (spec.dump), the container's config (config.dump), the writable layer's changes
 * (rootfs-diff.tar) and deletions (deleted.files), and the checkpointer's log (dump.log).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { InternalError, InvalidArgumentError } from '../../errors.js';
import { parseOciSpec } from '../../oci/parse-spec.js';
import type { OciSpec } from '../../oci/spec.js';
import { containerConfigSchema } from '../../records.js';
import { FileRefusedError, readRegularFile } from '../../util/confined-files.js';
import { isNotFound } from '../../util/errno.js';

export const archiveFiles = {
  checkpointDir: 'checkpoint',
  configDump: 'config.dump',
  specDump: 'spec.dump',
  rootfsDiff: 'rootfs-diff.tar',
  deletedFiles: 'deleted.files',
  dumpLog: 'dump.log',
  statsDump: 'stats-dump',
} as const;

/** Generous for a spec or a config, small enough to refuse a bomb before parsing it. */
const maxMetadataBytes = 16 * 1024 * 1024;

/**
 * config.dump: checkpointctl's fields (id, name, rootfsImageName, runtime, createdTime) and CRI-O's
 * (rootfsImage, rootfsImageRef, checkpointedTime), plus what criod needs to make the container again.
 */
export const checkpointConfigSchema = z.object({
  id: z.string(),
  name: z.string(),
  rootfsImage: z.string(),
  rootfsImageRef: z.string(),
  rootfsImageName: z.string(),
  runtime: z.string(),
  createdTime: z.string(),
  checkpointedTime: z.string(),
  criod: z.object({ podId: z.string(), imageId: z.string(), containerConfig: containerConfigSchema }),
});

export type CheckpointConfig = z.infer<typeof checkpointConfigSchema>;

/** What restore reads from an unpacked archive. */
export interface UnpackedCheckpoint {
  config: CheckpointConfig;
  /** The OCI spec the container ran with (spec.dump). */
  spec: OciSpec;
  /** The process images. */
  imagesDir: string;
  rootfsDiff?: string;
  deleted: string[];
}

const run = promisify(execFile);

async function tar(args: string[], what: string): Promise<void> {
  try {
    await run('tar', args, { maxBuffer: 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    if (isNotFound(err)) throw new InternalError(`${what}: GNU tar is not installed (Debian: apt-get install tar)`, { cause: err });
    throw new InvalidArgumentError(`${what}: ${(e.stderr ?? '').trim() || e.message}`, { cause: err });
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Pack the archive dir `dir` (what a checkpoint wrote there) into `location`, atomically: a temp
 * file next to it renamed over. Mode 0600: it holds every memory page of the container.
 */
export async function packCheckpoint(dir: string, location: string): Promise<void> {
  const members = (await readdir(dir)).filter((name) => (Object.values(archiveFiles) as string[]).includes(name)).sort();
  const tmp = join(dirname(location), `.${basename(location)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, '', { mode: 0o600 });
    await tar(['-c', '-f', tmp, '-C', dir, '--numeric-owner', '--xattrs', '--', ...members], `writing checkpoint archive ${location}`);
    await rename(tmp, location);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** One of the archive's JSON files, indented as Podman and CRI-O write them. */
export async function writeArchiveJson(dir: string, name: string, value: unknown): Promise<void> {
  await writeFile(join(dir, name), JSON.stringify(value, null, 2), { mode: 0o600 });
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: Buffer;
  try {
    text = await readRegularFile(path, maxMetadataBytes);
  } catch (err) {
    const reason = err instanceof FileRefusedError ? err.message : isNotFound(err) ? 'it is missing' : (err as Error).message;
    throw new InvalidArgumentError(`${what}: ${reason}`, { cause: err });
  }
  try {
    return JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`${what} is not JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** A path deleted.files names: relative, normalised, never climbing out of the rootfs. */
function deletedPath(value: unknown): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(`deleted.files holds ${JSON.stringify(value)}, not a path`);
  const parts = value.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..') || value.includes('\0'))
    throw new InvalidArgumentError(`deleted.files names ${JSON.stringify(value)}, which is not a path inside the rootfs`);
  return parts.join('/');
}

/**
 * Unpack the archive at `archive` into the empty dir `dir` and read its metadata. Anything that is
 * not a checkpoint archive of criod's is an InvalidArgument saying what is wrong with it.
 */
export async function unpackCheckpoint(archive: string, dir: string): Promise<UnpackedCheckpoint> {
  const what = `checkpoint archive ${archive}`;
  await tar(
    ['-x', '-f', archive, '-C', dir, '--numeric-owner', '--same-owner', '--same-permissions', '--xattrs', '--warning=no-timestamp'],
    `unpacking ${what}`,
  );
  const config = checkpointConfigSchema.safeParse(await readJson(join(dir, archiveFiles.configDump), `${what}: ${archiveFiles.configDump}`));
  if (!config.success) throw new InvalidArgumentError(`${what}: ${archiveFiles.configDump} is not a criod checkpoint config: ${z.prettifyError(config.error)}`);
  const specWhat = `${what}: ${archiveFiles.specDump}`;
  const spec = parseOciSpec(await readJson(join(dir, archiveFiles.specDump), specWhat), specWhat);
  const imagesDir = join(dir, archiveFiles.checkpointDir);
  if (!(await lstat(imagesDir).catch(() => undefined))?.isDirectory())
    throw new InvalidArgumentError(`${what} has no ${archiveFiles.checkpointDir}/ directory of process images`);
  const deletedFile = join(dir, archiveFiles.deletedFiles);
  const deletedJson = (await exists(deletedFile)) ? await readJson(deletedFile, `${what}: ${archiveFiles.deletedFiles}`) : [];
  if (!Array.isArray(deletedJson)) throw new InvalidArgumentError(`${what}: ${archiveFiles.deletedFiles} is not a list of paths`);
  const rootfsDiff = join(dir, archiveFiles.rootfsDiff);
  const diffStat = await lstat(rootfsDiff).catch(() => undefined);
  if (diffStat && !diffStat.isFile()) throw new InvalidArgumentError(`${what}: ${archiveFiles.rootfsDiff} is not a regular file`);
  return {
    config: config.data,
    spec,
    imagesDir,
    ...(diffStat ? { rootfsDiff } : {}),
    deleted: deletedJson.map(deletedPath),
  };
}

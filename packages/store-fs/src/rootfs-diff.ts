/**
 * A container's rootfs changes as a checkpoint carries them (CRI-O's rootfs-diff.tar and
 * deleted.files): a tar of what its overlay upper dir holds, and the paths it deleted from the
 * image. Applying them to a fresh rootfs must never reach outside it, whatever the input says.
 */
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InternalError, InvalidArgumentError } from '@criod/core';
import { execa } from 'execa';

/** The dirs of a mounted overlay rootfs; lowers are absolute, topmost first. */
export interface OverlayDirs {
  upper: string;
  merged: string;
  lowers: string[];
}

/** GNU tar flags that keep what a rootfs needs: numeric owners, modes, xattrs (overlay's own are criod's business). */
const keepFlags = ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--xattrs-exclude=trusted.overlay.*'];

function isWhiteout(st: { isCharacterDevice(): boolean; rdev: number }): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/**
 * Every path of the upper dir (whiteouts left out, dirs before their content), and what the
 * container deleted: the names lower layers have in a dir of the upper dir that the merged view
 * no longer shows. That covers whiteouts and opaque dirs alike, without reading overlay's xattrs.
 */
async function scanUpper(dirs: OverlayDirs): Promise<{ paths: string[]; deleted: string[] }> {
  const paths: string[] = [];
  const deleted: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const shown = new Set(await names(join(dirs.merged, rel)));
    const gone = new Set<string>();
    for (const lower of dirs.lowers) {
      for (const name of await names(join(lower, rel))) {
        if (shown.has(name) || gone.has(name)) continue;
        const st = await lstat(join(lower, rel, name)).catch(() => undefined);
        if (st && !isWhiteout(st)) gone.add(name);
      }
    }
    deleted.push(...[...gone].sort().map((name) => posix.join(rel, name)));
    for (const name of (await names(join(dirs.upper, rel))).sort()) {
      const path = posix.join(rel, name);
      const st = await lstat(join(dirs.upper, path));
      if (isWhiteout(st)) continue;
      paths.push(path);
      if (st.isDirectory()) await walk(path);
    }
  };
  await walk('');
  return { paths, deleted };
}

async function tar(args: string[], what: string, input?: string): Promise<void> {
  const result = await execa('tar', args, { reject: false, stdout: 'ignore', ...(input === undefined ? { stdin: 'ignore' as const } : { input }) });
  if (result.exitCode !== 0 || result.failed) throw new InternalError(`${what}: ${String(result.stderr ?? '').trim() || result.shortMessage}`);
}

/** Write the upper dir's content as a tar at `tarPath` (none when it is empty) and return the deleted paths. */
export async function exportDiff(dirs: OverlayDirs, tarPath: string): Promise<{ written: boolean; deleted: string[] }> {
  const { paths, deleted } = await scanUpper(dirs);
  if (paths.length === 0) return { written: false, deleted };
  await tar(
    ['-c', '-f', tarPath, '-C', dirs.upper, '--no-recursion', ...keepFlags, '--null', '-T', '-'],
    `exporting the rootfs changes of ${dirs.merged}`,
    paths.map((p) => `${p}\0`).join(''),
  );
  return { written: true, deleted };
}

/**
 * Where `rel` may be written inside `root`: every component above it must be a real directory
 * or not exist yet, so nothing is written through a symlink (an image's absolute one would lead
 * to the host). The last component may be anything: it is replaced or removed, never followed.
 */
async function assertReachable(root: string, rel: string, what: string): Promise<boolean> {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const above = parts.slice(0, i).join('/');
    const st = await lstat(join(root, above)).catch(() => undefined);
    if (!st) return false;
    if (!st.isDirectory()) throw new InvalidArgumentError(`${what}: ${rel} lies below ${above}, which is not a directory in the rootfs`);
  }
  return true;
}

/** Relative paths of everything under `dir`, not following symlinks. */
async function tree(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, rel), { withFileTypes: true })) {
    const path = posix.join(rel, entry.name);
    out.push(path);
    if (entry.isDirectory()) out.push(...(await tree(dir, path)));
  }
  return out;
}

/**
 * Apply a diff to the rootfs at `root`: remove the deleted paths, then unpack the tar. The tar is
 * unpacked once into an empty `scratch` dir first (GNU tar defers dangerous symlinks there), and
 * its real paths checked against the rootfs, so the second unpack lands exactly where the first did.
 */
export async function applyDiff(root: string, scratch: string, diff: { tarPath?: string; deleted: string[] }): Promise<void> {
  for (const rel of diff.deleted) {
    if (await assertReachable(root, rel, 'deleted.files')) await rm(join(root, rel), { recursive: true, force: true });
  }
  if (!diff.tarPath) return;
  const what = `rootfs-diff.tar`;
  const staging = await mkdtemp(join(scratch, 'rootfs-diff-'));
  try {
    const flags = ['--same-owner', '--same-permissions', ...keepFlags, '--warning=no-timestamp'];
    await tar(['-x', '-f', diff.tarPath, '-C', staging, ...flags], `unpacking ${what}`).catch((err: Error) => {
      throw new InvalidArgumentError(err.message, { cause: err });
    });
    for (const rel of await tree(staging)) await assertReachable(root, rel, what);
    // Existing dirs keep the image's owner and mode, as CRI-O leaves them.
    await tar(['-x', '-f', diff.tarPath, '-C', root, '--no-overwrite-dir', ...flags], `applying ${what} to ${root}`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The rootfs without overlay: each layer copied over the one below, bottom first, applying its
 * opaque dirs and whiteouts. Before a layer is copied, every path it has is checked in the target
 * with lstat from the root down, and what is in the way (a symlink where the layer has a dir, a
 * dir where it has a file) is removed, so `cp` never writes through a symlink out of the rootfs.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InternalError } from '@criod/core';
import { execa } from 'execa';
import type { LayerInfo } from './layer-store.js';

async function clearDir(dir: string): Promise<void> {
  for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
}

/** Make `target` ready to receive `source` (the layer's tree) at `rel`. */
async function prepare(source: string, target: string, rel: string, opaque: ReadonlySet<string>): Promise<void> {
  const entries = await readdir(join(source, rel), { withFileTypes: true });
  for (const entry of entries) {
    const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
    const dest = join(target, childRel);
    const existing = await lstat(dest).catch(() => undefined);
    if (entry.isDirectory()) {
      if (existing && !existing.isDirectory()) await rm(dest, { recursive: true, force: true });
      else if (existing && opaque.has(childRel)) await clearDir(dest);
      await prepare(source, target, childRel, opaque);
    } else if (existing?.isDirectory()) {
      await rm(dest, { recursive: true, force: true });
    }
  }
}

/** Copy `layers` (bottom first) into the empty dir `target`. */
export async function copyLayers(layers: readonly { info: LayerInfo; diff: string }[], target: string): Promise<void> {
  for (const { info, diff } of layers) {
    const opaque = new Set(info.opaqueDirs);
    if (opaque.has('')) await clearDir(target);
    await prepare(diff, target, '', opaque);
    const r = await execa('cp', ['-a', '--remove-destination', `${diff}/.`, `${target}/`], { reject: false });
    if (r.exitCode !== 0) throw new InternalError(`copying layer ${info.chainId} into ${target} failed: ${r.stderr.trim()}`);
    // The whiteout devices came along; what they hide was replaced by them, so removing them is the deletion.
    for (const w of info.whiteouts) await rm(join(target, w), { recursive: true, force: true });
  }
}

/**
 * Unpack one layer blob into a directory: decompress (gzip with zlib, zstd with the `zstd`
 * command, or plain tar, told apart by their magic bytes), check the diff id, extract with GNU
 * tar keeping owners, modes, times, xattrs, hardlinks, symlinks and device nodes, then turn OCI
 * whiteouts into overlay ones (char device 0:0, trusted.overlay.opaque=y on opaque dirs).
 */
import { createReadStream } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CriodError, InternalError } from '@criod/core';
import { tarArchive, type TarEntry } from '@criod/image-registry';
import { execa } from 'execa';
import { TarScanner, type LayerWhiteouts } from './tar-scan.js';

const gzipMagic = Buffer.from([0x1f, 0x8b]);
const zstdMagic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** GNU tar flags that restore entries as they were packed. */
const restoreFlags = ['--numeric-owner', '--same-owner', '--same-permissions', '--xattrs'];
/** A layer's own xattrs, except overlay's, which only criod sets; its whiteout files are handled apart. */
const layerFlags = [...restoreFlags, '--xattrs-include=*', '--xattrs-exclude=trusted.overlay.*', '--exclude=.wh.*', '--warning=no-timestamp'];

type Compression = 'gzip' | 'zstd' | 'none';

async function detectCompression(path: string): Promise<Compression> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    if (bytesRead >= 2 && head.subarray(0, 2).equals(gzipMagic)) return 'gzip';
    if (bytesRead >= 4 && head.equals(zstdMagic)) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

/** The uncompressed stream of a blob, and a promise of the decompressor's own outcome. */
function decompress(path: string, compression: Compression): { streams: Readable[]; done: Promise<void> } {
  if (compression === 'zstd') {
    const proc = execa('zstd', ['-d', '-c', '-q', '--', path], { buffer: false, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = proc.then(
      () => undefined,
      (err: unknown) => {
        throw new InternalError(`zstd failed on ${path}: ${stderr.trim() || (err as Error).message}`, { cause: err });
      },
    );
    return { streams: [proc.stdout!], done };
  }
  const file = createReadStream(path);
  return { streams: compression === 'gzip' ? [file, createGunzip()] : [file], done: Promise.resolve() };
}

/** Run GNU tar extracting into `dir`, its stdin fed by `feed`. */
async function extract(dir: string, flags: string[], what: string, feed: (stdin: Writable) => Promise<void>): Promise<void> {
  const tar = execa('tar', ['-x', '-f', '-', '-C', dir, ...flags], { stdin: 'pipe', stdout: 'ignore', stderr: 'pipe', reject: false });
  const [fed, ran] = await Promise.allSettled([feed(tar.stdin!), tar]);
  // A bad stream (not tar, digest, zstd) is the real cause even when tar then fails on the cut input.
  if (fed.status === 'rejected' && fed.reason instanceof CriodError) throw fed.reason;
  const result = ran.status === 'fulfilled' ? ran.value : undefined;
  if (!result || result.exitCode !== 0) {
    const detail = result ? String(result.stderr).trim() || `tar exited with ${result.exitCode}` : String(ran.status === 'rejected' ? ran.reason : '');
    throw new InternalError(`extracting ${what} into ${dir} failed: ${detail}`);
  }
  if (fed.status === 'rejected') throw new InternalError(`extracting ${what} failed: ${(fed.reason as Error).message}`, { cause: fed.reason });
}

type PathKind = 'missing' | 'dir' | 'other' | 'unsafe';

/**
 * What `rel` is inside `root`, looking at every component with lstat: a path whose parent is a
 * symlink or a file is 'unsafe', since following it could lead out of the layer.
 */
async function pathKind(root: string, rel: string): Promise<PathKind> {
  const parts = rel === '' ? [] : rel.split('/');
  let current = root;
  for (const [i, part] of parts.entries()) {
    current = join(current, part);
    const st = await lstat(current).catch(() => undefined);
    if (!st) return 'missing';
    if (i < parts.length - 1 && !st.isDirectory()) return 'unsafe';
    if (i === parts.length - 1) return st.isDirectory() ? 'dir' : 'other';
  }
  return 'dir';
}

/** Directory metadata as a tar entry, so re-extracting it changes nothing but the xattrs given. */
async function dirEntry(root: string, rel: string, xattrs: Record<string, string>): Promise<TarEntry> {
  const path = rel === '' ? '.' : rel;
  const st = await lstat(join(root, rel), { bigint: true }).catch(() => undefined);
  if (!st) return { path, type: 'dir', mode: 0o755, xattrs };
  return { path, type: 'dir', mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid), mtimeNs: st.mtimeNs, xattrs };
}

function parentOf(rel: string): string {
  const d = posix.dirname(rel);
  return d === '.' ? '' : d;
}

/**
 * Make overlay whiteouts in an extracted layer with one more tar run: char devices 0:0 for
 * whiteouts, the opaque xattr on opaque dirs, and the touched dirs' metadata restored after.
 * A whiteout of a path the layer itself has is moot; one below a symlink is meaningless: both
 * are skipped. Returns what was made.
 */
async function applyWhiteouts(dir: string, found: LayerWhiteouts, what: string): Promise<LayerWhiteouts> {
  const opaqueDirs: string[] = [];
  for (const d of new Set(found.opaqueDirs)) if (['dir', 'missing'].includes(await pathKind(dir, d))) opaqueDirs.push(d);
  const whiteouts: string[] = [];
  for (const w of new Set(found.whiteouts))
    if ((await pathKind(dir, w)) === 'missing' && ['dir', 'missing'].includes(await pathKind(dir, parentOf(w)))) whiteouts.push(w);
  const opaque = new Set(opaqueDirs);
  const dirs = new Set([...opaqueDirs, ...whiteouts.map(parentOf)]);
  if (dirs.size === 0) return { whiteouts, opaqueDirs };
  // The dirs' metadata is read before and written after the devices, which change their times.
  const dirEntries = await Promise.all([...dirs].map((d) => dirEntry(dir, d, opaque.has(d) ? { 'trusted.overlay.opaque': 'y' } : {})));
  const entries: TarEntry[] = [...whiteouts.map((w): TarEntry => ({ path: w, type: 'chardev', devMajor: 0, devMinor: 0, mode: 0 })), ...dirEntries];
  const archive = tarArchive(entries);
  await extract(dir, [...restoreFlags, '--xattrs-include=trusted.overlay.opaque'], `whiteouts of ${what}`, (stdin) =>
    pipeline(Readable.from([archive]), stdin),
  );
  return { whiteouts, opaqueDirs };
}

export interface UnpackedLayer extends LayerWhiteouts {
  diffId: string;
}

/**
 * Unpack `blobPath` into the empty dir `dir`; fails (leaving `dir` for the caller to remove) if
 * the uncompressed stream's digest is not `expectedDiffId`.
 */
export async function unpackLayer(blobPath: string, dir: string, expectedDiffId: string, what: string): Promise<UnpackedLayer> {
  const source = decompress(blobPath, await detectCompression(blobPath));
  const scanner = new TarScanner();
  const [extracted, decompressed] = await Promise.allSettled([
    extract(dir, layerFlags, what, (stdin) => pipeline([...source.streams, scanner, stdin])),
    source.done,
  ]);
  if (extracted.status === 'rejected') throw extracted.reason;
  if (decompressed.status === 'rejected') throw decompressed.reason;
  const diffId = scanner.digest();
  if (diffId !== expectedDiffId)
    throw new InternalError(`${what}: uncompressed content has digest ${diffId}, the image config says ${expectedDiffId}; rejected`);
  return { diffId, ...(await applyWhiteouts(dir, scanner.found, what)) };
}

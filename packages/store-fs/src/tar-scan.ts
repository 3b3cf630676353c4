/**
 * A pass-through tar reader: hashes the uncompressed stream (the layer's diff id), notes the OCI
 * whiteout entries, and stops forwarding at the end-of-archive marker so the extracting tar never
 * sees trailing bytes. It reads headers only; the extraction itself is GNU tar's.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { InternalError } from '@criod/core';

const block = 512;
const whiteoutPrefix = '.wh.';
const opaqueMarker = '.wh..wh..opq';
/** pax and GNU long-name data is read into memory; anything bigger is not a sane header. */
const maxMetaBytes = 1024 * 1024;

export interface LayerWhiteouts {
  /** Paths (relative, normalised) a `.wh.<name>` entry deletes from the layers below. */
  whiteouts: string[];
  /** Directories a `.wh..wh..opq` entry makes opaque ("" is the layer root). */
  opaqueDirs: string[];
}

function cString(buf: Buffer, offset: number, length: number): string {
  const slice = buf.subarray(offset, offset + length);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul === -1 ? length : nul).toString('utf8');
}

/** A numeric header field: octal text, or base-256 when the high bit of the first byte is set. */
function numeric(buf: Buffer, offset: number, length: number): number {
  const first = buf[offset]!;
  if (first & 0x80) {
    let value = first & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + buf[offset + i]!;
    return value;
  }
  const text = cString(buf, offset, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space === -1) break;
    const length = parseInt(data.subarray(i, space).toString('ascii'), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.subarray(space + 1, i + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    i += length;
  }
  return out;
}

/** "./a//b/" → "a/b"; undefined for a path that climbs out of the layer. */
function normaliseEntryPath(path: string): string | undefined {
  const n = posix.normalize(`/${path}`).slice(1).replace(/\/$/, '');
  return n.split('/').includes('..') ? undefined : n;
}

export class TarScanner extends Transform {
  private readonly hash = createHash('sha256');
  readonly found: LayerWhiteouts = { whiteouts: [], opaqueDirs: [] };
  /** Bytes left in the current entry's data, padding included. */
  private skip = 0;
  /** Header or metadata bytes being gathered. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Metadata entry being read: its type and data size (unpadded). */
  private meta: { type: string; size: number } | undefined;
  private nextPath: string | undefined;
  private nextSize: number | undefined;
  private zeroBlocks = 0;
  private ended = false;

  /** "sha256:<hex>" of everything that went through. */
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    if (this.ended) return done();
    try {
      const forwardUpTo = this.scan(chunk);
      this.push(forwardUpTo === chunk.length ? chunk : chunk.subarray(0, forwardUpTo));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  /** Walk the chunk; returns how many of its bytes belong to the archive. */
  private scan(chunk: Buffer): number {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const want = this.meta ? Math.ceil(this.meta.size / block) * block : block;
      const n = Math.min(want - this.pendingBytes, chunk.length - i);
      this.pending.push(chunk.subarray(i, i + n));
      this.pendingBytes += n;
      i += n;
      if (this.pendingBytes < want) continue;
      const data = Buffer.concat(this.pending);
      this.pending = [];
      this.pendingBytes = 0;
      if (this.meta) {
        this.metaDone(data.subarray(0, this.meta.size));
      } else if (this.header(data)) {
        this.ended = true;
        return i;
      }
    }
    return i;
  }

  private metaDone(data: Buffer): void {
    const type = this.meta!.type;
    this.meta = undefined;
    if (type === 'x') {
      const records = paxRecords(data);
      const path = records.get('path');
      if (path !== undefined) this.nextPath = path;
      const size = records.get('size');
      if (size !== undefined) this.nextSize = Number(size);
    } else if (type === 'L') {
      this.nextPath = cString(data, 0, data.length);
    }
  }

  /** Handle one header block; true at the end of the archive. */
  private header(h: Buffer): boolean {
    if (h.every((b) => b === 0)) {
      this.zeroBlocks++;
      return this.zeroBlocks >= 2;
    }
    this.zeroBlocks = 0;
    let checksum = 0;
    for (let j = 0; j < block; j++) checksum += j >= 148 && j < 156 ? 0x20 : h[j]!;
    if (checksum !== numeric(h, 148, 8)) throw new InternalError('layer is not a valid tar archive (bad header checksum)');
    const type = String.fromCharCode(h[156]!);
    const size = numeric(h, 124, 12);
    if (type === 'x' || type === 'L' || type === 'g' || type === 'K') {
      if (size > maxMetaBytes) throw new InternalError(`layer tar has a ${size}-byte metadata entry`);
      // Global pax headers and GNU long link names do not change which entry is a whiteout.
      this.meta = { type: type === 'g' || type === 'K' ? 'ignored' : type, size };
      if (size === 0) this.meta = undefined;
      return false;
    }
    const ustar = h.subarray(257, 262).toString('ascii') === 'ustar';
    const prefix = ustar ? cString(h, 345, 155) : '';
    const name = cString(h, 0, 100);
    const path = this.nextPath ?? (prefix ? `${prefix}/${name}` : name);
    const dataSize = this.nextSize ?? size;
    this.nextPath = undefined;
    this.nextSize = undefined;
    this.skip = Math.ceil(dataSize / block) * block;
    this.note(path);
    return false;
  }

  private note(rawPath: string): void {
    const path = normaliseEntryPath(rawPath);
    if (path === undefined) return;
    const base = posix.basename(path);
    if (!base.startsWith(whiteoutPrefix)) return;
    const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
    if (base === opaqueMarker) this.found.opaqueDirs.push(dir);
    else if (base.length > whiteoutPrefix.length) this.found.whiteouts.push(posix.join(dir, base.slice(whiteoutPrefix.length)));
  }
}

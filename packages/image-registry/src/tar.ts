/**
 * A small tar (ustar + pax) writer: layer tarballs for the test images, and the archive of
 * overlay whiteouts the store extracts with GNU tar. Pax records carry what ustar cannot: long
 * names, xattrs, sub-second times, big ids.
 */

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo';

export interface TarEntry {
  /** Relative path inside the archive, without a leading "/" or "./". */
  path: string;
  type: TarEntryType;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  /** Nanoseconds since the epoch, exactly (a pax record carries the fraction); wins over mtime. */
  mtimeNs?: bigint;
  /** Symlink target, or the archive path a hardlink points to. */
  linkTarget?: string;
  devMajor?: number;
  devMinor?: number;
  /** Extended attributes, e.g. { 'user.origin': 'test' }. */
  xattrs?: Record<string, string>;
  content?: Uint8Array;
}

const typeFlags: Record<TarEntryType, string> = { file: '0', hardlink: '1', symlink: '2', chardev: '3', blockdev: '4', dir: '5', fifo: '6' };
const block = 512;
const maxOctal7 = 0o7777777;

function octal(value: number, width: number): string {
  return `${Math.floor(value)
    .toString(8)
    .padStart(width - 1, '0')}\0`;
}

function writeString(buf: Buffer, offset: number, width: number, value: string): void {
  buf.write(value, offset, Math.min(width, Buffer.byteLength(value)), 'utf8');
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

function ustarHeader(name: string, type: string, size: number, e: Partial<TarEntry>, linkName = ''): Buffer {
  const h = Buffer.alloc(block);
  writeString(h, 0, 100, name);
  writeString(h, 100, 8, octal(e.mode ?? 0o644, 8));
  writeString(h, 108, 8, octal(Math.min(e.uid ?? 0, maxOctal7), 8));
  writeString(h, 116, 8, octal(Math.min(e.gid ?? 0, maxOctal7), 8));
  writeString(h, 124, 12, octal(size, 12));
  writeString(h, 136, 12, octal(e.mtime ?? 0, 12));
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  writeString(h, 157, 100, linkName);
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  writeString(h, 329, 8, octal(e.devMajor ?? 0, 8));
  writeString(h, 337, 8, octal(e.devMinor ?? 0, 8));
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

function padded(data: Uint8Array): Buffer[] {
  const rest = data.byteLength % block;
  return rest === 0 ? [Buffer.from(data)] : [Buffer.from(data), Buffer.alloc(block - rest)];
}

/** The header block(s) and data of one entry. */
export function tarEntryBlocks(entry: TarEntry): Buffer[] {
  const name = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const link = entry.linkTarget ?? '';
  const content = entry.type === 'file' ? (entry.content ?? new Uint8Array()) : new Uint8Array();
  const pax: string[] = [];
  if (Buffer.byteLength(name) > 100) pax.push(paxRecord('path', name));
  if (Buffer.byteLength(link) > 100) pax.push(paxRecord('linkpath', link));
  if ((entry.uid ?? 0) > maxOctal7) pax.push(paxRecord('uid', String(entry.uid)));
  if ((entry.gid ?? 0) > maxOctal7) pax.push(paxRecord('gid', String(entry.gid)));
  const seconds = entry.mtimeNs !== undefined ? Number(entry.mtimeNs / 1_000_000_000n) : Math.floor(entry.mtime ?? 0);
  const nanos = entry.mtimeNs !== undefined ? entry.mtimeNs % 1_000_000_000n : 0n;
  if (nanos !== 0n) pax.push(paxRecord('mtime', `${seconds}.${nanos.toString().padStart(9, '0')}`));
  for (const [key, value] of Object.entries(entry.xattrs ?? {})) pax.push(paxRecord(`SCHILY.xattr.${key}`, value));
  const out: Buffer[] = [];
  if (pax.length > 0) {
    const body = Buffer.from(pax.join(''));
    out.push(ustarHeader(`PaxHeaders/${name.replace(/\/$/, '').split('/').pop()!.slice(0, 80)}`, 'x', body.byteLength, {}), ...padded(body));
  }
  const mode = entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644);
  out.push(ustarHeader(name.slice(0, 100), typeFlags[entry.type], content.byteLength, { ...entry, mode, mtime: seconds }, link.slice(0, 100)));
  if (content.byteLength > 0) out.push(...padded(content));
  return out;
}

/** A complete archive, end-of-archive blocks included. */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  return Buffer.concat([...entries.flatMap(tarEntryBlocks), Buffer.alloc(2 * block)]);
}

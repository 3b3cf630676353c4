/**
 * HPACK (RFC 7541): a decoder that keeps the client's dynamic table, and an encoder that writes
 * header blocks without touching the peer's dynamic table. Names and values are latin1 strings,
 * so every octet survives the round trip unchanged.
 */
import { huffmanDecode } from './huffman.js';

export interface HeaderField {
  name: string;
  value: string;
  /** Sent as "never indexed" (RFC 7541 §6.2.3): intermediaries must keep it that way. */
  sensitive: boolean;
}

export class HpackError extends Error {
  override name = 'HpackError';
}

/** RFC 7541 Appendix A. */
const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

/** Per-entry overhead of the dynamic table's size accounting (RFC 7541 §4.1). */
const ENTRY_OVERHEAD = 32;

/** Decodes the header blocks of one direction of one connection, in order. */
export class HpackDecoder {
  /** Newest first: dynamic index 62 is entries[0]. */
  private entries: [string, string][] = [];
  private size = 0;
  private maxSize: number;

  /** @param settingsMaxSize the SETTINGS_HEADER_TABLE_SIZE the decoding side advertised (the limit of size updates). */
  constructor(private readonly settingsMaxSize = 4096) {
    this.maxSize = settingsMaxSize;
  }

  decode(block: Uint8Array): HeaderField[] {
    const reader = new BlockReader(block);
    const fields: HeaderField[] = [];
    let fieldSeen = false;
    while (!reader.done()) {
      const first = reader.peek();
      if (first & 0x80) {
        fields.push({ ...this.entry(reader.integer(7)), sensitive: false });
      } else if (first & 0x40) {
        const field = this.literal(reader, 6);
        this.insert(field.name, field.value);
        fields.push(field);
      } else if (first & 0x20) {
        // Size updates belong at the start of a block (RFC 7541 §4.2).
        if (fieldSeen) throw new HpackError('dynamic table size update after a header field');
        const size = reader.integer(5);
        if (size > this.settingsMaxSize) throw new HpackError(`dynamic table size update to ${size} exceeds ${this.settingsMaxSize}`);
        this.maxSize = size;
        this.evict(0);
        continue;
      } else {
        fields.push({ ...this.literal(reader, 4), sensitive: (first & 0x10) !== 0 });
      }
      fieldSeen = true;
    }
    return fields;
  }

  private literal(reader: BlockReader, prefixBits: number): HeaderField {
    const index = reader.integer(prefixBits);
    const name = index === 0 ? reader.string() : this.entry(index).name;
    return { name, value: reader.string(), sensitive: false };
  }

  private entry(index: number): { name: string; value: string } {
    const fromStatic = STATIC_TABLE[index - 1];
    const found = index === 0 ? undefined : (fromStatic ?? this.entries[index - STATIC_TABLE.length - 1]);
    if (!found) throw new HpackError(`header table index ${index} does not exist`);
    return { name: found[0], value: found[1] };
  }

  private insert(name: string, value: string): void {
    const entrySize = name.length + value.length + ENTRY_OVERHEAD;
    // An entry larger than the table empties it and is not added (RFC 7541 §4.4).
    this.evict(entrySize);
    if (entrySize > this.maxSize) return;
    this.entries.unshift([name, value]);
    this.size += entrySize;
  }

  /** Drop the oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    while (this.size + room > this.maxSize && this.entries.length > 0) {
      const [name, value] = this.entries.pop()!;
      this.size -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }
}

class BlockReader {
  private offset = 0;
  constructor(private readonly block: Uint8Array) {}

  done(): boolean {
    return this.offset >= this.block.length;
  }

  peek(): number {
    return this.block[this.offset]!;
  }

  private byte(): number {
    if (this.offset >= this.block.length) throw new HpackError('header block ends inside a field');
    return this.block[this.offset++]!;
  }

  /** RFC 7541 §5.1, bounded so a hostile block cannot produce an unsafe number. */
  integer(prefixBits: number): number {
    const mask = (1 << prefixBits) - 1;
    let value = this.byte() & mask;
    if (value < mask) return value;
    for (let shift = 0; ; shift += 7) {
      if (shift > 28) throw new HpackError('header block integer is too large');
      const b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
  }

  /** RFC 7541 §5.2. */
  string(): string {
    const huffman = (this.peek() & 0x80) !== 0;
    const length = this.integer(7);
    if (this.offset + length > this.block.length) throw new HpackError('header block ends inside a string');
    const raw = this.block.subarray(this.offset, this.offset + length);
    this.offset += length;
    return Buffer.from(huffman ? huffmanDecode(raw) : raw).toString('latin1');
  }
}

const STATIC_EXACT = new Map(STATIC_TABLE.map(([name, value], i) => [`${name}\0${value}`, i + 1]));
const STATIC_NAME = new Map([...STATIC_TABLE.entries()].reverse().map(([i, [name]]) => [name, i + 1]));

/**
 * Encode fields without adding anything to the receiver's dynamic table: exact static entries are
 * indexed, everything else is a literal without indexing (or never indexed, as it came).
 */
export function encodeHeaderBlock(fields: readonly HeaderField[]): Buffer {
  const out: number[] = [];
  for (const { name, value, sensitive } of fields) {
    const exact = sensitive ? undefined : STATIC_EXACT.get(`${name}\0${value}`);
    if (exact !== undefined) {
      writeInteger(out, exact, 7, 0x80);
      continue;
    }
    const nameIndex = STATIC_NAME.get(name) ?? 0;
    writeInteger(out, nameIndex, 4, sensitive ? 0x10 : 0x00);
    if (nameIndex === 0) writeString(out, name);
    writeString(out, value);
  }
  return Buffer.from(out);
}

function writeInteger(out: number[], value: number, prefixBits: number, flags: number): void {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out.push(flags | value);
    return;
  }
  out.push(flags | mask);
  let rest = value - mask;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

function writeString(out: number[], s: string): void {
  writeInteger(out, s.length, 7, 0x00);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

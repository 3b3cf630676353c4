/**
 * SPDY/3 header blocks (draft 3 section 2.6.10): a 32-bit pair count, then per pair a 32-bit
 * length + lower-case name and a 32-bit length + value (several values joined by NUL). Each
 * direction of a session compresses all its blocks with ONE zlib stream primed with the SPDY/3
 * dictionary, flushed with Z_SYNC_FLUSH after every block, so blocks must be (de)compressed in
 * wire order.
 */
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './frames.js';

/** Header names (lower case) to their values. */
export type SpdyHeaders = ReadonlyMap<string, readonly string[]>;

/** Header values as callers give them: a name to one value or several. */
export type HeaderInput = Record<string, string | readonly string[]>;

/** Cap on one inflated header block: far above what kubelet-style peers send, far below harm. */
const MAX_HEADER_BLOCK = 256 * 1024;

export function encodeHeaderBlock(headers: HeaderInput): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    const nameBytes = Buffer.from(name.toLowerCase(), 'utf8');
    const valueBytes = Buffer.from(typeof value === 'string' ? value : value.join('\0'), 'utf8');
    parts.push(u32(nameBytes.length), nameBytes, u32(valueBytes.length), valueBytes);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const headers = new Map<string, string[]>();
  let offset = 0;
  const readChunk = (what: string): Buffer => {
    if (offset + 4 > block.length) throw new SpdyProtocolError(`header block truncated before ${what} length`);
    const length = block.readUInt32BE(offset);
    offset += 4;
    if (offset + length > block.length) throw new SpdyProtocolError(`header block truncated in ${what}`);
    const bytes = block.subarray(offset, offset + length);
    offset += length;
    return bytes;
  };
  if (block.length < 4) throw new SpdyProtocolError('header block shorter than its pair count');
  const count = block.readUInt32BE(0);
  offset = 4;
  // Each pair takes at least 8 bytes: reject absurd counts before looping.
  if (count * 8 > block.length - 4) throw new SpdyProtocolError(`header block claims ${count} pairs in ${block.length} bytes`);
  for (let i = 0; i < count; i++) {
    const name = readChunk('name').toString('utf8').toLowerCase();
    if (name.length === 0) throw new SpdyProtocolError('header block has an empty header name');
    const values = readChunk('value').toString('utf8').split('\0');
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  if (offset !== block.length) throw new SpdyProtocolError('header block has trailing bytes');
  return headers;
}

function u32(value: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf.writeUInt32BE(value);
  return buf;
}

/** One zlib stream of a session direction: each call feeds a block and returns the flushed output. */
class SyncFlushedZlib {
  private queue: Promise<unknown> = Promise.resolve();
  private output: Buffer[] = [];
  private outputLength = 0;
  private failure: Error | undefined;

  constructor(private readonly stream: zlib.Deflate | zlib.Inflate) {
    stream.on('data', (chunk: Buffer) => {
      this.output.push(chunk);
      this.outputLength += chunk.length;
      if (this.outputLength > MAX_HEADER_BLOCK && !this.failure) {
        this.failure = new SpdyProtocolError(`header block inflates past ${MAX_HEADER_BLOCK} bytes`);
        stream.destroy();
      }
    });
    stream.on('error', (err: Error) => {
      this.failure = err;
    });
  }

  process(input: Buffer): Promise<Buffer> {
    const job = this.queue.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failure) {
            reject(this.failure);
            return;
          }
          this.output = [];
          this.outputLength = 0;
          this.stream.write(input);
          this.stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            if (this.failure) reject(this.failure);
            else resolve(Buffer.concat(this.output, this.outputLength));
          });
        }),
    );
    this.queue = job.catch(() => undefined);
    return job;
  }

  close(): void {
    this.stream.destroy();
  }
}

/** Header compression state of one session: one compressor for what we send, one inflater for what we receive. */
export class HeaderCompression {
  private readonly compressor = new SyncFlushedZlib(zlib.createDeflate({ dictionary: SPDY3_DICTIONARY }));
  private readonly inflater = new SyncFlushedZlib(zlib.createInflate({ dictionary: SPDY3_DICTIONARY }));

  compress(headers: HeaderInput): Promise<Buffer> {
    return this.compressor.process(encodeHeaderBlock(headers));
  }

  async decompress(compressed: Buffer): Promise<SpdyHeaders> {
    let block: Buffer;
    try {
      block = await this.inflater.process(compressed);
    } catch (err) {
      if (err instanceof SpdyProtocolError) throw err;
      throw new SpdyProtocolError(`header block does not inflate: ${(err as Error).message}`);
    }
    return decodeHeaderBlock(block);
  }

  close(): void {
    this.compressor.close();
    this.inflater.close();
  }
}

/** The first value of a header, or undefined. */
export function headerValue(headers: SpdyHeaders, name: string): string | undefined {
  return headers.get(name.toLowerCase())?.[0];
}

/**
 * Rewrites the client→server bytes of one HTTP/2 connection so that every request carries an
 * `:authority` Node's http2 server accepts.
 *
 * grpc-go clients that dial a socket path (kubelet and crictl before 1.31) send that path as
 * `:authority`; nghttp2 checks it against RFC 3986 and resets the stream with PROTOCOL_ERROR,
 * and Node has no switch for that check. Go servers (containerd, CRI-O) accept any authority.
 * Every header block is decoded with the client's HPACK state. Until a block needs a new
 * authority, blocks pass through as sent (the server's HPACK state then mirrors the client's);
 * from the first rewrite on, every block is re-encoded without indexing, so the server's HPACK
 * state stays consistent. All other frames pass through untouched, except the client's
 * acknowledgement of a SETTINGS frame criod sent itself (see listener.ts).
 */
import { encodeHeaderBlock, HpackDecoder, type HeaderField } from './hpack.js';

export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** What an invalid authority becomes: what grpc-go ≥ 1.31 clients of a unix socket send anyway. */
export const REPLACEMENT_AUTHORITY = 'localhost';

const FRAME_HEADER = 9;
/** SETTINGS_MAX_FRAME_SIZE's floor, which every HTTP/2 peer accepts (RFC 9113 §4.2). */
const MAX_OUT_FRAME = 16_384;
/** Larger header blocks are refused by the server anyway; this only bounds our buffering. */
const MAX_HEADER_BLOCK = 1024 * 1024;

const HEADERS = 0x1;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

/** The characters nghttp2 allows in `:authority` and `host` (RFC 3986 authority). */
const VALID_AUTHORITY = /^[A-Za-z0-9\-._~!$&'()*+,;=:@[\]%]+$/;

export class MalformedHttp2Error extends Error {
  override name = 'MalformedHttp2Error';
}

/** Whether a server on nghttp2 would take this `:authority` (or `host`) value. */
export function isAcceptedAuthority(value: string): boolean {
  return VALID_AUTHORITY.test(value);
}

interface OpenHeaderBlock {
  streamId: number;
  flags: number;
  /** Stream dependency and weight of a PRIORITY-flagged HEADERS frame, kept as sent. */
  priority: Buffer | undefined;
  fragments: Buffer[];
  length: number;
  /** The block's frames as received, to pass on unchanged when nothing in it needs rewriting. */
  frames: Buffer[];
}

/** What the first header block of a connection says about its client. */
export type FirstBlockVerdict = 'accepted' | 'needs-filter';

export class AuthorityFilter {
  private readonly decoder = new HpackDecoder();
  private prefaceSeen = 0;
  private pending: Buffer = Buffer.alloc(0);
  /** Payload octets of a pass-through frame still to come. */
  private passRemaining = 0;
  private block: OpenHeaderBlock | undefined;
  /** Whether a block has been rewritten: from then on the server's HPACK state differs from the client's. */
  private rewritten = false;
  /** SETTINGS acknowledgements still to drop: those of SETTINGS frames criod sent before the server did. */
  private acksToDrop = 0;
  /**
   * The first header block's verdict, once it is complete: `accepted` when it carries an
   * `:authority` the server takes as it is and nothing to rewrite.
   */
  firstBlock: FirstBlockVerdict | undefined;

  /** The client will acknowledge a SETTINGS frame the server did not send: drop that acknowledgement. */
  expectAckOfOwnSettings(): void {
    this.acksToDrop++;
  }

  /** Whether every SETTINGS frame of criod's own has been acknowledged (and dropped). */
  get ownSettingsAcked(): boolean {
    return this.acksToDrop === 0;
  }

  /**
   * The bytes received and not returned yet (an incomplete frame or header block), as received.
   * Only while no block has been rewritten: then what the filter returned so far is what the
   * client sent, and the rest of the connection may go to the server unfiltered.
   */
  held(): Buffer {
    if (this.rewritten) throw new Error('a connection with rewritten header blocks cannot leave its filter');
    return Buffer.concat([...(this.block?.frames ?? []), this.pending]);
  }

  /** Feed client bytes; returns what to hand to the server, in order. Throws MalformedHttp2Error. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let data = chunk;
    if (this.prefaceSeen < CLIENT_PREFACE.length) {
      const take = Math.min(data.length, CLIENT_PREFACE.length - this.prefaceSeen);
      if (!data.subarray(0, take).equals(CLIENT_PREFACE.subarray(this.prefaceSeen, this.prefaceSeen + take))) {
        throw new MalformedHttp2Error('the connection does not start with the HTTP/2 client preface');
      }
      this.prefaceSeen += take;
      out.push(data.subarray(0, take));
      data = data.subarray(take);
    }
    if (this.pending.length > 0) {
      data = Buffer.concat([this.pending, data]);
      this.pending = Buffer.alloc(0);
    }
    let offset = 0;
    while (offset < data.length) {
      if (this.passRemaining > 0) {
        const take = Math.min(this.passRemaining, data.length - offset);
        out.push(data.subarray(offset, offset + take));
        this.passRemaining -= take;
        offset += take;
        continue;
      }
      if (data.length - offset < FRAME_HEADER) break;
      const length = data.readUIntBE(offset, 3);
      const type = data[offset + 3]!;
      const flags = data[offset + 4]!;
      const streamId = data.readUInt32BE(offset + 5) & 0x7fffffff;
      if (type !== HEADERS && type !== CONTINUATION) {
        if (this.block) throw new MalformedHttp2Error(`frame type ${type} inside the header block of stream ${this.block.streamId}`);
        if (type === PUSH_PROMISE) throw new MalformedHttp2Error('PUSH_PROMISE from a client');
        if (type === SETTINGS && flags & ACK && this.acksToDrop > 0) {
          if (length !== 0) throw new MalformedHttp2Error(`SETTINGS acknowledgement with ${length} octets of payload`);
          this.acksToDrop--;
          offset += FRAME_HEADER;
          continue;
        }
        out.push(data.subarray(offset, offset + FRAME_HEADER));
        offset += FRAME_HEADER;
        this.passRemaining = length;
        continue;
      }
      // Checked before buffering: a header frame is held whole until it has arrived.
      if (length > MAX_HEADER_BLOCK) throw new MalformedHttp2Error(`header frame of ${length} octets on stream ${streamId}`);
      if (data.length - offset < FRAME_HEADER + length) break;
      const frame = data.subarray(offset, offset + FRAME_HEADER + length);
      offset += FRAME_HEADER + length;
      const frames = type === HEADERS ? this.headers(streamId, flags, frame) : this.continuation(streamId, flags, frame);
      out.push(...frames);
    }
    // Copied: the caller's chunk may be reused.
    if (offset < data.length) this.pending = Buffer.from(data.subarray(offset));
    return out;
  }

  private headers(streamId: number, flags: number, frame: Buffer): Buffer[] {
    const payload = frame.subarray(FRAME_HEADER);
    if (this.block) throw new MalformedHttp2Error(`HEADERS for stream ${streamId} inside the header block of stream ${this.block.streamId}`);
    let start = 0;
    let end = payload.length;
    if (flags & PADDED) {
      const padLength = payload[0];
      if (padLength === undefined || padLength >= payload.length) throw new MalformedHttp2Error(`HEADERS padding exceeds the frame on stream ${streamId}`);
      start = 1;
      end -= padLength;
    }
    let priority: Buffer | undefined;
    if (flags & PRIORITY) {
      if (end - start < 5) throw new MalformedHttp2Error(`HEADERS too short for its priority on stream ${streamId}`);
      priority = Buffer.from(payload.subarray(start, start + 5));
      start += 5;
    }
    const fragment = Buffer.from(payload.subarray(start, end));
    // Copied, as the fragments are: the caller's chunk may be reused.
    const frames = this.rewritten ? [] : [Buffer.from(frame)];
    this.block = { streamId, flags: flags & (END_STREAM | PRIORITY), priority, fragments: [fragment], length: fragment.length, frames };
    return flags & END_HEADERS ? this.finishBlock() : [];
  }

  private continuation(streamId: number, flags: number, frame: Buffer): Buffer[] {
    const payload = frame.subarray(FRAME_HEADER);
    const block = this.block;
    if (!block || block.streamId !== streamId) throw new MalformedHttp2Error(`CONTINUATION on stream ${streamId} without an open header block`);
    block.length += payload.length;
    if (block.length > MAX_HEADER_BLOCK) throw new MalformedHttp2Error(`header block of stream ${streamId} exceeds ${MAX_HEADER_BLOCK} octets`);
    block.fragments.push(Buffer.from(payload));
    if (!this.rewritten) block.frames.push(Buffer.from(frame));
    return flags & END_HEADERS ? this.finishBlock() : [];
  }

  private finishBlock(): Buffer[] {
    const block = this.block!;
    this.block = undefined;
    let fields: HeaderField[];
    try {
      fields = this.decoder.decode(Buffer.concat(block.fragments, block.length));
    } catch (err) {
      throw new MalformedHttp2Error(`undecodable header block on stream ${block.streamId}: ${(err as Error).message}`);
    }
    let changed = false;
    let authority = false;
    for (const field of fields) {
      if (field.name !== ':authority' && field.name !== 'host') continue;
      authority ||= field.name === ':authority';
      if (!isAcceptedAuthority(field.value)) {
        field.value = REPLACEMENT_AUTHORITY;
        changed = true;
      }
    }
    this.firstBlock ??= authority && !changed ? 'accepted' : 'needs-filter';
    this.rewritten ||= changed;
    return this.rewritten ? frameHeaderBlock(block, encodeHeaderBlock(fields)) : block.frames;
  }
}

/** One HEADERS frame and as many CONTINUATION frames as the block needs. */
function frameHeaderBlock(block: OpenHeaderBlock, encoded: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  const prefix = block.priority ?? Buffer.alloc(0);
  let offset = 0;
  let first = true;
  do {
    const room = MAX_OUT_FRAME - (first ? prefix.length : 0);
    const piece = encoded.subarray(offset, offset + room);
    offset += piece.length;
    const last = offset >= encoded.length;
    const type = first ? HEADERS : CONTINUATION;
    const flags = (first ? block.flags : 0) | (last ? END_HEADERS : 0);
    const header = Buffer.alloc(FRAME_HEADER);
    header.writeUIntBE((first ? prefix.length : 0) + piece.length, 0, 3);
    header[3] = type;
    header[4] = flags;
    header.writeUInt32BE(block.streamId, 5);
    frames.push(header);
    if (first && prefix.length > 0) frames.push(prefix);
    frames.push(piece);
    first = false;
  } while (offset < encoded.length);
  return frames;
}

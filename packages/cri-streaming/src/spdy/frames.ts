/**
 * SPDY/3 frame layout (SPDY draft 3 section 2.2, 2.6): every frame has an 8-byte header. A control
 * frame starts with the control bit, the version (3) and a type; a data frame with a 31-bit stream
 * id. The second word is 8 bits of flags and a 24-bit payload length. Header blocks stay compressed
 * here; the session inflates them in wire order.
 */
export const SPDY_VERSION = 3;

export const ControlType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
  FrameTooLarge: 11,
} as const;

export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

export const SettingId = { InitialWindowSize: 7 } as const;

/** Flow-control window every stream and (SPDY/3.1) the session start with. */
export const DEFAULT_WINDOW = 64 * 1024;
export const MAX_WINDOW = 0x7fffffff;
const MAX_PAYLOAD = 0xffffff;
const STREAM_ID_MASK = 0x7fffffff;

export type Frame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | { kind: 'syn_stream'; streamId: number; associatedId: number; priority: number; flags: number; block: Buffer }
  | { kind: 'syn_reply'; streamId: number; flags: number; block: Buffer }
  | { kind: 'headers'; streamId: number; flags: number; block: Buffer }
  | { kind: 'rst_stream'; streamId: number; status: number }
  | { kind: 'settings'; flags: number; entries: SettingEntry[] }
  | { kind: 'ping'; id: number }
  | { kind: 'goaway'; lastGoodStreamId: number; status: number }
  | { kind: 'window_update'; streamId: number; delta: number }
  | { kind: 'ignored'; type: number };

export interface SettingEntry {
  flags: number;
  id: number;
  value: number;
}

/** The peer broke the framing rules; the session answers with GOAWAY(PROTOCOL_ERROR). */
export class SpdyProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpdyProtocolError';
  }
}

function frameHeader(firstWord: number, flags: number, length: number): Buffer {
  if (length > MAX_PAYLOAD) throw new RangeError(`SPDY frame payload of ${length} bytes exceeds 2^24-1`);
  const header = Buffer.allocUnsafe(8);
  header.writeUInt32BE(firstWord >>> 0, 0);
  header.writeUInt32BE(((flags & 0xff) * 0x1000000 + length) >>> 0, 4);
  return header;
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const controlWord = (0x8000 | SPDY_VERSION) * 0x10000 + type;
  return Buffer.concat([frameHeader(controlWord, flags, payload.length), payload]);
}

function words(...values: number[]): Buffer {
  const buf = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => buf.writeUInt32BE(v >>> 0, i * 4));
  return buf;
}

/** The 8-byte header of a data frame; the payload is written right after it. */
export function dataFrameHeader(streamId: number, flags: number, length: number): Buffer {
  return frameHeader(streamId & STREAM_ID_MASK, flags, length);
}

export function synStreamFrame(streamId: number, flags: number, priority: number, block: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  // associated-to-stream-id 0, then 3 bits of priority and the credential slot 0
  fixed.writeUInt8((priority & 0x7) << 5, 8);
  return controlFrame(ControlType.SynStream, flags, Buffer.concat([fixed, block]));
}

export function synReplyFrame(streamId: number, flags: number, block: Buffer): Buffer {
  return controlFrame(ControlType.SynReply, flags, Buffer.concat([words(streamId & STREAM_ID_MASK), block]));
}

export function rstStreamFrame(streamId: number, status: number): Buffer {
  return controlFrame(ControlType.RstStream, 0, words(streamId & STREAM_ID_MASK, status));
}

export function settingsFrame(entries: SettingEntry[]): Buffer {
  const payload = Buffer.allocUnsafe(4 + entries.length * 8);
  payload.writeUInt32BE(entries.length, 0);
  entries.forEach((e, i) => {
    payload.writeUInt32BE(((e.flags & 0xff) * 0x1000000 + (e.id & 0xffffff)) >>> 0, 4 + i * 8);
    payload.writeUInt32BE(e.value >>> 0, 8 + i * 8);
  });
  return controlFrame(ControlType.Settings, 0, payload);
}

export function pingFrame(id: number): Buffer {
  return controlFrame(ControlType.Ping, 0, words(id));
}

export function goAwayFrame(lastGoodStreamId: number, status: number): Buffer {
  return controlFrame(ControlType.GoAway, 0, words(lastGoodStreamId & STREAM_ID_MASK, status));
}

export function windowUpdateFrame(streamId: number, delta: number): Buffer {
  return controlFrame(ControlType.WindowUpdate, 0, words(streamId & STREAM_ID_MASK, delta & STREAM_ID_MASK));
}

/** Bytes received but not yet framed; chunks are joined only when a frame spans them. */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The first n bytes, without consuming them (n <= length). */
  peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const taken = this.peek(n);
    this.length -= n;
    const first = this.chunks[0]!;
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    return taken;
  }
}

function expectLength(type: string, length: number, expected: number): void {
  if (length !== expected) throw new SpdyProtocolError(`${type} frame of ${length} bytes, expected ${expected}`);
}

function parseControl(type: number, flags: number, p: Buffer): Frame {
  switch (type) {
    case ControlType.SynStream:
      if (p.length < 10) throw new SpdyProtocolError(`SYN_STREAM frame of ${p.length} bytes`);
      return {
        kind: 'syn_stream',
        streamId: p.readUInt32BE(0) & STREAM_ID_MASK,
        associatedId: p.readUInt32BE(4) & STREAM_ID_MASK,
        priority: p.readUInt8(8) >> 5,
        flags,
        block: p.subarray(10),
      };
    case ControlType.SynReply:
    case ControlType.Headers:
      if (p.length < 4) throw new SpdyProtocolError(`header frame of ${p.length} bytes`);
      return {
        kind: type === ControlType.SynReply ? 'syn_reply' : 'headers',
        streamId: p.readUInt32BE(0) & STREAM_ID_MASK,
        flags,
        block: p.subarray(4),
      };
    case ControlType.RstStream:
      expectLength('RST_STREAM', p.length, 8);
      return { kind: 'rst_stream', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, status: p.readUInt32BE(4) };
    case ControlType.Settings: {
      const count = p.length >= 4 ? p.readUInt32BE(0) : -1;
      if (count < 0 || p.length !== 4 + count * 8) throw new SpdyProtocolError(`SETTINGS frame of ${p.length} bytes`);
      const entries: SettingEntry[] = [];
      for (let i = 0; i < count; i++) {
        const idWord = p.readUInt32BE(4 + i * 8);
        entries.push({ flags: idWord >>> 24, id: idWord & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
      }
      return { kind: 'settings', flags, entries };
    }
    case ControlType.Ping:
      expectLength('PING', p.length, 4);
      return { kind: 'ping', id: p.readUInt32BE(0) };
    case ControlType.GoAway:
      expectLength('GOAWAY', p.length, 8);
      return { kind: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & STREAM_ID_MASK, status: p.readUInt32BE(4) };
    case ControlType.WindowUpdate:
      expectLength('WINDOW_UPDATE', p.length, 8);
      return { kind: 'window_update', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, delta: p.readUInt32BE(4) & STREAM_ID_MASK };
    default:
      // The spec: a control frame of an unknown type MUST be ignored.
      return { kind: 'ignored', type };
  }
}

/** Cuts a byte stream into frames. */
export class FrameReader {
  private readonly queue = new ByteQueue();

  /** Append received bytes and return every frame now complete, in order. */
  push(chunk: Buffer): Frame[] {
    this.queue.push(chunk);
    const frames: Frame[] = [];
    while (this.queue.length >= 8) {
      const header = this.queue.peek(8);
      const first = header.readUInt32BE(0);
      const second = header.readUInt32BE(4);
      const length = second & 0xffffff;
      if (this.queue.length < 8 + length) break;
      this.queue.take(8);
      const payload = this.queue.take(length);
      const flags = second >>> 24;
      if (first & 0x80000000) {
        const version = (first >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`SPDY version ${version} is not supported, only 3`);
        frames.push(parseControl(first & 0xffff, flags, payload));
      } else {
        frames.push({ kind: 'data', streamId: first & STREAM_ID_MASK, flags, data: payload });
      }
    }
    return frames;
  }
}

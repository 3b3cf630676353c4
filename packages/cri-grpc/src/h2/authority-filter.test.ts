import { describe, expect, it } from 'vitest';
import { AuthorityFilter, CLIENT_PREFACE, isAcceptedAuthority, MalformedHttp2Error } from './authority-filter.js';
import { encodeHeaderBlock, HpackDecoder, type HeaderField } from './hpack.js';

const field = (name: string, value: string): HeaderField => ({ name, value, sensitive: false });

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

function parseFrames(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  for (let o = 0; o < bytes.length;) {
    const length = bytes.readUIntBE(o, 3);
    frames.push({ type: bytes[o + 3]!, flags: bytes[o + 4]!, streamId: bytes.readUInt32BE(o + 5), payload: bytes.subarray(o + 9, o + 9 + length) });
    o += 9 + length;
  }
  return frames;
}

/** Run bytes through a filter in chunks of `chunk` octets; returns the frames after the preface. */
function filtered(bytes: Buffer, chunk = bytes.length, filter = new AuthorityFilter()): Buffer {
  const out: Buffer[] = [];
  for (let o = 0; o < bytes.length; o += chunk) out.push(...filter.push(bytes.subarray(o, o + chunk)));
  const all = Buffer.concat(out);
  expect(all.subarray(0, CLIENT_PREFACE.length)).toEqual(CLIENT_PREFACE);
  return all.subarray(CLIENT_PREFACE.length);
}

const request = (authority: string) => [
  field(':method', 'POST'),
  field(':scheme', 'http'),
  field(':path', '/runtime.v1.RuntimeService/Version'),
  field(':authority', authority),
  field('content-type', 'application/grpc'),
  field('te', 'trailers'),
];

describe('AuthorityFilter', () => {
  it('knows which authorities nghttp2 accepts', () => {
    expect(isAcceptedAuthority('localhost')).toBe(true);
    expect(isAcceptedAuthority('127.0.0.1:1234')).toBe(true);
    expect(isAcceptedAuthority('[::1]:80')).toBe(true);
    expect(isAcceptedAuthority('/run/criod/criod.sock')).toBe(false);
    expect(isAcceptedAuthority('')).toBe(false);
    expect(isAcceptedAuthority('a b')).toBe(false);
  });

  it('replaces a socket-path :authority and keeps every other field and frame', () => {
    const settings = frame(0x4, 0, 0, Buffer.alloc(6));
    const headers = frame(0x1, 0x4, 1, encodeHeaderBlock(request('/run/criod/criod.sock')));
    const data = frame(0x0, 0x1, 1, Buffer.from('\0\0\0\0\0'));
    // Byte by byte: frames split anywhere still come out whole and in order.
    const frames = parseFrames(filtered(Buffer.concat([CLIENT_PREFACE, settings, headers, data]), 1));
    expect(frames.map((f) => [f.type, f.flags, f.streamId])).toEqual([
      [0x4, 0, 0],
      [0x1, 0x4, 1],
      [0x0, 0x1, 1],
    ]);
    expect(new HpackDecoder().decode(frames[1]!.payload)).toEqual(request('localhost'));
    expect(frames[2]!.payload).toEqual(Buffer.from('\0\0\0\0\0'));
  });

  it('leaves a valid :authority as it is and follows the client dynamic table across requests', () => {
    // Literal with incremental indexing of :authority (static name 1), then a reference to it (62).
    const first = Buffer.concat([Buffer.from([0x83, 0x41, 0x05]), Buffer.from('/a.sk')]);
    const second = Buffer.from([0x83, 0xbe]);
    const third = Buffer.concat([Buffer.from([0x83, 0x41, 0x09]), Buffer.from('localhost'), Buffer.from([0xbf])]);
    const bytes = Buffer.concat([CLIENT_PREFACE, frame(0x1, 0x5, 1, first), frame(0x1, 0x5, 3, second), frame(0x1, 0x5, 5, third)]);
    const decoder = new HpackDecoder();
    const blocks = parseFrames(filtered(bytes)).map((f) => decoder.decode(f.payload).map((h) => `${h.name}=${h.value}`));
    expect(blocks).toEqual([
      [':method=POST', ':authority=localhost'],
      [':method=POST', ':authority=localhost'],
      // The newest entry is localhost now, the one before it the socket path: both end up valid.
      [':method=POST', ':authority=localhost', ':authority=localhost'],
    ]);
  });

  it('reassembles CONTINUATION frames, drops padding, keeps priority and END_STREAM, and reframes big blocks', () => {
    const big = [...request('/tmp/x.sock'), field('x-big', 'b'.repeat(40_000))];
    const block = encodeHeaderBlock(big);
    const priority = Buffer.from([0x80, 0, 0, 3, 15]);
    const firstPart = Buffer.concat([Buffer.from([4]), priority, block.subarray(0, 100), Buffer.alloc(4)]);
    const bytes = Buffer.concat([
      CLIENT_PREFACE,
      frame(0x1, 0x1 | 0x8 | 0x20, 7, firstPart),
      frame(0x9, 0, 7, block.subarray(100, 20_000)),
      frame(0x9, 0x4, 7, block.subarray(20_000)),
    ]);
    const frames = parseFrames(filtered(bytes, 4096));
    expect(frames.map((f) => f.type)).toEqual([0x1, 0x9, 0x9]);
    expect(frames[0]!.flags).toBe(0x1 | 0x20);
    expect(frames[2]!.flags).toBe(0x4);
    expect(frames.every((f) => f.payload.length <= 16_384 && f.streamId === 7)).toBe(true);
    expect(frames[0]!.payload.subarray(0, 5)).toEqual(priority);
    const out = new HpackDecoder().decode(Buffer.concat([frames[0]!.payload.subarray(5), ...frames.slice(1).map((f) => f.payload)]));
    expect(out).toEqual([...request('localhost'), field('x-big', 'b'.repeat(40_000))]);
  });

  it('passes the header blocks of a client with an accepted authority through as sent, padding and all', () => {
    const padded = Buffer.concat([Buffer.from([3]), encodeHeaderBlock(request('localhost')), Buffer.alloc(3)]);
    const bytes = Buffer.concat([
      CLIENT_PREFACE,
      frame(0x4, 0, 0, Buffer.alloc(6)),
      frame(0x1, 0x4 | 0x8, 1, padded),
      frame(0x0, 0x1, 1, Buffer.alloc(5)),
      frame(0x1, 0x5, 3, encodeHeaderBlock(request('localhost'))),
    ]);
    const filter = new AuthorityFilter();
    expect(filtered(bytes, 7, filter)).toEqual(bytes.subarray(CLIENT_PREFACE.length));
    expect(filter.firstBlock).toBe('accepted');
    expect(filter.held()).toEqual(Buffer.alloc(0));
  });

  it('re-encodes every block from the first one it rewrites on, whatever its authority', () => {
    const bytes = Buffer.concat([
      CLIENT_PREFACE,
      frame(0x1, 0x5, 1, encodeHeaderBlock(request('localhost'))),
      frame(0x1, 0x5, 3, encodeHeaderBlock(request('/run/criod/criod.sock'))),
      frame(0x1, 0x5, 5, encodeHeaderBlock([...request('localhost'), field('x-late', 'v')])),
    ]);
    const filter = new AuthorityFilter();
    const frames = parseFrames(filtered(bytes, bytes.length, filter));
    expect(filter.firstBlock).toBe('accepted');
    expect(frames[0]!.payload).toEqual(encodeHeaderBlock(request('localhost')));
    const decoder = new HpackDecoder();
    expect(frames.map((f) => decoder.decode(f.payload).find((h) => h.name === ':authority')?.value)).toEqual(['localhost', 'localhost', 'localhost']);
    expect(() => filter.held()).toThrow(/cannot leave its filter/);
  });

  it('judges a connection by its first header block: one without an :authority needs the filter too', () => {
    const judge = (fields: HeaderField[]) => {
      const filter = new AuthorityFilter();
      filter.push(Buffer.concat([CLIENT_PREFACE, frame(0x1, 0x5, 1, encodeHeaderBlock(fields))]));
      return filter.firstBlock;
    };
    expect(judge(request('localhost'))).toBe('accepted');
    expect(judge(request('/run/criod/criod.sock'))).toBe('needs-filter');
    expect(judge(request('localhost').filter((f) => f.name !== ':authority'))).toBe('needs-filter');
    expect(judge([...request('localhost'), field('host', 'a b')])).toBe('needs-filter');
  });

  it('holds an unfinished header block as received, and drops the acknowledgement of SETTINGS the server did not send', () => {
    const block = encodeHeaderBlock(request('localhost'));
    const headers = frame(0x1, 0x1, 1, block.subarray(0, 10));
    const continuation = frame(0x9, 0x4, 1, block.subarray(10));
    const ack = frame(0x4, 0x1, 0, Buffer.alloc(0));
    const filter = new AuthorityFilter();
    filter.expectAckOfOwnSettings();
    expect(filter.ownSettingsAcked).toBe(false);
    const out = filter.push(Buffer.concat([CLIENT_PREFACE, ack, headers, continuation.subarray(0, 4)]));
    expect(Buffer.concat(out)).toEqual(CLIENT_PREFACE);
    expect(filter.ownSettingsAcked).toBe(true);
    expect(filter.firstBlock).toBeUndefined();
    expect(filter.held()).toEqual(Buffer.concat([headers, continuation.subarray(0, 4)]));
    // Only the one acknowledgement criod expects is dropped; the server's own pass.
    expect(Buffer.concat(filter.push(Buffer.concat([continuation.subarray(4), ack])))).toEqual(Buffer.concat([headers, continuation, ack]));
    expect(filter.firstBlock).toBe('accepted');
  });

  it('refuses what is not HTTP/2 and what breaks a header block', () => {
    expect(() => new AuthorityFilter().push(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toThrow(MalformedHttp2Error);
    const open = frame(0x1, 0, 1, encodeHeaderBlock(request('x')));
    expect(() => filtered(Buffer.concat([CLIENT_PREFACE, open, frame(0x0, 0, 1, Buffer.alloc(1))]))).toThrow(/inside the header block/);
    expect(() => filtered(Buffer.concat([CLIENT_PREFACE, frame(0x9, 0x4, 1, Buffer.alloc(1))]))).toThrow(/without an open header block/);
    expect(() => filtered(Buffer.concat([CLIENT_PREFACE, frame(0x1, 0x4, 1, Buffer.from([0x80]))]))).toThrow(/undecodable/);
    expect(() => filtered(Buffer.concat([CLIENT_PREFACE, frame(0x1, 0xc, 1, Buffer.from([9, 1]))]))).toThrow(/padding/);
    expect(() => filtered(Buffer.concat([CLIENT_PREFACE, frame(0x5, 0x4, 1, Buffer.alloc(4))]))).toThrow(/PUSH_PROMISE/);
  });
});

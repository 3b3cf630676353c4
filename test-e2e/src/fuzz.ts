/**
 * Malformed CRI requests for the robustness suite: a seeded PRNG, random and broken protobuf,
 * gRPC framing by hand, and a raw HTTP/2 client on the socket that records how each call ended.
 */
import { connect as h2connect, constants as h2, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { cri } from '@criod/cri-grpc';

/** mulberry32: small, fast, and the same sequence for the same seed. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(16)];
    return s;
  }
}

export function varint(value: number | bigint): Buffer {
  let v = BigInt(value);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

/** A protobuf field key with any wire type, the invalid ones (6, 7) included. */
export function key(field: number, wireType: number): Buffer {
  return varint(field * 8 + wireType);
}

function lengthDelimited(field: number, payload: Buffer): Buffer {
  return Buffer.concat([key(field, 2), varint(payload.length), payload]);
}

/**
 * Syntactically valid protobuf with random fields: varints, fixed32/64 and length-delimited
 * strings, bytes or nested messages. The field numbers are mostly low, where the CRI messages
 * have their fields, so wire types disagree with the schema as often as they agree.
 */
export function randomProto(rng: Rng, depth = 0): Buffer {
  const parts: Buffer[] = [];
  const n = rng.int(depth === 0 ? 8 : 4);
  for (let i = 0; i < n; i++) {
    const field = 1 + (rng.chance(0.85) ? rng.int(16) : rng.int(5000));
    const wireType = rng.pick([0, 0, 1, 2, 2, 2, 2, 5]);
    if (wireType === 0) parts.push(key(field, 0), varint(rng.chance(0.3) ? rng.int(2) : BigInt(rng.int(2 ** 31)) * BigInt(rng.int(2 ** 31) + 1)));
    else if (wireType === 1) parts.push(key(field, 1), rng.bytes(8));
    else if (wireType === 5) parts.push(key(field, 5), rng.bytes(4));
    else {
      const r = rng.next();
      const payload = depth < 3 && r < 0.4 ? randomProto(rng, depth + 1) : r < 0.7 ? Buffer.from(rng.hex(rng.int(70))) : rng.bytes(rng.int(40));
      parts.push(lengthDelimited(field, payload));
    }
  }
  return Buffer.concat(parts);
}

/** Bytes that are wrong on purpose: a wire type the field does not have, or a length running off the end. */
export function brokenProto(rng: Rng): Buffer {
  const field = 1 + rng.int(12);
  switch (rng.int(6)) {
    case 0: // wire types 6 and 7 do not exist
      return Buffer.concat([key(field, 6 + rng.int(2)), rng.bytes(rng.int(8))]);
    case 1: // a group started and never ended
      return Buffer.concat([key(field, 3), randomProto(rng, 2)]);
    case 2: // an end-group with no start
      return Buffer.concat([randomProto(rng, 2), key(field, 4)]);
    case 3: // a length past the end of the message
      return Buffer.concat([key(field, 2), varint(1000 + rng.int(1 << 20)), rng.bytes(rng.int(16))]);
    case 4: // a varint that never ends
      return Buffer.concat([key(field, 0), Buffer.alloc(1 + rng.int(12), 0xff)]);
    default: // a string field as a varint, a message as fixed64: decoders must skip or refuse, not crash
      return Buffer.concat([key(field, rng.pick([0, 1, 5])), rng.pick([0, 1, 5]) === 0 ? varint(rng.int(1000)) : rng.bytes(8), randomProto(rng, 1)]);
  }
}

export function truncate(rng: Rng, bytes: Buffer): Buffer {
  return bytes.length === 0 ? bytes : bytes.subarray(0, rng.int(bytes.length));
}

export function flipBits(rng: Rng, bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0, n = 1 + rng.int(3); i < n && out.length > 0; i++) out[rng.int(out.length)]! ^= 1 << rng.int(8);
  return out;
}

/** One gRPC message frame: compressed flag, 4-byte big-endian length, then the message. */
export function grpcFrame(message: Buffer, options: { compressed?: number; length?: number } = {}): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(options.compressed ?? 0, 0);
  head.writeUInt32BE(options.length ?? message.length, 1);
  return Buffer.concat([head, message]);
}

/** A ts-proto message encoded from a partial. */
export function encode<T>(fns: cri.MessageFns<T>, partial: cri.DeepPartial<T>): Buffer {
  return Buffer.from(fns.encode(fns.fromPartial(partial as never)).finish());
}

/** How one raw call ended. */
export type Outcome =
  | { kind: 'status'; code: number; message: string }
  | { kind: 'reset'; rstCode: number }
  | { kind: 'error'; error: string }
  /** A served server-streaming call still open when we stopped waiting: it is streaming. */
  | { kind: 'open-stream' }
  | { kind: 'timeout' };

export interface RawRequest {
  path: string;
  /** The whole request body (gRPC frames, or broken ones); empty sends headers with END_STREAM. */
  body: Buffer;
  headers?: Record<string, string>;
  /** How long to wait for a status. */
  timeoutMs: number;
  /** A server-streaming RPC criod serves: no status by the timeout means it is streaming. */
  openStreamOk?: boolean;
}

/** A raw HTTP/2 session on the socket, as grpc-go dials it; session errors are the calls' to report. */
export function rawSession(socket: string): ClientHttp2Session {
  const session = h2connect('http://localhost', { createConnection: () => netConnect(socket), maxSessionMemory: 256 });
  session.on('error', () => undefined);
  return session;
}

/** One call with hand-made bytes; never rejects, the outcome says how it ended. */
export function rawCall(session: ClientHttp2Session, request: RawRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    let status: { code: number; message: string } | undefined;
    let settled = false;
    const headers = { ':method': 'POST', ':path': request.path, 'content-type': 'application/grpc', te: 'trailers', ...request.headers };
    let req: ReturnType<ClientHttp2Session['request']>;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!req.closed) req.close(h2.NGHTTP2_CANCEL);
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish(status ? { kind: 'status', ...status } : request.openStreamOk ? { kind: 'open-stream' } : { kind: 'timeout' }),
      request.timeoutMs,
    );
    try {
      req = session.request(headers, { endStream: request.body.length === 0 });
    } catch (err) {
      clearTimeout(timer);
      resolve({ kind: 'error', error: `request: ${(err as Error).message}` });
      return;
    }
    const onHeaders = (h: Record<string, unknown>) => {
      if (h['grpc-status'] !== undefined) status = { code: Number(h['grpc-status']), message: decodeURIComponent(String(h['grpc-message'] ?? '')) };
    };
    req.on('response', onHeaders);
    req.on('trailers', onHeaders);
    req.on('data', () => undefined);
    req.on('error', (err: Error & { code?: string }) => finish(status ? { kind: 'status', ...status } : { kind: 'error', error: err.code ?? err.message }));
    req.on('close', () => {
      if (status) finish({ kind: 'status', ...status });
      else if (req.rstCode !== undefined && req.rstCode !== h2.NGHTTP2_NO_ERROR) finish({ kind: 'reset', rstCode: req.rstCode });
      else finish({ kind: 'error', error: 'closed without a grpc-status' });
    });
    if (request.body.length > 0) req.end(request.body);
  });
}

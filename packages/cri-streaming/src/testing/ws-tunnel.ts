/**
 * A bare WebSocket client connection carrying a byte stream in binary messages, for the SPDY
 * tunnel of port-forward. The `ws` client cannot be used: it refuses the subprotocol
 * "SPDY/3.1+portforward.k8s.io" ('/' is not an RFC 6455 token character), which client-go sends.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { Duplex } from 'node:stream';

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const Opcode = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

export function openWebSocketTunnel(url: string, protocol: string): Promise<Duplex> {
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': key,
        'Sec-WebSocket-Protocol': protocol,
      },
    });
    req.on('upgrade', (res, socket, head) => {
      const accept = createHash('sha1')
        .update(key + ACCEPT_GUID)
        .digest('base64');
      if (res.headers['sec-websocket-accept'] !== accept) reject(new Error('bad Sec-WebSocket-Accept'));
      else if (res.headers['sec-websocket-protocol'] !== protocol) reject(new Error(`server chose protocol ${String(res.headers['sec-websocket-protocol'])}`));
      else resolve(new WebSocketByteStream(socket, head));
    });
    req.on('response', (res) => reject(new Error(`WebSocket upgrade refused with HTTP ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

class WebSocketByteStream extends Duplex {
  private pending = Buffer.alloc(0);

  constructor(
    private readonly socket: Duplex,
    head: Buffer,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', () => this.destroy());
    if (head.length > 0) this.receive(head);
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.write(frame(Opcode.Binary, chunk))) callback();
    else this.socket.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    const status = Buffer.alloc(2);
    status.writeUInt16BE(1000);
    this.socket.end(frame(Opcode.Close, status));
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }

  /** Server frames are unmasked: [FIN|opcode][len(7/16/64)][payload]. */
  private receive(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.pending.length < 2) return;
      const opcode = this.pending[0]! & 0x0f;
      let length = this.pending[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.pending.length < 4) return;
        length = this.pending.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.pending.length < 10) return;
        length = Number(this.pending.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.pending.length < offset + length) return;
      const payload = this.pending.subarray(offset, offset + length);
      this.pending = this.pending.subarray(offset + length);
      if (opcode === Opcode.Binary || opcode === Opcode.Continuation || opcode === Opcode.Text) {
        if (payload.length > 0 && !this.push(payload)) this.socket.pause();
      } else if (opcode === Opcode.Ping) {
        this.socket.write(frame(Opcode.Pong, payload));
      } else if (opcode === Opcode.Close) {
        this.push(null);
        this.socket.end();
      }
    }
  }
}

/** A client frame: FIN set, always masked. */
function frame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, 0x80 | length])
      : length < 0x10000
        ? Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), bigEndian64(length)]);
  const masked = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, mask, masked]);
}

function bigEndian64(value: number): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64BE(BigInt(value));
  return buf;
}

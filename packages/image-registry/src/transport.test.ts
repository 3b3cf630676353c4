import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeadlineExceededError, InternalError } from '@criod/core';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryHttp } from './http.js';
import { writeSelfSignedCert } from './testing/self-signed-cert.js';

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

const servers: { close(): void; closeAllConnections?(): void }[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) {
    s.closeAllConnections?.();
    s.close();
  }
});

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A plain http server recording what it is sent, answering with `answer`. */
async function recordingServer(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ host: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, body });
      answer(req, res);
    });
  });
  return { host: await listen(server), seen };
}

async function selfSignedCert(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'criod-transport-'));
  try {
    const { keyPath, certPath } = await writeSelfSignedCert(dir, '127.0.0.1');
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('RegistryHttp on node:http', () => {
  it('follows a redirect to another origin without the authorization header, and one on its own origin with it', async () => {
    const store = await recordingServer((_req, res) => res.end('blob'));
    const registry = await recordingServer((req, res) => {
      const location = req.url === '/v2/r/blobs/same' ? '/v2/r/blobs/moved' : `http://${store.host}/signed?x=1`;
      if (req.url === '/v2/r/blobs/moved') return res.end('moved');
      res.writeHead(307, { location }).end();
    });
    const http = new RegistryHttp();
    try {
      const other = await http.send(new URL(`http://${registry.host}/v2/r/blobs/other`), { headers: { authorization: 'Bearer t' } }, true, 'blob');
      expect((await other.bytes(100, 'blob')).toString()).toBe('blob');
      const same = await http.send(new URL(`http://${registry.host}/v2/r/blobs/same`), { headers: { authorization: 'Bearer t' } }, true, 'blob');
      expect((await same.bytes(100, 'blob')).toString()).toBe('moved');
      expect(store.seen).toEqual([{ method: 'GET', path: '/signed?x=1', authorization: undefined, body: '' }]);
      expect(registry.seen.map((s) => [s.path, s.authorization])).toEqual([
        ['/v2/r/blobs/other', 'Bearer t'],
        ['/v2/r/blobs/same', 'Bearer t'],
        ['/v2/r/blobs/moved', 'Bearer t'],
      ]);
    } finally {
      await http.close();
    }
  });

  it('turns a POST answered with 303 into a GET without its body', async () => {
    const server = await recordingServer((req, res) => (req.method === 'POST' ? res.writeHead(303, { location: '/done' }).end() : res.end('done')));
    const http = new RegistryHttp();
    try {
      const res = await http.send(new URL(`http://${server.host}/token`), { method: 'POST', body: Buffer.from('a=b') }, true, 'token');
      expect(res.status).toBe(200);
      await res.discard();
      expect(server.seen.map((s) => [s.method, s.path, s.body])).toEqual([
        ['POST', '/token', 'a=b'],
        ['GET', '/done', ''],
      ]);
    } finally {
      await http.close();
    }
  });

  it('verifies TLS unless the registry is insecure', async () => {
    const server = createHttpsServer(await selfSignedCert(), (_req, res) => res.end('ok'));
    const host = await listen(server);
    const http = new RegistryHttp({ retries: 0 });
    try {
      await expect(http.send(new URL(`https://${host}/v2/`), {}, false, 'ping')).rejects.toThrow(InternalError);
      await expect(http.send(new URL(`https://${host}/v2/`), {}, false, 'ping')).rejects.toThrow(/self-signed certificate/);
      const res = await http.send(new URL(`https://${host}/v2/`), {}, true, 'ping');
      expect((await res.bytes(10, 'ping')).toString()).toBe('ok');
    } finally {
      await http.close();
    }
  });

  it('fails a TLS connection whose handshake never completes within the connect timeout', async () => {
    const silent = createTcpServer((socket) => sockets.push(socket));
    const host = await listen(silent);
    const http = new RegistryHttp({ connectTimeoutMs: 200, retries: 0 });
    try {
      const failed = http.send(new URL(`https://${host}/v2/`), {}, false, 'ping');
      await expect(failed).rejects.toThrow(InternalError);
      await expect(failed).rejects.toThrow(/timed out after 200 ms/);
    } finally {
      await http.close();
    }
  });

  it('closes a kept-alive connection once idle, and at once one whose big answer was not read', async () => {
    const open = new Set<Socket>();
    const server = createServer((req, res) => res.end(req.url === '/big' ? Buffer.alloc(1 << 20) : 'ok'));
    server.on('connection', (socket: Socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    const host = await listen(server);
    const http = new RegistryHttp();
    const closed = async (timeoutMs: number) => {
      for (const started = Date.now(); open.size > 0;) {
        if (Date.now() - started > timeoutMs) throw new Error(`${open.size} connection(s) still open after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      await (await http.send(new URL(`http://${host}/big`), {}, true, 'blob')).discard();
      await closed(1000);
      await (await http.send(new URL(`http://${host}/small`), {}, true, 'ping')).bytes(10, 'ping');
      expect(open.size).toBe(1);
      await closed(8000);
    } finally {
      await http.close();
    }
  }, 15_000);

  it('fails with DeadlineExceeded when an answer stalls, not with the connection abort', async () => {
    const server = await recordingServer((_req, res) => {
      res.writeHead(200, { 'content-length': '10' });
      res.write('12345');
    });
    const http = new RegistryHttp({ noProgressTimeoutMs: 200 });
    try {
      const res = await http.send(new URL(`http://${server.host}/v2/`), {}, true, 'blob');
      await expect(res.bytes(100, 'blob')).rejects.toThrow(DeadlineExceededError);
    } finally {
      await http.close();
    }
  });
});

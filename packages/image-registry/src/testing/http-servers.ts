/**
 * Small HTTP servers for registry tests on 127.0.0.1: a counting proxy in front of a registry,
 * and a static registry serving one image whose blob answers a test can take over (to stall).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { BuiltImage } from './image-builder.js';

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
}

export interface TestHttpServer {
  /** "127.0.0.1:<port>" */
  host: string;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

async function listen(server: Server, requests: RecordedRequest[]): Promise<TestHttpServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Forwards everything to `target` ("127.0.0.1:<port>") and records each request. */
export function startCountingProxy(target: string): Promise<TestHttpServer> {
  const [hostname, port] = target.split(':');
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const entry: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', status: 0 };
    requests.push(entry);
    const upstream = request({ hostname, port: Number(port), method: req.method, path: req.url, headers: { ...req.headers, host: target } }, (up) => {
      entry.status = up.statusCode ?? 0;
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return listen(server, requests);
}

/**
 * Takes over an answer: `kind` and `ref` (tag or digest) say what was asked, `data` is what the
 * server would send (undefined when it knows nothing by that name). Return true when handled.
 */
export type RequestHook = (ask: { kind: 'manifest' | 'blob'; ref: string; data: Buffer | undefined }, req: IncomingMessage, res: ServerResponse) => boolean;

/** A registry that serves one image at /v2/<repository>/… by tag and digest, without auth. */
export function startStaticRegistry(options: { repository: string; tag: string; image: BuiltImage; hook?: RequestHook }): Promise<TestHttpServer> {
  const { repository, tag, image } = options;
  const blobs = new Map<string, Buffer>([[image.config.digest, image.config.data], ...image.layers.map((l): [string, Buffer] => [l.digest, l.data])]);
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const entry: RecordedRequest = { method: req.method ?? 'GET', path, status: 200 };
    requests.push(entry);
    const send = (status: number, headers: Record<string, string | number>, body: Buffer | string) => {
      entry.status = status;
      res.writeHead(status, headers);
      res.end(body);
    };
    if (path === '/v2/') return send(200, { 'content-type': 'application/json' }, '{}');
    const manifest = new RegExp(`^/v2/${repository}/manifests/(.+)$`).exec(path);
    if (manifest) {
      const data = manifest[1] === tag || manifest[1] === image.digest ? image.manifest : undefined;
      if (options.hook?.({ kind: 'manifest', ref: manifest[1]!, data }, req, res)) return;
      if (data) return send(200, { 'content-type': image.mediaType, 'docker-content-digest': image.digest }, data);
    }
    const blob = new RegExp(`^/v2/${repository}/blobs/(.+)$`).exec(path);
    if (blob) {
      const data = blobs.get(blob[1]!);
      if (options.hook?.({ kind: 'blob', ref: blob[1]!, data }, req, res)) return;
      if (data) return send(200, { 'content-type': 'application/octet-stream', 'content-length': data.byteLength }, data);
    }
    send(
      404,
      { 'content-type': 'application/json' },
      JSON.stringify({ errors: [{ code: manifest ? 'MANIFEST_UNKNOWN' : 'BLOB_UNKNOWN', message: 'unknown to the static test registry' }] }),
    );
  });
  return listen(server, requests);
}

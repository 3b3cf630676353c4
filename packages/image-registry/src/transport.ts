/**
 * One HTTP/1.1 exchange on Node's own http and https modules, following redirects as fetch does.
 * Not undici: its WebAssembly HTTP parser, its code and the pages of V8's compilers it touches
 * stayed resident in the daemon after the first pull, about 7 MB (README: Memory); Node's native
 * parser is already in the binary.
 */
import type { Agent as HttpAgent, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';

export interface TransportOptions {
  /** TCP (and TLS) connect timeout. */
  connectTimeoutMs: number;
}

export interface Exchange {
  method: string;
  headers: Record<string, string>;
  body?: Uint8Array | undefined;
  /** Unverified TLS (an insecure registry). */
  insecure: boolean;
  signal: AbortSignal;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const maxRedirects = 20;
/** Idle keep-alive connections close after this, as undici's did: a pull's connections do not outlive it for long. */
const idleSocketMs = 4000;
/** An answer body up to this size is read to its end so its connection is reused; a bigger one is cut. */
const drainLimit = 64 * 1024;

interface Modules {
  http: typeof import('node:http');
  https: typeof import('node:https');
  plain: HttpAgent;
  verified: HttpsAgent;
  unverified: HttpsAgent;
}

/** Throw away an answer's body, keeping its connection when the body is small. */
export function discardBody(res: IncomingMessage): void {
  if (Number(res.headers['content-length'] ?? Infinity) <= drainLimit) res.resume();
  else res.destroy();
}

/** Connection pools (plain, verified TLS, unverified TLS), made at the first request. */
export class HttpTransport {
  private modules: Promise<Modules> | undefined;

  constructor(private readonly options: TransportOptions) {}

  private load(): Promise<Modules> {
    this.modules ??= Promise.all([import('node:http'), import('node:https')]).then(([http, https]) => {
      const pool = { keepAlive: true, timeout: idleSocketMs };
      return {
        http,
        https,
        plain: new http.Agent(pool),
        verified: new https.Agent(pool),
        unverified: new https.Agent({ ...pool, rejectUnauthorized: false }),
      };
    });
    return this.modules;
  }

  /**
   * Send and answer with the response, its body not read yet. Redirects are followed: a 303 (and
   * a 301/302 of a POST) turns into a GET without body, and the authorization header is not sent
   * to another origin (a registry's blob store has its own signed URL).
   */
  async exchange(url: URL, exchange: Exchange): Promise<IncomingMessage> {
    const modules = await this.load();
    let { method, body } = exchange;
    let headers: Record<string, string> = exchange.headers;
    for (let hops = 0; ; hops++) {
      const res = await this.once(modules, url, { ...exchange, method, headers, body });
      const location = res.headers.location;
      if (!redirectStatuses.has(res.statusCode ?? 0) || location === undefined) return res;
      discardBody(res);
      const next = new URL(location, url);
      if (hops >= maxRedirects) throw new Error(`more than ${maxRedirects} redirects, the last to ${next.href}`);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error(`redirected to ${next.href}, not http or https`);
      if (next.origin !== url.origin) headers = withoutHeader(headers, 'authorization');
      if ((res.statusCode === 303 && method !== 'HEAD') || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        headers = withoutHeader(withoutHeader(headers, 'content-type'), 'content-length');
      }
      url = next;
    }
  }

  private once(modules: Modules, url: URL, exchange: Exchange): Promise<IncomingMessage> {
    const secure = url.protocol === 'https:';
    const agent = secure ? (exchange.insecure ? modules.unverified : modules.verified) : modules.plain;
    const headers: OutgoingHttpHeaders = { ...exchange.headers };
    if (exchange.body) headers['content-length'] = exchange.body.byteLength;
    return new Promise((resolve, reject) => {
      const req = (secure ? modules.https : modules.http).request(url, { method: exchange.method, headers, agent, signal: exchange.signal });
      const { connectTimeoutMs } = this.options;
      const connectTimer = setTimeout(
        () => req.destroy(Object.assign(new Error(`connect to ${url.host} timed out after ${connectTimeoutMs} ms`), { code: 'ETIMEDOUT' })),
        connectTimeoutMs,
      );
      req.once('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      });
      req.once('response', (res) => {
        clearTimeout(connectTimer);
        // A body error with nobody reading yet must not go unhandled; reading it reports the error.
        res.on('error', () => {});
        resolve(res);
      });
      req.on('error', (err) => {
        clearTimeout(connectTimer);
        reject(err);
      });
      req.end(exchange.body);
    });
  }

  async close(): Promise<void> {
    if (!this.modules) return;
    const { plain, verified, unverified } = await this.modules;
    for (const agent of [plain, verified, unverified]) agent.destroy();
  }
}

function withoutHeader(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== name));
}

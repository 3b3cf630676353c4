/**
 * HTTP to registries (transport.ts): verified TLS by default, plain http (and unverified TLS)
 * only for endpoints allowed to be insecure, retries with backoff on transient failures, and a
 * watchdog that fails any request or download making no progress for a configured time.
 */
import { DeadlineExceededError, FailedPreconditionError, InternalError, type Logger } from '@criod/core';
import type { IncomingMessage } from 'node:http';
import { discardBody, HttpTransport } from './transport.js';

export interface RegistryHttpOptions {
  /** A request or download that receives nothing for this long fails with DeadlineExceeded. */
  noProgressTimeoutMs?: number;
  /** TCP+TLS connect timeout. */
  connectTimeoutMs?: number;
  /** Extra attempts on transient failures (connection reset or refused, 408, 429, 5xx). */
  retries?: number;
  /** First backoff; it doubles per attempt, with jitter. */
  retryBaseDelayMs?: number;
  userAgent?: string;
}

export const httpDefaults = {
  noProgressTimeoutMs: 60_000,
  connectTimeoutMs: 10_000,
  retries: 3,
  retryBaseDelayMs: 250,
  userAgent: 'criod',
} satisfies Required<RegistryHttpOptions>;

const transientStatuses = new Set([408, 429, 500, 502, 503, 504]);
// A connect timeout is not retried: a host that does not answer for that long is not coming back in a second.
const transientCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN']);
const maxRetryAfterMs = 10_000;

/** Fails a request once it has made no progress for `timeoutMs`; `touch` on every byte. */
export class ProgressWatchdog {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  readonly signal: AbortSignal = this.controller.signal;

  constructor(timeoutMs: number, what: string) {
    this.timer = setTimeout(() => this.controller.abort(new DeadlineExceededError(`${what}: no progress for ${timeoutMs} ms, giving up`)), timeoutMs);
    this.timer.unref();
  }

  touch(): void {
    this.timer.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** The low-level cause of a fetch failure ("ECONNREFUSED"), if any. */
export function networkErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = e.cause;
  }
  return undefined;
}

function networkErrorMessage(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

export function isTransientError(err: unknown): boolean {
  if (err instanceof DeadlineExceededError) return false;
  const code = networkErrorCode(err);
  return code !== undefined && transientCodes.has(code);
}

/** A response whose body reads keep the watchdog fed; always read or discard it. */
export class RegistryResponse {
  constructor(
    private readonly response: IncomingMessage,
    private readonly watchdog: ProgressWatchdog,
  ) {}

  get status(): number {
    return this.response.statusCode ?? 0;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** A header's value; repeated ones joined with ", ", as fetch's Headers.get does. */
  header(name: string): string | undefined {
    const value = this.response.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /** The body chunk by chunk; every chunk counts as progress. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of this.response as AsyncIterable<Buffer>) {
        this.watchdog.touch();
        yield chunk;
      }
    } catch (err) {
      // A stall cut by the watchdog surfaces as the connection's abort; its DeadlineExceededError is the cause.
      throw this.watchdog.signal.aborted ? this.watchdog.signal.reason : err;
    } finally {
      this.watchdog.stop();
    }
  }

  /** The whole body, refusing one larger than `limit` bytes. */
  async bytes(limit: number, what: string): Promise<Buffer> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of this.chunks()) {
      total += chunk.byteLength;
      if (total > limit) {
        await this.discard();
        throw new InternalError(`${what}: response larger than ${limit} bytes`);
      }
      parts.push(chunk);
    }
    return Buffer.concat(parts);
  }

  /** Body text for error messages; never fails. */
  async errorText(): Promise<string> {
    try {
      return (await this.bytes(64 * 1024, 'error body')).toString('utf8');
    } catch {
      return '';
    }
  }

  async discard(): Promise<void> {
    this.watchdog.stop();
    discardBody(this.response);
  }
}

export interface SendInit {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
}

/** Shared by every pull: connection pools, the timeouts, and which scheme each insecure host speaks. */
export class RegistryHttp {
  readonly options: Required<RegistryHttpOptions>;
  /** Its connection pools are made at the first request: an idle daemon never pays for them. */
  private readonly transport: HttpTransport;
  /** Insecure hosts found to speak plain http. */
  private readonly plainHttpHosts = new Set<string>();

  constructor(
    options: RegistryHttpOptions = {},
    private readonly logger?: Logger,
  ) {
    this.options = { ...httpDefaults, ...options };
    this.transport = new HttpTransport({ connectTimeoutMs: Math.min(this.options.connectTimeoutMs, this.options.noProgressTimeoutMs) });
  }

  /** One HTTP exchange with retries; `what` names it in errors ("manifest of busybox:latest"). */
  async send(url: URL, init: SendInit, insecure: boolean, what: string): Promise<RegistryResponse> {
    this.assertOpen(what);
    if (url.protocol === 'http:' && !insecure)
      throw new FailedPreconditionError(`${what}: refusing plain http to ${url.host}; mark the registry insecure in [image.registries] to allow it`);
    const { retries, retryBaseDelayMs } = this.options;
    for (let attempt = 0; ; attempt++) {
      let res: RegistryResponse;
      try {
        res = await this.once(url, init, insecure, what);
      } catch (err) {
        if (attempt >= retries || !isTransientError(err)) {
          if (err instanceof DeadlineExceededError) throw err;
          throw new InternalError(`${what}: cannot reach ${url.host}: ${networkErrorMessage(err)}${attempt > 0 ? ` (after ${attempt + 1} attempts)` : ''}`, {
            cause: err,
          });
        }
        const delay = backoff(attempt, retryBaseDelayMs);
        this.logger?.debug({ url: url.href, attempt, delay, err: networkErrorMessage(err) }, 'registry request failed, retrying');
        await sleep(delay);
        continue;
      }
      if (!transientStatuses.has(res.status) || attempt >= retries) return res;
      const delay = Math.min(retryAfterMs(res.header('retry-after')) ?? backoff(attempt, retryBaseDelayMs), maxRetryAfterMs);
      this.logger?.debug({ url: url.href, attempt, delay, status: res.status }, 'registry answered a transient error, retrying');
      await res.discard();
      await sleep(delay);
    }
  }

  /**
   * Send to host + path. An insecure host is tried over https first (TLS unverified) and over
   * plain http when that fails, as CRI-O does; the scheme that worked is remembered.
   */
  async sendToHost(host: string, path: string, init: SendInit, insecure: boolean, what: string): Promise<RegistryResponse> {
    this.assertOpen(what);
    if (this.plainHttpHosts.has(host)) return this.send(new URL(`http://${host}${path}`), init, true, what);
    if (!insecure) return this.send(new URL(`https://${host}${path}`), init, false, what);
    const httpsUrl = new URL(`https://${host}${path}`);
    let res: RegistryResponse;
    try {
      res = await this.once(httpsUrl, init, true, what);
    } catch (err) {
      if (err instanceof DeadlineExceededError) throw err;
      this.logger?.debug({ host, err: networkErrorMessage(err) }, 'https failed on an insecure registry, trying plain http');
      const plain = await this.send(new URL(`http://${host}${path}`), init, true, what);
      this.plainHttpHosts.add(host);
      return plain;
    }
    if (!transientStatuses.has(res.status)) return res;
    await res.discard();
    return this.send(httpsUrl, init, true, what);
  }

  private async once(url: URL, init: SendInit, insecure: boolean, what: string): Promise<RegistryResponse> {
    const watchdog = new ProgressWatchdog(this.options.noProgressTimeoutMs, what);
    try {
      const response = await this.transport.exchange(url, {
        method: init.method ?? 'GET',
        headers: { 'user-agent': this.options.userAgent, ...init.headers },
        body: init.body,
        insecure,
        signal: watchdog.signal,
      });
      watchdog.touch();
      return new RegistryResponse(response, watchdog);
    } catch (err) {
      watchdog.stop();
      // An abort by the watchdog rejects with its DeadlineExceededError.
      throw watchdog.signal.aborted ? watchdog.signal.reason : err;
    }
  }

  private closed = false;

  /** Agents made after close() would never be closed. */
  private assertOpen(what: string): void {
    if (this.closed) throw new FailedPreconditionError(`${what}: the registry client is closed`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.transport.close();
  }
}

function backoff(attempt: number, baseMs: number): number {
  const exp = baseMs * 2 ** attempt;
  return exp / 2 + Math.random() * (exp / 2);
}

function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The Go side of the interop suite: builds test-e2e/go-interop/cri-go-client with Debian's Go
 * toolchain and grpc-go (GOPATH mode, nothing downloaded) and drives it over its stdin/stdout
 * line protocol. The Go program only moves bytes; requests are encoded and responses decoded
 * here with the generated ts-proto types, through the service definitions' serializers.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { execa } from 'execa';

/** How the client dials: the ways kubelet and crictl do (see main.go). */
export type GoDialMode = 'path' | 'path-localhost' | 'unix';

const goRoot = '/usr/lib/go-1.19';
const goBin = join(goRoot, 'bin', 'go');
const gopath = '/usr/share/gocode';
const grpcGoDir = join(gopath, 'src', 'google.golang.org', 'grpc');
const clientSrc = fileURLToPath(new URL('../go-interop/cri-go-client', import.meta.url));

/** The grpc-go version Debian installed (grpc.Version in version.go). */
export function grpcGoVersion(): string {
  return /const Version = "([^"]+)"/.exec(readFileSync(join(grpcGoDir, 'version.go'), 'utf8'))?.[1] ?? 'unknown';
}

/**
 * Build the client into `outDir`; its path. Fails (never skips) naming the packages when the
 * toolchain or grpc-go is missing: CI installs them with `scripts/install-deps.sh --test`.
 */
export async function buildGoClient(outDir: string): Promise<string> {
  const missing = [
    existsSync(goBin) ? undefined : `${goBin} (Debian package golang-1.19-go)`,
    existsSync(join(grpcGoDir, 'version.go')) ? undefined : `${grpcGoDir} (Debian package golang-google-grpc-dev)`,
  ].filter((m) => m !== undefined);
  if (missing.length > 0) {
    throw new Error(
      `the Go interop suite needs Debian's Go toolchain and grpc-go; missing: ${missing.join(', ')}. Install them with: bash scripts/install-deps.sh --test`,
    );
  }
  // A build cache that outlives the run (grpc-go takes ~20 s to compile cold), in a dir any CI can write.
  const cache = join(tmpdir(), 'criod-e2e-gocache');
  mkdirSync(cache, { recursive: true });
  const out = join(outDir, 'cri-go-client');
  const r = await execa(goBin, ['build', '-o', out, '.'], {
    cwd: clientSrc,
    reject: false,
    all: true,
    env: { GO111MODULE: 'off', GOPATH: gopath, GOCACHE: cache, GOFLAGS: '', GOPROXY: 'off', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
  });
  if (r.exitCode !== 0) throw new Error(`building the Go interop client failed (go build exit ${r.exitCode}):\n${r.all}`);
  return out;
}

/** A method of a generated service definition: its path and its ts-proto (de)serializers. */
export interface GrpcMethod<Req, Res> {
  path: string;
  requestSerialize(value: Req): Buffer;
  responseDeserialize(value: Buffer): Res;
}

/** A call that ended in a gRPC status, as grpc-go reported it. */
export class GoCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly details: string,
  ) {
    super(`${method} from grpc-go failed: ${code} ${GrpcStatus[code] ?? '?'}: ${details}`);
  }
}

export interface GoStream<Res> {
  /** Messages received so far, decoded. */
  messages: Res[];
  /** Resolves once grpc-go has sent the request; rejects when the stream ended before that. */
  opened: Promise<void>;
  /** The status the stream ended with (code 0 for a clean end). */
  ended: Promise<{ code: number; details: string }>;
  /** Once ended, the error it ended with. */
  error?: GoCallError;
  cancel(): void;
}

type Answer = (verb: string, rest: string) => void;

export class GoCriClient {
  private readonly waiting = new Map<string, Answer>();
  private seq = 0;
  private stderr = '';
  private exited: string | undefined;

  private constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    readonly mode: GoDialMode,
  ) {
    proc.stdin.on('error', () => undefined); // EPIPE once it died: reported through 'exit'
    proc.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const [tag = '', verb = '', ...rest] = line.split(' ');
      this.waiting.get(tag)?.(verb, rest.join(' '));
    });
    proc.on('exit', (code, signal) => {
      this.exited = `the Go client exited (${signal ?? code})${this.stderr ? `: ${this.stderr.trim()}` : ''}`;
      for (const answer of [...this.waiting.values()]) answer('gone', this.exited);
    });
  }

  /** Start the client dialing criod's socket in `mode`. */
  static start(bin: string, mode: GoDialMode, socket: string): GoCriClient {
    // No proxy variables: grpc-go would tunnel even a unix:// target through HTTPS_PROXY.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/_proxy$/i.test(k)));
    return new GoCriClient(spawn(bin, [mode, socket], { env, stdio: ['pipe', 'pipe', 'pipe'] }), mode);
  }

  private send(tag: string, line: string, answer: Answer): void {
    if (this.exited) {
      answer('gone', this.exited);
      return;
    }
    this.waiting.set(tag, answer);
    this.proc.stdin.write(`${tag} ${line}\n`);
  }

  /** A unary call through grpc-go. */
  call<Req, Res>(method: GrpcMethod<Req, Res>, req: Req): Promise<Res> {
    const tag = `c${++this.seq}`;
    return new Promise((resolve, reject) => {
      this.send(tag, `call ${method.path} ${method.requestSerialize(req).toString('hex')}`, (verb, rest) => {
        this.waiting.delete(tag);
        if (verb === 'ok') resolve(method.responseDeserialize(Buffer.from(rest, 'hex')));
        else if (verb === 'err') reject(errorOf(method.path, rest));
        else reject(new Error(`${method.path}: ${rest}`));
      });
    });
  }

  /** A server-streaming call through grpc-go. */
  stream<Req, Res>(method: GrpcMethod<Req, Res>, req: Req): GoStream<Res> {
    const tag = `s${++this.seq}`;
    const messages: Res[] = [];
    let opened!: { resolve: () => void; reject: (e: Error) => void };
    let ended!: (end: { code: number; details: string }) => void;
    const stream: GoStream<Res> = {
      messages,
      opened: new Promise((resolve, reject) => (opened = { resolve, reject })),
      ended: new Promise((resolve) => (ended = resolve)),
      cancel: () => {
        if (!this.exited) this.proc.stdin.write(`${tag} cancel\n`);
      },
    };
    this.send(tag, `stream ${method.path} ${method.requestSerialize(req).toString('hex')}`, (verb, rest) => {
      if (verb === 'open') opened.resolve();
      else if (verb === 'msg') messages.push(method.responseDeserialize(Buffer.from(rest, 'hex')));
      else {
        this.waiting.delete(tag);
        const err = verb === 'end' ? errorOf(method.path, rest) : new GoCallError(method.path, GrpcStatus.UNKNOWN, rest);
        stream.error = err;
        opened.reject(err);
        ended({ code: err.code, details: err.details });
      }
    });
    // Nobody has to look at `opened` once the stream is running.
    stream.opened.catch(() => undefined);
    return stream;
  }

  /** Close stdin (the client cancels its streams and exits); kill it if it lingers. */
  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}

function errorOf(method: string, rest: string): GoCallError {
  const space = rest.indexOf(' ');
  const code = Number(space < 0 ? rest : rest.slice(0, space));
  return new GoCallError(method, code, space < 0 ? '' : rest.slice(space + 1));
}

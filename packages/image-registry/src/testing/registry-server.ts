/**
 * A real registry for tests: Debian's docker-registry (github.com/distribution/distribution)
 * on 127.0.0.1 with its storage in a temp dir, optionally behind htpasswd Basic auth or the
 * token auth of a test token server. Stopped by its PID; its dir is removed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { execa, type ResultPromise } from 'execa';

export const registryBinary = '/usr/bin/docker-registry';

export type RegistryAuthSetup = { htpasswd: Record<string, string> } | { token: { realm: string; service: string; issuer: string; certPath: string } };

export interface TestRegistry {
  /** "127.0.0.1:<port>" */
  host: string;
  dir: string;
  /** Storage root of the registry (docker/registry/v2/…). */
  storageDir: string;
  /** Path of a blob's data file in the storage, to corrupt it in tests. */
  blobDataPath(digest: string): string;
  logs(): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** An htpasswd file body with bcrypt hashes, the only kind the registry accepts. */
export async function htpasswd(users: Record<string, string>): Promise<string> {
  const lines = await Promise.all(Object.entries(users).map(async ([user, password]) => `${user}:${await bcrypt.hash(password, 6)}`));
  return `${lines.join('\n')}\n`;
}

async function waitUntilServing(host: string, proc: ResultPromise, logs: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let exited = false;
  void proc.then(
    () => (exited = true),
    () => (exited = true),
  );
  for (;;) {
    if (exited) throw new Error(`docker-registry exited during startup:\n${logs()}`);
    try {
      const res = await fetch(`http://${host}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not serve on ${host} within 15 s:\n${logs()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRegistry(options: { auth?: RegistryAuthSetup } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'criod-registry-'));
  const storageDir = join(dir, 'data');
  let auth = '';
  if (options.auth && 'htpasswd' in options.auth) {
    await writeFile(join(dir, 'htpasswd'), await htpasswd(options.auth.htpasswd));
    auth = `auth:\n  htpasswd:\n    realm: criod-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (options.auth && 'token' in options.auth) {
    const t = options.auth.token;
    auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.certPath}\n`;
  }
  let output = '';
  // The port may be taken between picking and binding: try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config = `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: ${storageDir}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n  secret: criod-test-secret\n${auth}`;
    await writeFile(join(dir, 'config.yml'), config);
    output = '';
    const p = execa(registryBinary, ['serve', join(dir, 'config.yml')], { reject: false, all: true, buffer: false, cleanup: true });
    p.all?.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await waitUntilServing(host, p, () => output);
    } catch (err) {
      p.kill('SIGKILL');
      await p;
      if (output.includes('address already in use') && attempt < 4) continue;
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    const running = p;
    return {
      host,
      dir,
      storageDir,
      blobDataPath: (digest) => {
        const hex = digest.slice(digest.indexOf(':') + 1);
        return join(storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
      },
      logs: () => output,
      stop: async () => {
        if (running.pid !== undefined && running.exitCode === null) {
          process.kill(running.pid, 'SIGTERM');
          await running;
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  throw new Error(`could not start docker-registry: ${output}`);
}

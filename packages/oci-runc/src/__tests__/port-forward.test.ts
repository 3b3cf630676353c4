/**
 * Port-forward into a pod's network namespace through the nsenter + busybox nc relay. Each test
 * makes a `criod-pf-<random>` network namespace with busybox httpd on its loopback only, and
 * removes both afterwards.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RuntimeSandbox } from '@criod/core';
import { testPodConfig } from '@criod/core/testing';
import { portForward } from '../port-forward.js';
import { eventually } from './fixtures.js';

const run = promisify(execFile);

let netns: string;
let webRoot: string;
let httpd: ChildProcess | undefined;
const connections: Duplex[] = [];
const bigFile = randomBytes(4 * 1024 * 1024);

const netnsPath = () => `/var/run/netns/${netns}`;
const sandbox = (): RuntimeSandbox => ({ podId: 'pod1', handler: '', config: testPodConfig('pf'), namespaces: [{ kind: 'net', path: netnsPath() }] });

beforeEach(async () => {
  netns = `criod-pf-${randomBytes(4).toString('hex')}`;
  await run('ip', ['netns', 'add', netns]);
  await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  webRoot = await mkdtemp(path.join(tmpdir(), 'criod-pf-'));
  await writeFile(path.join(webRoot, 'index.html'), 'hello from the pod\n');
  await writeFile(path.join(webRoot, 'big.bin'), bigFile);
  httpd = spawn('nsenter', [`--net=${netnsPath()}`, '/bin/busybox', 'httpd', '-f', '-p', '127.0.0.1:8080', '-h', webRoot], { stdio: 'ignore' });
  // Ready when it accepts connections inside the namespace (nc with stdin at EOF exits at once).
  const up = await eventually(async () => {
    const probe = spawn('nsenter', [`--net=${netnsPath()}`, '/bin/busybox', 'nc', '127.0.0.1', '8080'], { stdio: 'ignore' });
    const [code] = (await once(probe, 'exit')) as [number | null];
    return code === 0;
  });
  if (!up) throw new Error(`httpd did not come up in ${netns}`);
});

afterEach(async () => {
  for (const c of connections.splice(0)) c.destroy();
  if (httpd && httpd.exitCode === null && httpd.signalCode === null) {
    const exited = once(httpd, 'exit');
    httpd.kill('SIGKILL');
    await exited;
  }
  await run('ip', ['netns', 'del', netns]).catch(() => undefined);
  await rm(webRoot, { recursive: true, force: true });
});

async function forward(port: number): Promise<Duplex> {
  const c = await portForward(sandbox(), port);
  connections.push(c);
  return c;
}

/** Send a request, half-close, read to the end: the answer, or the stream's error. */
async function request(c: Duplex, text: string): Promise<{ data: Buffer; error?: Error }> {
  const chunks: Buffer[] = [];
  c.end(text);
  try {
    for await (const chunk of c) chunks.push(chunk as Buffer);
    return { data: Buffer.concat(chunks) };
  } catch (err) {
    return { data: Buffer.concat(chunks), error: err as Error };
  }
}

const get = (file: string) => `GET /${file} HTTP/1.0\r\nHost: pod\r\n\r\n`;
const body = (response: Buffer) => response.subarray(response.indexOf('\r\n\r\n') + 4);

/** PIDs of this process's children running busybox nc (the relays). */
async function relays(): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) !== process.pid || fields[0] === 'Z') continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0] === '/bin/busybox' && argv[1] === 'nc') found.push(Number(entry));
  }
  return found;
}

describe('port-forward into a pod network namespace', () => {
  it('reaches a server listening only on the pod loopback', async () => {
    const { data, error } = await request(await forward(8080), get('index.html'));
    expect(error).toBeUndefined();
    expect(data.toString()).toMatch(/^HTTP\/1\.[01] 200 OK/);
    expect(body(data).toString()).toBe('hello from the pod\n');
  });

  it('moves a 4 MiB file intact, on several connections at once', async () => {
    const answers = await Promise.all([1, 2, 3].map(async () => request(await forward(8080), get('big.bin'))));
    for (const { data, error } of answers) {
      expect(error).toBeUndefined();
      expect(body(data).equals(bigFile)).toBe(true);
    }
  });

  it("ends the stream with nc's error for a port nobody listens on", async () => {
    const { data, error } = await request(await forward(9), 'hello');
    expect(data.length).toBe(0);
    expect(error?.message).toMatch(/^relay to pod1:9 failed: .*(refused|failed|exit status)/);
  });

  it('kills the relay when the connection is destroyed mid-stream', async () => {
    const c = await forward(8080);
    c.write('GET / HTTP/1.0\r\n'); // half a request: httpd waits for the rest, the relay stays up
    expect(await eventually(async () => (await relays()).length === 1)).toBe(true);
    const [relay] = await relays();
    c.destroy();
    expect(await eventually(async () => !(await relays()).includes(relay!))).toBe(true);
  });

  it('refuses a port outside 1-65535 and a pod without network namespace', async () => {
    await expect(portForward(sandbox(), 0)).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(portForward(sandbox(), 65536)).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(portForward({ ...sandbox(), namespaces: [] }, 8080)).rejects.toMatchObject({
      code: 'FailedPrecondition',
      message: expect.stringContaining('no network namespace'),
    });
  });
});

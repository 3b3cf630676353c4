/**
 * Starts a real criod for a test: its own temp root, runroot, socket, CNI conf dir and netns dir,
 * so runs never clash, and everything is removed at stop even when the test failed.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMountinfo } from '@criod/core';
import { connectCri, type CriClient } from '@criod/cri-grpc';
import { socketAnswers, unhandledErrorMessages } from 'criod';
import { execa, type ResultPromise } from 'execa';
import { stringify as toToml } from 'smol-toml';

export const criodBin = fileURLToPath(new URL('../../apps/criod/bin/criod.js', import.meta.url));

export interface CriodInstance {
  dir: string;
  socket: string;
  configPath: string;
  client: CriClient;
  /** PID of the running daemon (undefined while stopped), for /proc checks. */
  pid(): number | undefined;
  /** stderr of the daemon so far (JSON log lines). */
  logs(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | undefined>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Start criod again on the same dirs and config. */
  restart(): Promise<void>;
  /** Stop criod (if running) and remove its dirs; then fail if it logged an unhandled rejection or uncaught exception. */
  cleanup(): Promise<void>;
}

export interface CriodOptions {
  /** Extra config sections merged over the test defaults; a section given as undefined is left out. */
  config?: Record<string, unknown>;
  /** Flags for node itself, before the script (e.g. V8 options a bench compares). */
  nodeArgs?: string[];
  /** Variables added to criod's environment (e.g. GLIBC_TUNABLES). */
  env?: Record<string, string>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The config a test criod runs with: everything under its own temp dir. */
export function testConfig(dir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    log_level: 'debug',
    listen: `unix://${dir}/criod.sock`,
    root: join(dir, 'root'),
    runroot: join(dir, 'run'),
    namespace: { netns_dir: join(dir, 'netns') },
    network: { conf_dir: join(dir, 'cni', 'net.d'), plugin_dirs: [join(dir, 'cni', 'bin'), '/usr/lib/cni', '/opt/cni/bin'] },
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) {
      delete base[k];
      continue;
    }
    const old = base[k];
    base[k] = typeof old === 'object' && old !== null && typeof v === 'object' && v !== null ? { ...old, ...v } : v;
  }
  return base;
}

/** The log lines where criod reported an error nothing handled. */
export function unhandledErrors(logs: string): string[] {
  const messages: string[] = Object.values(unhandledErrorMessages);
  return logs.split('\n').filter((line) => {
    try {
      return messages.includes((JSON.parse(line) as { msg?: unknown }).msg as string);
    } catch {
      return false; // not JSON: Node's own output, e.g. the stack it prints before exiting
    }
  });
}

/** Mount points at or below a dir, deepest first, from /proc/self/mountinfo. */
export function mountsBelow(dir: string): string[] {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'))
    .map((m) => m.mountPoint)
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

export async function unmountBelow(dir: string): Promise<void> {
  // Twice: a bind-mounted dir can be mounted over itself more than once.
  for (let round = 0; round < 2; round++) {
    for (const m of mountsBelow(dir)) await execa('umount', ['-l', m], { reject: false });
  }
}

export async function startCriod(options: CriodOptions = {}): Promise<CriodInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'criod-e2e-'));
  mkdirSync(join(dir, 'cni', 'net.d'), { recursive: true });
  const configPath = join(dir, 'criod.toml');
  writeFileSync(configPath, toToml(testConfig(dir, options.config)));
  const socket = join(dir, 'criod.sock');
  let proc: ResultPromise | undefined;
  let stderr = '';
  let previousLogs = '';

  const launch = async () => {
    stderr = '';
    // <dir>/bin comes first in criod's PATH: a test puts wrappers of the tools criod runs there (read at each start).
    const env = { ...options.env, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` };
    const p = execa('node', [...(options.nodeArgs ?? []), criodBin, '--config', configPath], {
      reject: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      cleanup: true,
      env,
    });
    proc = p;
    p.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    let exited = false;
    void p.then(() => {
      exited = true;
    });
    await waitFor('criod to listen', async () => {
      if (exited) throw new Error(`criod exited during startup:\n${stderr}`);
      return socketAnswers(socket);
    });
  };

  const stopProc = async (signal: NodeJS.Signals) => {
    const p = proc;
    if (!p) return undefined;
    proc = undefined;
    p.kill(signal);
    const r = await p;
    previousLogs += stderr;
    stderr = '';
    return r.exitCode;
  };

  await launch();
  const client = connectCri(socket);
  return {
    dir,
    socket,
    configPath,
    client,
    pid: () => proc?.pid,
    logs: () => previousLogs + stderr,
    stop: () => stopProc('SIGTERM'),
    kill: async () => {
      await stopProc('SIGKILL');
    },
    restart: launch,
    cleanup: async () => {
      client.close();
      await stopProc('SIGTERM');
      await unmountBelow(dir);
      rmSync(dir, { recursive: true, force: true });
      const errors = unhandledErrors(previousLogs + stderr);
      if (errors.length > 0) throw new Error(`criod logged ${errors.length} unhandled error(s):\n${errors.join('\n')}`);
    },
  };
}

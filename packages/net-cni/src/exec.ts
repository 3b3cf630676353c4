/**
 * Running one CNI plugin binary: env per the spec, config on stdin, result or error on stdout.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { DeadlineExceededError, execCommand, FailedPreconditionError, InternalError } from '@criod/core';

export type CniCommand = 'ADD' | 'CHECK' | 'DEL';

/** The first executable `<dir>/<type>` of the plugin dirs, or undefined. */
export async function findPlugin(type: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const path = join(dir, type);
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // next dir
    }
  }
  return undefined;
}

export function missingPluginError(type: string, network: string, dirs: readonly string[]): FailedPreconditionError {
  return new FailedPreconditionError(`CNI plugin binary "${type}" (network ${network}) not found in ${dirs.join(', ')}`);
}

export interface InvokeOptions {
  command: CniCommand;
  /** Plugin type, for messages. */
  type: string;
  /** Network name, for messages. */
  network: string;
  pluginPath: string;
  containerId: string;
  netns: string;
  ifName: string;
  cniArgs: [string, string][];
  pluginDirs: readonly string[];
  /** The exact JSON fed on stdin. */
  stdin: string;
  timeoutMs: number;
}

/** "K=V;K=V", the CNI_ARGS form. */
export function formatCniArgs(args: [string, string][]): string {
  return args.map(([k, v]) => `${k}=${v}`).join(';');
}

function pluginEnv(o: InvokeOptions): Record<string, string> {
  const env: Record<string, string> = {};
  // The plugin inherits the daemon's env (PATH for iptables & co) minus any stray CNI_ vars.
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('CNI_')) env[k] = v;
  }
  env.CNI_COMMAND = o.command;
  env.CNI_CONTAINERID = o.containerId;
  env.CNI_NETNS = o.netns;
  env.CNI_IFNAME = o.ifName;
  env.CNI_PATH = o.pluginDirs.join(':');
  env.CNI_ARGS = formatCniArgs(o.cniArgs);
  return env;
}

function describe(o: InvokeOptions): string {
  return `CNI plugin ${o.type} failed (${o.command}, network ${o.network})`;
}

/** The message of a CNI error object, `msg: details`; undefined if `out` is none. */
export function cniErrorMessage(out: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(out);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const e = parsed as { code?: unknown; msg?: unknown; details?: unknown };
  if (typeof e.msg !== 'string' && typeof e.code !== 'number') return undefined;
  const msg = typeof e.msg === 'string' && e.msg !== '' ? e.msg : `error code ${String(e.code)}`;
  return typeof e.details === 'string' && e.details !== '' ? `${msg}: ${e.details}` : msg;
}

function tail(text: string, max = 2000): string {
  const t = text.trim();
  return t.length > max ? `…${t.slice(-max)}` : t;
}

/**
 * Run the plugin. ADD resolves with the parsed result object; CHECK and DEL with undefined.
 * A failure rejects with the plugin's own message (from its CNI error JSON, else its stderr).
 */
export async function invokePlugin(o: InvokeOptions): Promise<Record<string, unknown> | undefined> {
  const r = await execCommand(o.pluginPath, [], { input: o.stdin, env: pluginEnv(o), cwd: '/', timeoutMs: o.timeoutMs, killSignal: 'SIGKILL' });
  if (r.timedOut) {
    throw new DeadlineExceededError(`${describe(o)}: timed out after ${o.timeoutMs / 1000}s and was killed`);
  }
  if (r.exitCode !== 0) {
    const fromJson = cniErrorMessage(r.stdout) ?? cniErrorMessage(r.stderr);
    if (fromJson !== undefined) throw new InternalError(`${describe(o)}: ${fromJson}`);
    if (r.exitCode === undefined) {
      // spawn failure or killed by a signal
      const why = r.signal ? `killed by ${r.signal}` : (r.error ?? 'it did not run');
      throw new InternalError(`${describe(o)}: ${why}${r.stderr ? `: ${tail(r.stderr)}` : ''}`);
    }
    const text = tail(r.stderr) || tail(r.stdout);
    throw new InternalError(`${describe(o)}: exit code ${r.exitCode}${text ? `: ${text}` : ''}`);
  }
  if (o.command !== 'ADD') return undefined;
  let result: unknown;
  try {
    result = JSON.parse(r.stdout);
  } catch {
    throw new InternalError(`CNI plugin ${o.type} returned an invalid result (ADD, network ${o.network}): ${tail(r.stdout, 500) || '(empty output)'}`);
  }
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new InternalError(`CNI plugin ${o.type} returned an invalid result (ADD, network ${o.network}): not a JSON object`);
  }
  return result as Record<string, unknown>;
}

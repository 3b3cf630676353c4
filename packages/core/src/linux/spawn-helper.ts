/**
 * A resident helper that runs short-lived commands (runc, CNI plugins) for criod. Spawning from
 * Node forks the whole daemon: the page tables of its heap are copied, every page it writes
 * afterwards takes a copy-on-write fault, and the event loop waits until the child has exec'd —
 * 5-10 ms of daemon CPU per command and up to tens of ms of a blocked event loop on a loaded
 * node, several times per pod. A small Perl process forks in well under a millisecond and runs
 * any number of commands at once. Where it cannot run (no perl, CRIOD_SPAWN_HELPER=off)
 * `spawnHelper()` answers undefined and execCommand spawns directly.
 */
import { constants } from 'node:os';
import { findExecutable } from '../which.js';
import { ResidentPerl } from './resident-perl.js';
import { SPAWN_HELPER_SCRIPT } from './spawn-helper-script.js';

export interface SpawnRequest {
  file: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Written to stdin, which is then closed; undefined closes it at once. */
  input: string | undefined;
  /** 0 = none. */
  timeoutMs: number;
  killSignal: NodeJS.Signals;
  /** Per stream. */
  maxBuffer: number;
}

export interface SpawnOutcome {
  /** undefined when the command did not exit by itself or could not run. */
  exitCode: number | undefined;
  signal: NodeJS.Signals | undefined;
  timedOut: boolean;
  /** Why it could not run (`spawn <file> ENOENT`) or why its output was cut. */
  error: string | undefined;
  stdout: string;
  stderr: string;
}

/** How long past a command's own timeout (or at all, without one) the helper may stay silent before it counts as stuck. */
const stuckAfterMs = 120_000;

const errnoNames = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));
const signalNames = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));
const hex = (text: string) => Buffer.from(text).toString('hex');
const unhex = (text: string | undefined) => Buffer.from(text ?? '', 'hex').toString('utf8');

export class SpawnHelper {
  private readonly process: ResidentPerl;

  constructor(perl: string) {
    this.process = new ResidentPerl(perl, SPAWN_HELPER_SCRIPT, [], (code, why) => Object.assign(new Error(`the spawn helper ${why}`), { code }));
  }

  async run(req: SpawnRequest): Promise<SpawnOutcome> {
    const env = Object.entries(req.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    const fields = [
      hex(req.file),
      hex(req.cwd),
      String(req.timeoutMs),
      String(constants.signals[req.killSignal]),
      String(req.maxBuffer),
      String(env.length),
      ...env.map(hex),
      String(req.args.length),
      ...req.args.map(hex),
      req.input === undefined ? '0' : '1',
      hex(req.input ?? ''),
    ];
    const [code, signal, timedOut, error, stdout, stderr] = await this.process.request(fields, req.timeoutMs + stuckAfterMs);
    return {
      exitCode: code === '' || code === undefined ? undefined : Number(code),
      signal: signal === '0' ? undefined : signalNames.get(Number(signal)),
      timedOut: timedOut === '1',
      error: describeError(req.file, unhex(error)),
      stdout: unhex(stdout),
      stderr: unhex(stderr),
    };
  }

  close(): void {
    this.process.close();
  }
}

/** The helper's "errno <n>" / "maxbuffer <stream>" in the words Node's execFile uses. */
function describeError(file: string, error: string): string | undefined {
  if (error === '') return undefined;
  const errno = /^errno (\d+)$/.exec(error);
  if (errno) return `spawn ${file} ${errnoNames.get(Number(errno[1])) ?? `errno ${errno[1]}`}`;
  const cut = /^maxbuffer (out|err)$/.exec(error);
  if (cut) return `std${cut[1]} maxBuffer length exceeded`;
  return error;
}

/** A helper of its own (tests); undefined where none can run. */
export async function newSpawnHelper(): Promise<SpawnHelper | undefined> {
  if (process.platform !== 'linux' || process.env.CRIOD_SPAWN_HELPER === 'off') return undefined;
  const perl = await findExecutable('perl');
  return perl ? new SpawnHelper(perl) : undefined;
}

let shared: Promise<SpawnHelper | undefined> | undefined;

/** The process's helper, or undefined where it cannot run (then spawn directly). */
export function spawnHelper(): Promise<SpawnHelper | undefined> {
  shared ??= newSpawnHelper();
  return shared;
}

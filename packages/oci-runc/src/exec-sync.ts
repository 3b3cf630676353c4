import type { Readable } from 'node:stream';
import { DeadlineExceededError, type ExecSyncResult } from '@criod/core';
import { ExecSession } from './exec-session.js';
import type { RuntimeContext } from './runtime-context.js';

/** After the process ended, a child it left behind may still hold stdout; we stop reading then. */
const outputGraceMs = 1_000;
/**
 * Output kept per stream: both together stay inside kubelet's 16 MiB CRI message limit; the
 * rest is read and dropped so the command never blocks on a full pipe.
 */
const EXEC_SYNC_OUTPUT_MAX = 8 * 1024 * 1024;
const truncationNote = (max: number) => Buffer.from(`\n[criod: output truncated at ${max} bytes]\n`);
/**
 * A command that cannot be started (missing, not executable) is the command's failure, not the
 * runtime's: answered as a shell and `docker exec` do, exit code 126 with runc's reason on stderr.
 */
const CANNOT_START_EXIT_CODE = 126;
const cannotStart = /unable to start container process: exec: |executable file not found/;
/** conmon's own timer, only for when criod dies mid-exec (it fires on whole seconds, so not ours). */
const backstopExtraSeconds = 2;

/**
 * Run a command in the container and collect its output. At the timeout (0 = none) the
 * process group of the command is killed and DeadlineExceeded is raised.
 */
export async function execSync(ctx: RuntimeContext, id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
  const started = Date.now();
  const session = await ExecSession.start(ctx, id, cmd, {
    stdin: false,
    backstopSeconds: timeoutSeconds > 0 ? timeoutSeconds + backstopExtraSeconds : 0,
  });
  const stdout = collect(session.stdout);
  const stderr = collect(session.stderr);
  let timedOut = false;
  const timer =
    timeoutSeconds > 0
      ? setTimeout(
          () => {
            timedOut = true;
            session.kill();
          },
          Math.max(0, timeoutSeconds * 1000 - (Date.now() - started)),
        )
      : undefined;
  try {
    let startFailure: string | undefined;
    const exitCode = await session.exitCode.catch((err: Error) => {
      if (!cannotStart.test(err.message)) throw err;
      startFailure = err.message;
      return CANNOT_START_EXIT_CODE;
    });
    const [out, err] = await Promise.all([stdout.result(outputGraceMs), stderr.result(outputGraceMs)]);
    if (startFailure !== undefined) return { stdout: Buffer.alloc(0), stderr: Buffer.from(`${startFailure}\n`), exitCode };
    if (timedOut) throw new DeadlineExceededError(`exec ${JSON.stringify(cmd)} in container ${id} timed out after ${timeoutSeconds}s and was killed`);
    return { stdout: out, stderr: err, exitCode };
  } finally {
    clearTimeout(timer);
    session.kill();
    await session.cleanup();
  }
}

/**
 * Buffers a stream up to `max` bytes; result() waits for its end, at most graceMs more, then
 * stops reading.
 */
function collect(stream: Readable, max = EXEC_SYNC_OUTPUT_MAX): { result(graceMs: number): Promise<Buffer> } {
  const chunks: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  const ended = new Promise<void>((resolve) => {
    stream.on('data', (c: Buffer) => {
      if (kept + c.length > max) truncated = true;
      const take = Math.min(c.length, max - kept);
      if (take > 0) chunks.push(take === c.length ? c : c.subarray(0, take));
      kept += take;
    });
    stream.once('close', resolve);
    stream.once('end', resolve);
    stream.once('error', () => resolve());
  });
  return {
    async result(graceMs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
      stream.destroy();
      if (truncated) chunks.push(truncationNote(max));
      return Buffer.concat(chunks);
    },
  };
}

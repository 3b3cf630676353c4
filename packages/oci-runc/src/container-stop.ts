import { constants } from 'node:os';
import { CriodError, DeadlineExceededError, FailedPreconditionError, NotFoundError } from '@criod/core';
import { readMeta, type ContainerMeta } from './bundle.js';
import { processStartTime, signalProcess, waitGone } from './processes.js';
import type { RuntimeContext } from './runtime-context.js';
import { parseSignal } from './signals.js';

/** After SIGKILL the exit comes within milliseconds unless a process is stuck in the kernel. */
const killWaitMs = 10_000;
/** When runc says the container is not running any more, conmon is about to write its exit. */
const notRunningWaitMs = 2_000;

/**
 * Send the stop signal, wait up to timeoutSeconds for the exit file, then SIGKILL every process of
 * the container; timeout 0 kills at once. A stopped or unknown container is not an error.
 */
export async function stopContainer(ctx: RuntimeContext, id: string, timeoutSeconds: number, stopSignal: string): Promise<void> {
  const signal = parseSignal(stopSignal);
  const files = ctx.layout.container(id);
  const meta = await readMeta(files);
  if (!meta || (!meta.unmonitored && (await ctx.exits.read(id)))) return;
  const runc = ctx.runc(meta.handler);
  const deliver = (sig: number, all: boolean) => signalContainer(ctx, id, meta, sig, all);
  // conmon's exit file, or for a container without a monitor its init leaving /proc.
  const exited = async (ms: number) => (meta.unmonitored ? waitGone(meta.pid, ms, 5) : Boolean(await ctx.exits.wait(id, ms)));

  if (timeoutSeconds > 0 && signal !== constants.signals.SIGKILL) {
    const delivered = await deliver(signal, false);
    if (await exited(delivered ? timeoutSeconds * 1000 : notRunningWaitMs)) return;
    ctx.logger.info({ id, timeoutSeconds, signal }, 'container ignored its stop signal, killing it');
  }
  const delivered = await deliver(constants.signals.SIGKILL, true);
  if (await exited(delivered ? killWaitMs : notRunningWaitMs)) return;

  const state = await runc.state(id);
  if (!state || state.status === 'stopped') return;
  throw new DeadlineExceededError(`container ${id} is still ${state.status} ${killWaitMs / 1000}s after SIGKILL`);
}

/**
 * Signal the container's init, or with `all` every process of the container; false when it is
 * not running any more (nothing to signal). The init is signalled directly when its PID and start
 * time still name it, which saves a runc spawn: always for the init alone, and for `all` when the
 * container has a PID namespace of its own (the kernel then ends every process in it). Otherwise
 * `runc kill`, which walks the cgroup.
 */
async function signalContainer(ctx: RuntimeContext, id: string, meta: ContainerMeta, signal: number, all: boolean): Promise<boolean> {
  if (meta.pid > 0 && meta.startTime !== undefined && (!all || meta.ownPidNamespace)) {
    if ((await processStartTime(meta.pid)) !== meta.startTime) return false;
    signalProcess(meta.pid, signal);
    return true;
  }
  try {
    await ctx.runc(meta.handler).kill(id, signal, all);
    return true;
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof FailedPreconditionError) return false;
    if (err instanceof CriodError && /process already finished|no such process/i.test(err.message)) return false;
    throw err;
  }
}

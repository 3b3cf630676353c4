import { access } from 'node:fs/promises';
import { FailedPreconditionError, NotFoundError, type InteractiveOptions, type InteractiveProcess } from '@criod/core';
import { AttachBridge } from './attach-bridge.js';
import { requireMeta } from './bundle.js';
import { resizeTerminal } from './control.js';
import { ExecSession } from './exec-session.js';
import { execWithTerminal } from './exec-tty.js';
import type { RuntimeContext } from './runtime-context.js';

/** An interactive exec; without a tty its stdio are plain pipes to the process (conmon passthrough). */
export async function execInteractive(ctx: RuntimeContext, id: string, cmd: string[], options: InteractiveOptions): Promise<InteractiveProcess> {
  if (options.tty) return execWithTerminal(ctx, id, cmd, options.stdin);
  const session = await ExecSession.start(ctx, id, cmd, { stdin: options.stdin, backstopSeconds: 0 });
  try {
    await session.pid;
  } catch (err) {
    await session.cleanup();
    throw err;
  }
  return {
    stdin: session.stdin,
    stdout: session.stdout,
    stderr: session.stderr,
    resize() {
      // No terminal, nothing to resize.
    },
    wait: () => session.exitCode,
    async close() {
      session.kill();
      session.destroyStreams();
      await session.cleanup();
    },
  };
}

/** How often wait() looks for the exit between watcher wake-ups; it waits as long as the container runs. */
const exitWaitSliceMs = 60_000;

/** Attach to the container's own stdio through conmon's attach socket. */
export async function attachContainer(ctx: RuntimeContext, id: string, options: InteractiveOptions): Promise<InteractiveProcess> {
  const files = ctx.layout.container(id);
  const meta = await requireMeta(id, files);
  if (options.stdin && !meta.stdin) throw new FailedPreconditionError(`attach to container ${id}: it was created without stdin`);
  if (await ctx.exits.read(id)) throw new FailedPreconditionError(`attach to container ${id}: it is not running`);
  const bridge = await AttachBridge.connect(files.attach, options.stdin);
  const waitForExit = async (): Promise<number> => {
    for (;;) {
      const exit = await ctx.exits.wait(id, exitWaitSliceMs);
      if (exit) return exit.exitCode;
      try {
        await access(files.bundle);
      } catch {
        throw new NotFoundError(`container ${id} was deleted while attached`);
      }
    }
  };
  return {
    stdin: bridge.stdin,
    stdout: bridge.stdout,
    // With a tty the container has one stream; conmon sends it all as stdout.
    ...(meta.tty ? {} : { stderr: bridge.stderr }),
    resize(width, height) {
      if (!meta.tty) return;
      resizeTerminal(files.ctl, `resize the terminal of container ${id}`, width, height).catch((err: unknown) => {
        ctx.logger.debug({ id, err }, 'terminal resize dropped');
      });
    },
    wait: waitForExit,
    close: () => bridge.close(),
  };
}

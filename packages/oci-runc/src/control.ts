import { constants } from 'node:fs';
import { access, open } from 'node:fs/promises';
import { FailedPreconditionError, InternalError, errnoOf } from '@criod/core';

/** Message types of conmon's control fifo (`ctl` in the bundle), one "<type> <height> <width>\n" line each. */
const controlMessage = { resize: 1, reopenLog: 2 } as const;
type ControlMessage = (typeof controlMessage)[keyof typeof controlMessage];

/** Write one message; the fifo is opened non-blocking so a dead conmon fails fast (ENXIO). */
async function sendControl(ctlPath: string, what: string, type: ControlMessage, height = 0, width = 0): Promise<void> {
  let handle;
  try {
    handle = await open(ctlPath, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENXIO' || code === 'ENOENT') throw new FailedPreconditionError(`${what}: the container's conmon is not running (${ctlPath})`);
    throw new InternalError(`${what}: cannot open ${ctlPath}: ${(err as Error).message}`, { cause: err });
  }
  try {
    await handle.write(`${type} ${height} ${width}\n`);
  } finally {
    await handle.close();
  }
}

/** conmon accepts sizes up to 1000 rows/columns; larger ones are clamped rather than dropped. */
function clampSize(n: number): number {
  return Math.max(0, Math.min(1000, Math.trunc(n)));
}

export async function resizeTerminal(ctlPath: string, what: string, width: number, height: number): Promise<void> {
  await sendControl(ctlPath, what, controlMessage.resize, clampSize(height), clampSize(width));
}

/** How long conmon may take to create the new log file after being told to reopen it. */
const reopenWaitMs = 5_000;

/** Tell conmon to reopen the log (kubelet renamed it away) and wait until the new file exists. */
export async function reopenLog(ctlPath: string, logPath: string, what: string): Promise<void> {
  await sendControl(ctlPath, what, controlMessage.reopenLog);
  const deadline = Date.now() + reopenWaitMs;
  for (;;) {
    try {
      await access(logPath);
      return;
    } catch {
      if (Date.now() >= deadline) throw new InternalError(`${what}: conmon did not reopen ${logPath} within ${reopenWaitMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

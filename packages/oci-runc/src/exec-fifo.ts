import { constants, open } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Socket } from 'node:net';
import { promisify } from 'node:util';
import { DeadlineExceededError, FailedPreconditionError, isNotFound } from '@criod/core';

const openFd = promisify(open);
/** runc's init checks on the created container this often while it waits, as `runc start` does. */
const initCheckIntervalMs = 100;

/**
 * What `runc start` does, without spawning runc (a Go binary: ~30-60 ms under load, most of
 * StartContainer). runc 1.x parks a created container's init in open(2) of <root>/<id>/exec.fifo for
 * writing; `runc start` opens it for reading, reads the byte init writes, waits for the write end to
 * close (init execs the user's process, the fd is close-on-exec) and removes the fifo, which is how
 * `runc state` tells "running" from "created". `initAlive` guards against an init that died before
 * it opened the fifo (no writer would ever come), checked every 100 ms like runc does.
 *
 * Resolves false when there is no fifo (the container is not a created runc 1.x container): the caller
 * then runs `runc start`, whose error message is the one to show.
 */
export async function startThroughExecFifo(fifoPath: string, initAlive: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  let fd: number;
  try {
    // Non-blocking, so the open returns at once whether or not init has reached its open yet; the
    // pipe handle polls it, and a FIFO reports no hang-up before a writer has come.
    // A raw fd, not a FileHandle: the socket owns and closes it (libuv opens close-on-exec).
    fd = await openFd(fifoPath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  const fifo = new Socket({ fd, readable: true, writable: false });
  let released = false;
  let check: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      fifo.on('data', () => (released = true));
      fifo.on('end', () => (released ? resolve() : reject(new FailedPreconditionError('container process is already dead'))));
      fifo.on('error', reject);
      const checkInit = async () => {
        if (released) return;
        if (!(await initAlive())) return reject(new FailedPreconditionError('container process is already dead'));
        if (Date.now() >= deadline) return reject(new DeadlineExceededError(`container init did not open ${fifoPath} in ${timeoutMs / 1000}s`));
        check = setTimeout(() => void checkInit().catch(reject), initCheckIntervalMs);
      };
      check = setTimeout(() => void checkInit().catch(reject), initCheckIntervalMs);
    });
  } finally {
    clearTimeout(check);
    fifo.destroy();
  }
  await unlink(fifoPath).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
  return true;
}

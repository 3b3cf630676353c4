import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadlineExceededError, FailedPreconditionError } from '@criod/core';
import { startThroughExecFifo } from './exec-fifo.js';

/** The init's side of runc's handshake: open the fifo for writing (blocks until a reader), write, close. */
async function initWrites(fifo: string, data: string): Promise<void> {
  const handle = await open(fifo, 'w');
  if (data) await handle.write(data);
  await handle.close();
}

describe('startThroughExecFifo', () => {
  let dir: string;
  let fifo: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'criod-fifo-'));
    fifo = join(dir, 'exec.fifo');
    execFileSync('mkfifo', [fifo]);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('releases an init that opens the fifo before or after the reader, and removes the fifo', async () => {
    const init = initWrites(fifo, '0');
    await expect(startThroughExecFifo(fifo, async () => true, 5000)).resolves.toBe(true);
    await init;
    expect(existsSync(fifo)).toBe(false);

    execFileSync('mkfifo', [fifo]);
    const started = startThroughExecFifo(fifo, async () => true, 5000);
    await new Promise((r) => setTimeout(r, 150));
    await initWrites(fifo, '0');
    await expect(started).resolves.toBe(true);
    expect(existsSync(fifo)).toBe(false);
  });

  it('answers false without a fifo, so the caller runs `runc start`', async () => {
    rmSync(fifo);
    await expect(startThroughExecFifo(fifo, async () => true, 5000)).resolves.toBe(false);
  });

  it('fails when the init died before it opened the fifo, and leaves the fifo', async () => {
    await expect(startThroughExecFifo(fifo, async () => false, 5000)).rejects.toThrow(FailedPreconditionError);
    expect(existsSync(fifo)).toBe(true);
  });

  it('fails when the writer closes without writing (nothing was waiting to start)', async () => {
    const init = initWrites(fifo, '');
    await expect(startThroughExecFifo(fifo, async () => true, 5000)).rejects.toThrow(FailedPreconditionError);
    await init;
  });

  it('gives up after the timeout when a live init never opens the fifo', async () => {
    await expect(startThroughExecFifo(fifo, async () => true, 250)).rejects.toThrow(DeadlineExceededError);
  });
});

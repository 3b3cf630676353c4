import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { FailedPreconditionError, findExecutable, InternalError } from '@criod/core';

/**
 * Shipped in the package (see "files" and "exports" in package.json); found through the package's
 * name, not this file's place, so it is found from criod's bundle too.
 */
const bridgeScript = createRequire(import.meta.url).resolve('@criod/oci-runc/bridge/attach-bridge.pl');

/**
 * A connection to a conmon attach socket. conmon only offers SOCK_SEQPACKET, which Node's net
 * module cannot open, so a small perl helper (perl-base is part of every Debian) holds the socket
 * and turns it into plain pipes: container stdout and stderr apart, our writes to its stdin.
 */
export class AttachBridge {
  readonly stdin: Writable | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves when the helper ended: conmon closed the socket, or we closed the bridge. */
  readonly ended: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.stdin = child.stdin ?? undefined;
    this.stdout = child.stdout as Readable;
    this.stderr = child.stderr as Readable;
    this.ended = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  }

  /** Connect to the socket; rejects with FailedPrecondition when nobody listens (conmon gone). */
  static async connect(socketPath: string, forwardStdin: boolean): Promise<AttachBridge> {
    const perl = await findExecutable('perl');
    if (!perl) throw new FailedPreconditionError("attach needs perl to reach conmon's seqpacket socket: install it (Debian: apt-get install perl-base)");
    const child = spawn(perl, [bridgeScript, dirname(socketPath), basename(socketPath), forwardStdin ? '1' : '0'], {
      stdio: [forwardStdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    const diagnostics = child.stdio[3] as Readable;
    const first = await new Promise<string>((resolve) => {
      let text = '';
      diagnostics.setEncoding('utf8');
      diagnostics.on('data', (d: string) => {
        text += d;
        if (text.includes('\n')) resolve(text.trim());
      });
      diagnostics.once('close', () => resolve(text.trim()));
      child.once('error', (err) => resolve(err.message));
    });
    if (first === 'connected') return new AttachBridge(child);
    child.kill('SIGKILL');
    if (/Connection refused|No such file/i.test(first))
      throw new FailedPreconditionError(`attach: nothing listens on ${socketPath} (the container or exec has ended): ${first}`);
    throw new InternalError(`attach to ${socketPath}: ${first || 'the bridge helper failed'}`);
  }

  /** Detach: end the helper, which closes the socket (conmon then closes stdin unless told to keep it). */
  async close(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.ended;
  }
}

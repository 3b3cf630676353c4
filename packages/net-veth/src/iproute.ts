/**
 * iproute2 as the plugin drives it: `ip` in criod's own network namespace, and `ip -batch` inside
 * a pod's namespace through `nsenter --net=<pin>` (iproute2's `-n` takes only names under
 * /var/run/netns, and criod pins namespaces elsewhere). Several commands go to one process.
 */
import { execa } from 'execa';

/** Time limit of one `ip` process; a hung one fails the pod's call instead of holding it forever. */
const TIMEOUT_MS = 30_000;

export class IpCommandError extends Error {
  override name = 'IpCommandError';

  constructor(
    readonly command: string,
    readonly stderr: string,
  ) {
    super(`${command} failed: ${stderr.trim() || 'no message'}`);
  }

  /**
   * The device named in the command does not exist. "No such device" (ENODEV from the kernel) is
   * the race where `ip` found the device by name and the kernel removed it before the request
   * reached it: a veth whose peer's namespace was just destroyed goes away that way.
   */
  get noSuchDevice(): boolean {
    return /Cannot find device|does not exist|No such device/.test(this.stderr);
  }
}

export class IpRoute {
  constructor(
    /** Absolute path of iproute2's `ip`. */
    readonly ipPath: string,
    /** Absolute path of util-linux's `nsenter`. */
    readonly nsenterPath: string,
  ) {}

  /** `ip <args>` in criod's network namespace; its stdout. */
  run(args: string[]): Promise<string> {
    return this.exec(this.ipPath, args, `ip ${args.join(' ')}`);
  }

  /**
   * Several `ip` commands in one process (`ip -batch -`), in criod's network namespace or, given
   * `netnsPath`, in the one pinned there; its stdout. The batch stops at the first failing command.
   */
  batch(commands: string[][], netnsPath?: string): Promise<string> {
    const lines = commands.map((c) => c.join(' '));
    const what = `ip -batch (${lines.join('; ')})${netnsPath ? ` in ${netnsPath}` : ''}`;
    const input = `${lines.join('\n')}\n`;
    if (!netnsPath) return this.exec(this.ipPath, ['-batch', '-'], what, input);
    return this.exec(this.nsenterPath, [`--net=${netnsPath}`, '--', this.ipPath, '-batch', '-'], what, input);
  }

  private async exec(file: string, args: string[], what: string, input?: string): Promise<string> {
    const r = await execa(file, args, { input: input ?? '', reject: false, timeout: TIMEOUT_MS, env: { LC_ALL: 'C' } });
    if (r.timedOut) throw new IpCommandError(what, `killed after ${TIMEOUT_MS / 1000} s`);
    if (r.exitCode !== 0) throw new IpCommandError(what, r.stderr || r.stdout || `exit code ${r.exitCode ?? r.signal}`);
    return r.stdout;
  }
}

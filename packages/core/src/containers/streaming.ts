import type { CoreContext } from '../context.js';
import { InvalidArgumentError } from '../errors.js';
import type { InteractiveOptions, InteractiveProcess } from '../plugins.js';
import { runningContainer } from './exec-sync.js';

export interface StreamRequest {
  containerId: string;
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

function validateStreams(req: StreamRequest): void {
  if (req.tty && req.stderr) throw new InvalidArgumentError('tty and stderr cannot both be requested: a terminal merges stderr into stdout');
  if (!req.stdin && !req.stdout && !req.stderr) throw new InvalidArgumentError('one of stdin, stdout and stderr must be requested');
}

/** Exec: checked before a streaming URL is handed out, so a bad request fails at the RPC. */
export async function prepareExec(ctx: CoreContext, req: StreamRequest & { cmd: string[] }): Promise<string> {
  if (req.cmd.length === 0 || req.cmd[0] === '') throw new InvalidArgumentError('exec command must not be empty');
  validateStreams(req);
  return (await runningContainer(ctx, req.containerId)).id;
}

export async function prepareAttach(ctx: CoreContext, req: StreamRequest): Promise<string> {
  validateStreams(req);
  return (await runningContainer(ctx, req.containerId)).id;
}

export async function execInteractive(ctx: CoreContext, containerId: string, cmd: string[], options: InteractiveOptions): Promise<InteractiveProcess> {
  const c = await runningContainer(ctx, containerId);
  return ctx.plugins.runtime.exec(c.id, cmd, options);
}

export async function attachInteractive(ctx: CoreContext, containerId: string, options: InteractiveOptions): Promise<InteractiveProcess> {
  const c = await runningContainer(ctx, containerId);
  return ctx.plugins.runtime.attach(c.id, options);
}

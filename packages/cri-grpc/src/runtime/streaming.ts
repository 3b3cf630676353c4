import { InvalidArgumentError, type CriService } from '@criod/core';
import type { AttachRequest, AttachResponse, ExecRequest, ExecResponse, PortForwardRequest, PortForwardResponse } from '../gen/runtime/v1/api.js';

interface StreamRequest {
  containerId: string;
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/**
 * Where Exec, Attach and PortForward clients go: the streaming server hands out one-time URLs
 * (asynchronously when it starts at the first request).
 */
export interface StreamingUrls {
  exec(req: StreamRequest & { cmd: string[] }): string | Promise<string>;
  attach(req: StreamRequest): string | Promise<string>;
  portForward(req: { podSandboxId: string; ports: number[] }): string | Promise<string>;
}

export function exec(core: CriService, streaming: StreamingUrls) {
  return async (req: ExecRequest): Promise<ExecResponse> => {
    const containerId = await core.prepareExec(req);
    return { url: await streaming.exec({ containerId, cmd: req.cmd, tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr }) };
  };
}

export function attach(core: CriService, streaming: StreamingUrls) {
  return async (req: AttachRequest): Promise<AttachResponse> => {
    const containerId = await core.prepareAttach(req);
    return { url: await streaming.attach({ containerId, tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr }) };
  };
}

export function portForward(core: CriService, streaming: StreamingUrls) {
  return async (req: PortForwardRequest): Promise<PortForwardResponse> => {
    const podId = core.preparePortForward(req.podSandboxId);
    for (const p of req.port) if (!Number.isInteger(p) || p < 1 || p > 65535) throw new InvalidArgumentError(`port ${p} is not in 1-65535`);
    return { url: await streaming.portForward({ podSandboxId: podId, ports: req.port }) };
  };
}

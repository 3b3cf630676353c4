/**
 * What the streaming server needs from criod: start an exec, attach to a container, open a TCP
 * connection to a port inside a pod. criod implements it with its runtime plugin; tests implement
 * it with host processes and loopback listeners.
 */
import type { Duplex } from 'node:stream';
import type { InteractiveOptions, InteractiveProcess } from '@criod/core';

export interface StreamingBackend {
  exec(containerId: string, cmd: string[], options: InteractiveOptions): Promise<InteractiveProcess>;
  attach(containerId: string, options: InteractiveOptions): Promise<InteractiveProcess>;
  /** A connection to 127.0.0.1:<port> as the pod sees it (the host's for a host-network pod); destroy() closes it. */
  portForward(podSandboxId: string, port: number): Promise<Duplex>;
}

/** The CRI ExecRequest fields the server keeps behind a token. */
export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** The CRI AttachRequest fields the server keeps behind a token. */
export interface AttachRequest {
  containerId: string;
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** The CRI PortForwardRequest fields the server keeps behind a token. */
export interface PortForwardRequest {
  podSandboxId: string;
  /** Ports for WebSocket clients that name none in the query; SPDY clients name theirs per stream. */
  ports: number[];
}

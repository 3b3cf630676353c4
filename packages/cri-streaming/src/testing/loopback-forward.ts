/**
 * A port-forward for tests and the benchmark: a pod's ports are listeners on the host's loopback,
 * found by `hostPortOf`. The streaming server only sees a Duplex, so this exercises the whole
 * protocol side; connecting into a real pod is the runtime plugin's job (oci-runc).
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { StreamingBackend } from '../backend.js';

/** `hostPortOf` answers the loopback port standing in for a pod's port, or throws (e.g. for an unknown pod). */
export function loopbackPortForward(hostPortOf: (podSandboxId: string, port: number) => number): StreamingBackend['portForward'] {
  return async (podSandboxId: string, port: number): Promise<Duplex> => {
    const socket = connect({ host: '127.0.0.1', port: hostPortOf(podSandboxId, port), allowHalfOpen: true });
    await once(socket, 'connect');
    return socket;
  };
}

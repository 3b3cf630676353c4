/**
 * One forwarded connection: the client's data channel on one side, the backend's connection into
 * the pod on the other. Client EOF half-closes the pod connection (the pod still answers); the
 * pod's EOF ends the forward; an abort on either side tears both down. Failures are reported on
 * the error channel as text, as kubelet does.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import { errorMessage, type Logger } from '@criod/core';
import type { StreamingBackend } from '../backend.js';

export interface ForwardChannels {
  /** What the client sends to the pod. */
  fromClient: Readable;
  /** What the pod sends back to the client. */
  toClient: Writable;
  errors: Writable;
}

export async function forwardPort(backend: StreamingBackend, podSandboxId: string, port: number, channels: ForwardChannels, logger: Logger): Promise<void> {
  let failure: string | undefined;
  try {
    const target = await backend.portForward(podSandboxId, port);
    failure = await bridge(channels.fromClient, channels.toClient, target);
  } catch (err) {
    failure = errorMessage(err);
  }
  if (failure === undefined) {
    channels.errors.end();
  } else {
    logger.debug({ podSandboxId, port, err: failure }, 'streaming: port forward failed');
    channels.errors.end(`error forwarding port ${port} to pod ${podSandboxId}: ${failure}`);
  }
  // After a failure the data channel is still open toward the client: finish it too.
  if (!channels.toClient.writableEnded) channels.toClient.end();
}

/** Copy both ways until the pod side is done; resolves with the failure, if any. */
export function bridge(fromClient: Readable, toClient: Writable, target: Duplex): Promise<string | undefined> {
  return new Promise((resolve) => {
    let failure: string | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      fromClient.unpipe(target);
      target.unpipe(toClient);
      target.destroy();
      resolve(failure);
    };
    const fail = (err: Error): void => {
      failure ??= err.message;
      finish();
    };
    target.on('error', fail);
    target.on('close', () => {
      if (target.readableEnded) return;
      failure ??= 'the connection in the pod closed unexpectedly';
      finish();
    });
    // The pod's side reached the client (or the client is gone): the forward is over.
    toClient.on('finish', finish);
    toClient.on('close', finish);
    toClient.on('error', finish);
    // The client's EOF only half-closes the pod connection; its abort ends everything.
    fromClient.on('error', finish);
    fromClient.on('close', () => {
      if (!fromClient.readableEnded) finish();
    });
    target.pipe(toClient);
    fromClient.pipe(target);
  });
}

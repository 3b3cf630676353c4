/**
 * port-forward over WebSocket channels (kubelet's v4.channel.k8s.io flavour): the ports come in
 * the query; port i gets data channel 2i and error channel 2i+1; the server opens each channel
 * with the port as 2 little-endian bytes. One connection per port, all at once; the WebSocket
 * closes when every forward is over.
 */
import type { WebSocket } from 'ws';
import type { Logger } from '@criod/core';
import type { StreamingBackend } from '../backend.js';
import { Base64ChannelProtocol, RemoteCommandProtocol } from '../protocols.js';
import { WebSocketChannels, type ChannelFraming } from '../websocket/channels.js';
import { forwardPort } from './forward.js';

const framings = new Map<string, ChannelFraming>([
  [RemoteCommandProtocol.V4, { base64: false, closeSignals: false }],
  [Base64ChannelProtocol.V4, { base64: true, closeSignals: false }],
  ['', { base64: false, closeSignals: false }],
]);

export const WEBSOCKET_PORT_FORWARD_PROTOCOLS: readonly string[] = [...framings.keys()].filter((p) => p !== '');

export async function serveWebSocketPortForward(
  ws: WebSocket,
  protocol: string,
  ports: number[],
  backend: StreamingBackend,
  podSandboxId: string,
  logger: Logger,
): Promise<void> {
  const framing = framings.get(protocol);
  if (!framing) throw new Error(`unsupported WebSocket protocol "${protocol}"`);
  const channels = new WebSocketChannels(ws, framing);
  const forwards = ports.map(async (port, i) => {
    const data = 2 * i;
    const fromClient = channels.reader(data);
    const toClient = channels.writer(data);
    const errors = channels.writer(data + 1);
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    await Promise.all([channels.send(data, portBytes), channels.send(data + 1, portBytes)]);
    await forwardPort(backend, podSandboxId, port, { fromClient, toClient, errors }, logger);
  });
  await Promise.race([Promise.allSettled(forwards), channels.closed]);
  channels.close();
  await channels.closed;
}

/**
 * exec/attach over WebSocket (kubelet's channel protocols): channels 0 stdin, 1 stdout, 2 stderr,
 * 3 error, 4 resize; the exit status is JSON for v4/v5 and text for older protocols; v5 also sends
 * and understands close signals. A connection without a subprotocol speaks binary channel.k8s.io.
 */
import type { WebSocket } from 'ws';
import { Base64ChannelProtocol, Channel, RemoteCommandProtocol } from '../protocols.js';
import { WebSocketChannels, type ChannelFraming } from '../websocket/channels.js';
import type { CommandChannels } from './run.js';
import type { CommandWants } from './spdy.js';
import { encodeStatus, type MetaStatus } from './status.js';

interface ProtocolTraits extends ChannelFraming {
  jsonStatus: boolean;
}

const traits = new Map<string, ProtocolTraits>([
  [RemoteCommandProtocol.V5, { base64: false, closeSignals: true, jsonStatus: true }],
  [RemoteCommandProtocol.V4, { base64: false, closeSignals: false, jsonStatus: true }],
  [Base64ChannelProtocol.V4, { base64: true, closeSignals: false, jsonStatus: true }],
  [RemoteCommandProtocol.V1, { base64: false, closeSignals: false, jsonStatus: false }],
  [Base64ChannelProtocol.V1, { base64: true, closeSignals: false, jsonStatus: false }],
  ['', { base64: false, closeSignals: false, jsonStatus: false }],
]);

export const WEBSOCKET_REMOTE_COMMAND_PROTOCOLS: readonly string[] = [...traits.keys()].filter((p) => p !== '');

export async function openWebSocketCommandChannels(ws: WebSocket, protocol: string, wants: CommandWants): Promise<CommandChannels> {
  const trait = traits.get(protocol);
  if (!trait) throw new Error(`unsupported WebSocket protocol "${protocol}"`);
  const channels = new WebSocketChannels(ws, trait);
  const stdout = wants.stdout ? channels.writer(Channel.Stdout) : undefined;
  const stderr = wants.stderr && !wants.tty ? channels.writer(Channel.Stderr) : undefined;
  const error = channels.writer(Channel.Error);
  const result: CommandChannels = {
    stdin: wants.stdin ? channels.reader(Channel.Stdin) : undefined,
    stdout,
    stderr,
    resize: wants.tty ? channels.reader(Channel.Resize) : undefined,
    writeStatus: (status: MetaStatus) =>
      new Promise<void>((resolve, reject) => {
        error.once('close', resolve);
        error.end(encodeStatus(status, trait.jsonStatus), (err?: Error | null) => (err ? reject(err) : resolve()));
      }),
    close: () => channels.close(),
    closed: channels.closed,
  };
  // An empty message on the lowest channel we write tells the client the session is up.
  const first = stdout ? Channel.Stdout : stderr ? Channel.Stderr : Channel.Error;
  await channels.send(first, Buffer.alloc(0));
  return result;
}

export { HostProcessBackend, HostContainer, type HostProcessBackendOptions } from './host-backend.js';
export { loopbackPortForward } from './loopback-forward.js';
export { ReceivedData, receive } from './output.js';
export { parseErrorChannel, type RemoteCommandResult } from './status.js';
export {
  ALL_SPDY_REMOTE_COMMAND_PROTOCOLS,
  SpdyPortForwardClient,
  SpdyRemoteCommandClient,
  UpgradeRefusedError,
  connectSpdy,
  type CommandStreamsWanted,
  type ForwardedConnection,
} from './spdy-clients.js';
export { WebSocketPortForwardClient, WebSocketRemoteCommandClient } from './ws-clients.js';
export { childrenMatching, isRunning, openSocketCount } from './processes.js';

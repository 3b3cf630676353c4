/** Subprotocol names of Kubernetes streaming (k8s.io/apimachinery util/remotecommand, util/portforward). */
export const RemoteCommandProtocol = {
  V1: 'channel.k8s.io',
  V2: 'v2.channel.k8s.io',
  V3: 'v3.channel.k8s.io',
  V4: 'v4.channel.k8s.io',
  V5: 'v5.channel.k8s.io',
} as const;

/** WebSocket channel protocols carrying base64 text frames instead of binary ones. */
export const Base64ChannelProtocol = {
  V1: 'base64.channel.k8s.io',
  V4: 'v4.base64.channel.k8s.io',
} as const;

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

/** WebSocket subprotocol of port-forward as SPDY tunnelled in binary WebSocket messages. */
export const SPDY_TUNNEL_PORT_FORWARD_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

/** The SPDY upgrade and its negotiation headers (k8s.io/apimachinery util/httpstream). */
export const SPDY_UPGRADE = 'SPDY/3.1';
export const HEADER_PROTOCOL_VERSION = 'X-Stream-Protocol-Version';
export const HEADER_ACCEPTED_PROTOCOL_VERSIONS = 'X-Accepted-Stream-Protocol-Versions';

/** Stream headers of remotecommand and port-forward streams (k8s.io/api/core/v1). */
export const StreamType = {
  Stdin: 'stdin',
  Stdout: 'stdout',
  Stderr: 'stderr',
  Error: 'error',
  Resize: 'resize',
  Data: 'data',
} as const;
export const HEADER_STREAM_TYPE = 'streamType';
export const HEADER_PORT = 'port';
export const HEADER_REQUEST_ID = 'requestID';

/** WebSocket channel numbers of exec and attach; v5 adds the close signal. */
export const Channel = { Stdin: 0, Stdout: 1, Stderr: 2, Error: 3, Resize: 4, Close: 255 } as const;

export { createStreamingServer, type StreamingServer, type StreamingServerOptions } from './server.js';
export type { AttachRequest, ExecRequest, PortForwardRequest, StreamingBackend } from './backend.js';
export type { MetaStatus, StatusCause } from './remotecommand/status.js';
export { Base64ChannelProtocol, PORT_FORWARD_PROTOCOL, RemoteCommandProtocol, SPDY_TUNNEL_PORT_FORWARD_PROTOCOL } from './protocols.js';
export { SpdySession, type SpdySessionOptions } from './spdy/session.js';
export { SpdyStream, SpdyStreamResetError } from './spdy/stream.js';
export type { SpdyHeaders, HeaderInput } from './spdy/headers.js';

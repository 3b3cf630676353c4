/**
 * The Exec/Attach/PortForward streaming server, started at the first request for a URL: most
 * nodes rarely exec, so an idle daemon loads neither the server nor its SPDY/WebSocket code.
 */
import { type CriService, type Logger } from '@criod/core';
import type { StreamingUrls } from '@criod/cri-grpc';
export interface LazyStreamingOptions {
  address: string;
  port: number;
  core: CriService;
  logger: Logger;
}
export declare class LazyStreamingServer implements StreamingUrls {
  private readonly options;
  private server;
  private closed;
  constructor(options: LazyStreamingOptions);
  /** The running server, started now if it is not yet; a failed start is tried again at the next request. */
  private started;
  private start;
  exec(req: Parameters<StreamingUrls['exec']>[0]): Promise<string>;
  attach(req: Parameters<StreamingUrls['attach']>[0]): Promise<string>;
  portForward(req: Parameters<StreamingUrls['portForward']>[0]): Promise<string>;
  /** Stop the server if it ever started; later requests fail. */
  close(): Promise<void>;
}
//# sourceMappingURL=streaming.d.ts.map

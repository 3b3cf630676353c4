/**
 * The Exec/Attach/PortForward streaming server, started at the first request for a URL: most
 * nodes rarely exec, so an idle daemon loads neither the server nor its SPDY/WebSocket code.
 */
import { InternalError, type CriService, type Logger } from '@criod/core';
import type { StreamingUrls } from '@criod/cri-grpc';
import type { StreamingServer } from '@criod/cri-streaming';

export interface LazyStreamingOptions {
  address: string;
  port: number;
  core: CriService;
  logger: Logger;
}

export class LazyStreamingServer implements StreamingUrls {
  private server: Promise<StreamingServer> | undefined;
  private closed = false;

  constructor(private readonly options: LazyStreamingOptions) {}

  /** The running server, started now if it is not yet; a failed start is tried again at the next request. */
  private started(): Promise<StreamingServer> {
    if (this.closed) return Promise.reject(new InternalError('the streaming server is shut down'));
    this.server ??= this.start().catch((err: unknown) => {
      this.server = undefined;
      const { address, port } = this.options;
      throw new InternalError(`cannot start the streaming server on ${address}:${port}: ${(err as Error).message}`, { cause: err });
    });
    return this.server;
  }

  private async start(): Promise<StreamingServer> {
    const { createStreamingServer } = await import('@criod/cri-streaming');
    const { core, address, port, logger } = this.options;
    return createStreamingServer({
      address,
      port,
      logger,
      backend: {
        exec: (id, cmd, options) => core.exec(id, cmd, options),
        attach: (id, options) => core.attach(id, options),
        portForward: (podId, port) => core.portForward(podId, port),
      },
    });
  }

  async exec(req: Parameters<StreamingUrls['exec']>[0]): Promise<string> {
    return (await this.started()).exec(req);
  }

  async attach(req: Parameters<StreamingUrls['attach']>[0]): Promise<string> {
    return (await this.started()).attach(req);
  }

  async portForward(req: Parameters<StreamingUrls['portForward']>[0]): Promise<string> {
    return (await this.started()).portForward(req);
  }

  /** Stop the server if it ever started; later requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    const server = await this.server?.catch(() => undefined);
    await server?.close();
  }
}

/**
 * The Exec/Attach/PortForward streaming server, started at the first request for a URL: most
 * nodes rarely exec, so an idle daemon loads neither the server nor its SPDY/WebSocket code.
 */
import { InternalError } from '@criod/core';
export class LazyStreamingServer {
  options;
  server;
  closed = false;
  constructor(options) {
    this.options = options;
  }
  /** The running server, started now if it is not yet; a failed start is tried again at the next request. */
  started() {
    if (this.closed) return Promise.reject(new InternalError('the streaming server is shut down'));
    this.server ??= this.start().catch((err) => {
      this.server = undefined;
      const { address, port } = this.options;
      throw new InternalError(`cannot start the streaming server on ${address}:${port}: ${err.message}`, { cause: err });
    });
    return this.server;
  }
  async start() {
    const { createStreamingServer, netnsPortForwarder } = await import('@criod/cri-streaming');
    const { core, address, port, logger } = this.options;
    return createStreamingServer({
      address,
      port,
      logger,
      backend: {
        exec: (id, cmd, options) => core.exec(id, cmd, options),
        attach: (id, options) => core.attach(id, options),
        ...netnsPortForwarder(async (podId) => core.podNetnsPath(podId).netnsPath),
      },
    });
  }
  async exec(req) {
    return (await this.started()).exec(req);
  }
  async attach(req) {
    return (await this.started()).attach(req);
  }
  async portForward(req) {
    return (await this.started()).portForward(req);
  }
  /** Stop the server if it ever started; later requests fail. */
  async close() {
    this.closed = true;
    const server = await this.server?.catch(() => undefined);
    await server?.close();
  }
}
//# sourceMappingURL=streaming.js.map

import { credentials, type CallOptions, type ClientUnaryCall, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { ImageServiceClient, RuntimeServiceClient } from './gen/runtime/v1/api.js';

type UnaryMethod<Req, Res> = (req: Req, metadata: Metadata, options: Partial<CallOptions>, cb: (err: ServiceError | null, res: Res) => void) => ClientUnaryCall;

/** Promise form of every unary method of a generated client. */
export type Promisified<C> = {
  [K in keyof C as C[K] extends UnaryMethod<never, unknown> ? K : never]: C[K] extends UnaryMethod<infer Req, infer Res>
    ? (req: Req, options?: { deadlineMs?: number }) => Promise<Res>
    : never;
};

function promisify<C extends object>(client: C): Promisified<C> {
  return new Proxy(client, {
    get(target, prop) {
      const method = Reflect.get(target, prop) as unknown;
      if (typeof method !== 'function') return method;
      return (req: unknown, options?: { deadlineMs?: number }) =>
        new Promise((resolve, reject) => {
          const callOptions: Partial<CallOptions> = options?.deadlineMs ? { deadline: Date.now() + options.deadlineMs } : {};
          // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
          (method as Function).call(target, req, callOptions, (err: ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res)));
        });
    },
  }) as unknown as Promisified<C>;
}

export interface CriClient {
  runtime: Promisified<RuntimeServiceClient>;
  image: Promisified<ImageServiceClient>;
  /** The raw generated clients, for streaming calls. */
  raw: { runtime: RuntimeServiceClient; image: ImageServiceClient };
  close(): void;
}

export interface CriClientOptions {
  /** Largest message the client accepts (grpc-js: 4 MiB; kubelet raises it to 16 MiB). */
  maxReceiveMessageBytes?: number;
}

/** A CRI client over a unix socket, as crictl or kubelet would connect. */
export function connectCri(socketPath: string, options: CriClientOptions = {}): CriClient {
  const address = `unix://${socketPath}`;
  const channel = options.maxReceiveMessageBytes ? { 'grpc.max_receive_message_length': options.maxReceiveMessageBytes } : {};
  const runtime = new RuntimeServiceClient(address, credentials.createInsecure(), channel);
  const image = new ImageServiceClient(address, credentials.createInsecure(), channel);
  return {
    runtime: promisify(runtime),
    image: promisify(image),
    raw: { runtime, image },
    close() {
      runtime.close();
      image.close();
    },
  };
}

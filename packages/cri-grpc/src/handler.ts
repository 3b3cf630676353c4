import { once } from 'node:events';
import { status as GrpcStatus, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from '@criod/core';
import { requestOverLimit } from './request-limits.js';
import { isInternal, toGrpcError, type GrpcError } from './status-codes.js';

/** What a handler may know about its call beyond the request. */
export interface CallContext {
  /** Aborted when the client cancels or the call's deadline passes. */
  signal: AbortSignal;
}

export type UnaryImpl<Req, Res> = (req: Req, call: CallContext) => Promise<Res> | Res;

/** Told of every finished RPC (streams: when they end): its name, status code and duration. */
export type RpcObserver = (rpc: string, code: GrpcStatus, seconds: number) => void;

/** What a request deserializer yields for bytes that are not the RPC's message. */
class UndecodableRequest {
  constructor(readonly reason: string) {}
}

/**
 * A deserializer that never throws: grpc-js answers a throwing one with INTERNAL, but bytes that
 * do not decode are the caller's error, so the handler answers INVALID_ARGUMENT instead.
 */
export function tolerantDeserializer<Req>(deserialize: (bytes: Buffer) => Req): (bytes: Buffer) => Req | UndecodableRequest {
  return (bytes) => {
    try {
      return deserialize(bytes);
    } catch (err) {
      return new UndecodableRequest((err as Error).message.slice(0, 80));
    }
  };
}

/** The status for a request that did not decode or is over a size limit, or undefined for a good one. */
function refusal(rpc: string, request: unknown): { code: GrpcStatus; details: string } | undefined {
  if (request instanceof UndecodableRequest) {
    return { code: GrpcStatus.INVALID_ARGUMENT, details: `${rpc}: the request is not a valid ${rpc}Request message (${request.reason})` };
  }
  const overLimit = requestOverLimit(request);
  return overLimit ? { code: GrpcStatus.INVALID_ARGUMENT, details: `${rpc}: ${overLimit}` } : undefined;
}

/**
 * Wrap a core call as a grpc-js unary handler: log it with its duration, and turn any thrown
 * error into a gRPC status so a bad request never escapes as a crash.
 */
export function unary<Req, Res>(rpc: string, logger: Logger, impl: UnaryImpl<Req, Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    const refused = refusal(rpc, call.request);
    if (refused) {
      logger.info({ rpc, code: 'INVALID_ARGUMENT' }, refused.details);
      callback(refused);
      return;
    }
    const elapsedMs = stopwatch();
    const context = new UnaryCallContext();
    // grpc-js emits 'cancelled' as every call's stream closes, answered or not: only a call still running is aborted.
    const cancel = () => context.cancel();
    call.once('cancelled', cancel);
    Promise.resolve()
      .then(() => impl(call.request, context))
      .then(
        (res) => {
          call.off('cancelled', cancel);
          logger.debug({ rpc, ms: elapsedMs() }, 'rpc done');
          callback(null, res);
        },
        (err: unknown) => {
          call.off('cancelled', cancel);
          callback(failure(rpc, logger, elapsedMs(), err));
        },
      );
  };
}

/** A unary call's context; its signal is made on first use, since most handlers never look at it. */
class UnaryCallContext implements CallContext {
  private controller: AbortController | undefined;
  private cancelled = false;

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.cancelled) this.controller.abort();
    return this.controller.signal;
  }

  cancel(): void {
    this.cancelled = true;
    this.controller?.abort();
  }
}

function stopwatch(): () => number {
  const started = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - started) / 1e6;
}

/** The status of a failed call, logged: at error level only when it is criod's fault. */
function failure(rpc: string, logger: Logger, ms: number, err: unknown): GrpcError {
  const e = toGrpcError(err);
  const log = isInternal(err) ? logger.error.bind(logger) : logger.info.bind(logger);
  log({ rpc, ms, code: GrpcStatus[e.code], err }, `rpc failed: ${e.details}`);
  return { code: e.code, details: e.details };
}

function unimplementedDetails(rpc: string): string {
  return `${rpc} is not implemented by criod yet`;
}

/** The answer of an RPC that criod does not serve yet: UNIMPLEMENTED naming it. */
export function unimplementedUnary(rpc: string) {
  return (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    callback({ code: GrpcStatus.UNIMPLEMENTED, details: unimplementedDetails(rpc) });
  };
}

export function unimplementedStream(rpc: string) {
  return (call: ServerWritableStream<unknown, unknown>): void => {
    call.emit('error', { code: GrpcStatus.UNIMPLEMENTED, details: unimplementedDetails(rpc) });
  };
}

/** A server-streaming handler that first refuses a request that did not decode or is over a size limit. */
export function streaming<Req, Res>(rpc: string, logger: Logger, impl: (call: ServerWritableStream<Req, Res>) => void) {
  return (call: ServerWritableStream<Req, Res>): void => {
    const refused = refusal(rpc, call.request);
    if (!refused) return impl(call);
    logger.info({ rpc, code: 'INVALID_ARGUMENT' }, refused.details);
    call.emit('error', refused);
  };
}

/**
 * A server-streaming list call (the Stream* RPCs): the items the unary list call answers for the
 * same filter, sent in chunks of at most `maxBytes` encoded and `maxItems` items, so a list larger
 * than one gRPC message still arrives whole. Writes wait for the client when it reads slowly.
 */
export function listStream<Req, Item, Res>(
  rpc: string,
  logger: Logger,
  list: (req: Req) => Promise<Item[]> | Item[],
  encodedSize: (item: Item) => number,
  wrap: (items: Item[]) => Res,
) {
  return (call: ServerWritableStream<Req, Res>): void => {
    const elapsedMs = stopwatch();
    const abort = new AbortController();
    const cancel = () => abort.abort();
    call.once('cancelled', cancel);
    Promise.resolve()
      .then(() => list(call.request))
      .then(async (items) => {
        for (const chunk of chunks(items, encodedSize, chunkLimits)) {
          if (abort.signal.aborted) return;
          if (!call.write(wrap(chunk))) await once(call, 'drain', { signal: abort.signal });
        }
        logger.debug({ rpc, ms: elapsedMs(), items: items.length }, 'rpc done');
        call.off('cancelled', cancel);
        call.end();
      })
      .catch((err: unknown) => {
        if (!abort.signal.aborted) call.emit('error', failure(rpc, logger, elapsedMs(), err));
      });
  };
}

export interface ChunkLimits {
  maxBytes: number;
  maxItems: number;
}

/** 1 MiB: well under the 4 MiB a gRPC client accepts by default, whatever kubelet raised its limit to. */
export const chunkLimits: ChunkLimits = { maxBytes: 1024 * 1024, maxItems: 1000 };

/** Field tag plus the longest length prefix of an item in a repeated field. */
const itemOverhead = 6;

/** Consecutive runs of items within the limits; an item larger than maxBytes goes alone. */
export function chunks<T>(items: T[], encodedSize: (item: T) => number, limits: ChunkLimits): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = encodedSize(item) + itemOverhead;
    if (current.length > 0 && (bytes + size > limits.maxBytes || current.length >= limits.maxItems)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Report a unary call's status and duration as its callback is called. */
export function observeUnary<Req, Res>(rpc: string, observe: RpcObserver, handler: (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    const elapsedMs = stopwatch();
    handler(call, (err, res) => {
      observe(rpc, err ? (err.code ?? GrpcStatus.UNKNOWN) : GrpcStatus.OK, elapsedMs() / 1e3);
      callback(err, res);
    });
  };
}

/** Report a stream's status and duration when it ends, fails or is cancelled, whichever comes first. */
export function observeStream<Req, Res>(rpc: string, observe: RpcObserver, handler: (call: ServerWritableStream<Req, Res>) => void) {
  return (call: ServerWritableStream<Req, Res>): void => {
    const elapsedMs = stopwatch();
    let reported = false;
    const report = (code: GrpcStatus) => {
      if (reported) return;
      reported = true;
      observe(rpc, code, elapsedMs() / 1e3);
    };
    call.once('error', (err: Partial<GrpcError>) => report(err.code ?? GrpcStatus.UNKNOWN));
    call.once('cancelled', () => report(GrpcStatus.CANCELLED));
    call.once('finish', () => report(GrpcStatus.OK));
    handler(call);
  };
}

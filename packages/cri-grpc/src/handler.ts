import { status as GrpcStatus, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from '@criod/core';
import { requestOverLimit } from './request-limits.js';
import { isInternal, toGrpcError } from './status-codes.js';

/** What a handler may know about its call beyond the request. */
export interface CallContext {
  /** Aborted when the client cancels or the call's deadline passes. */
  signal: AbortSignal;
}

export type UnaryImpl<Req, Res> = (req: Req, call: CallContext) => Promise<Res> | Res;

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
    const started = process.hrtime.bigint();
    const elapsedMs = () => Number(process.hrtime.bigint() - started) / 1e6;
    const abort = new AbortController();
    call.once('cancelled', () => abort.abort());
    Promise.resolve()
      .then(() => impl(call.request, { signal: abort.signal }))
      .then(
        (res) => {
          logger.debug({ rpc, ms: elapsedMs() }, 'rpc done');
          callback(null, res);
        },
        (err: unknown) => {
          const e = toGrpcError(err);
          const log = isInternal(err) ? logger.error.bind(logger) : logger.info.bind(logger);
          log({ rpc, ms: elapsedMs(), code: GrpcStatus[e.code], err }, `rpc failed: ${e.details}`);
          callback({ code: e.code, details: e.details });
        },
      );
  };
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

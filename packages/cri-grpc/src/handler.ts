import { status as GrpcStatus, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from '@criod/core';
import { isInternal, toGrpcError } from './status-codes.js';

/** What a handler may know about its call beyond the request. */
export interface CallContext {
  /** Aborted when the client cancels or the call's deadline passes. */
  signal: AbortSignal;
}

export type UnaryImpl<Req, Res> = (req: Req, call: CallContext) => Promise<Res> | Res;

/**
 * Wrap a core call as a grpc-js unary handler: log it with its duration, and turn any thrown
 * error into a gRPC status so a bad request never escapes as a crash.
 */
export function unary<Req, Res>(rpc: string, logger: Logger, impl: UnaryImpl<Req, Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
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
    call.destroy(Object.assign(new Error(unimplementedDetails(rpc)), { code: GrpcStatus.UNIMPLEMENTED, details: unimplementedDetails(rpc) }));
  };
}

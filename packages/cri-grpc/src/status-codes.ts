import { status as GrpcStatus } from '@grpc/grpc-js';
import { CriodError, errorCode, errorMessage, type ErrorCode } from '@criod/core';

const codes: Record<ErrorCode, GrpcStatus> = {
  NotFound: GrpcStatus.NOT_FOUND,
  AlreadyExists: GrpcStatus.ALREADY_EXISTS,
  InvalidArgument: GrpcStatus.INVALID_ARGUMENT,
  FailedPrecondition: GrpcStatus.FAILED_PRECONDITION,
  DeadlineExceeded: GrpcStatus.DEADLINE_EXCEEDED,
  Unimplemented: GrpcStatus.UNIMPLEMENTED,
  Internal: GrpcStatus.INTERNAL,
};

export interface GrpcError {
  code: GrpcStatus;
  details: string;
}

/** The gRPC status for a thrown value: typed core errors keep their meaning, the rest is INTERNAL. */
export function toGrpcError(err: unknown): GrpcError {
  return { code: codes[errorCode(err)], details: errorMessage(err) };
}

export function isInternal(err: unknown): boolean {
  return !(err instanceof CriodError) || err.code === 'Internal';
}

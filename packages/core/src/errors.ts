/**
 * Typed errors of criod. Every failure that reaches a CRI caller is one of these, so the gRPC
 * layer can answer with the right status code instead of a generic INTERNAL.
 */
export type ErrorCode = 'NotFound' | 'AlreadyExists' | 'InvalidArgument' | 'FailedPrecondition' | 'DeadlineExceeded' | 'Unimplemented' | 'Internal';

export class CriodError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = `${code}Error`;
  }
}

export class NotFoundError extends CriodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NotFound', message, options);
  }
}

export class AlreadyExistsError extends CriodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('AlreadyExists', message, options);
  }
}

export class InvalidArgumentError extends CriodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('InvalidArgument', message, options);
  }
}

export class FailedPreconditionError extends CriodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FailedPrecondition', message, options);
  }
}

export class DeadlineExceededError extends CriodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DeadlineExceeded', message, options);
  }
}

export class UnimplementedError extends CriodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('Unimplemented', message, options);
  }
}

export class InternalError extends CriodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('Internal', message, options);
  }
}

/** The error code of any thrown value: typed errors keep theirs, everything else is Internal. */
export function errorCode(err: unknown): ErrorCode {
  return err instanceof CriodError ? err.code : 'Internal';
}

/** A readable message for any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

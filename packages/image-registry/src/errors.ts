/**
 * Registry answers turned into criod's typed errors, carrying the registry's own message
 * (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`).
 */
import { CriodError, FailedPreconditionError, InternalError, InvalidArgumentError, NotFoundError } from '@criod/core';

/** The registry's error codes and messages, or the body itself when it is not the JSON shape. */
export function describeRegistryError(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    const errors = parsed.errors ?? [];
    if (errors.length > 0) {
      return errors
        .map((e) => {
          const detail = e.detail === undefined || e.detail === null ? '' : ` (${typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)})`;
          return `${e.code ?? status}: ${e.message ?? ''}${detail}`;
        })
        .join('; ');
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  const text = body.trim().slice(0, 300);
  return text === '' ? `HTTP ${status}` : `HTTP ${status}: ${text}`;
}

/** The typed error for an unsuccessful registry answer to `what` ("manifest busybox:latest from 127.0.0.1:5000"). */
export function registryStatusError(what: string, status: number, body: string): CriodError {
  const message = `${what}: ${describeRegistryError(status, body)}`;
  switch (status) {
    case 404:
      return new NotFoundError(message);
    case 400:
      return new InvalidArgumentError(message);
    case 401:
    case 403:
      return new FailedPreconditionError(`${message} (check the pull credentials)`);
    default:
      return new InternalError(message);
  }
}

/** The registry asked for credentials and none were given. */
export function authenticationRequired(what: string, detail: string): CriodError {
  return new FailedPreconditionError(`${what}: the registry requires authentication and no credentials were given (${detail})`);
}

/** The credentials given were refused. */
export function credentialsRejected(what: string, detail: string): CriodError {
  return new InvalidArgumentError(`${what}: the registry rejected the credentials (${detail})`);
}

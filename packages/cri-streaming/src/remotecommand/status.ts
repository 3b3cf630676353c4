/**
 * The final word of an exec or attach on the error channel. v4 and v5 clients read a JSON
 * metav1.Status (a non-zero exit carries reason NonZeroExitCode and the code in a cause of reason
 * ExitCode); older ones read the failure message as plain text and nothing on success.
 */
export type CommandOutcome = { kind: 'exited'; exitCode: number } | { kind: 'failed'; message: string };

export interface StatusCause {
  reason?: string;
  message: string;
}

/** The fields of metav1.Status a remotecommand client looks at. */
export interface MetaStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: StatusCause[] };
  code?: number;
}

/** Attach reports Success when the session ends normally, whatever the container's exit code (as kubelet does). */
export function commandStatus(outcome: CommandOutcome, reportExitCode: boolean): MetaStatus {
  if (outcome.kind === 'failed') {
    return {
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${outcome.message}`,
      reason: 'InternalError',
      details: { causes: [{ message: outcome.message }] },
      code: 500,
    };
  }
  if (outcome.exitCode === 0 || !reportExitCode) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${outcome.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(outcome.exitCode) }] },
  };
}

/** What goes on the error channel: JSON for v4/v5, the failure message (or nothing) for older protocols. */
export function encodeStatus(status: MetaStatus, json: boolean): Buffer {
  if (json) return Buffer.from(JSON.stringify(status));
  return Buffer.from(status.status === 'Success' ? '' : (status.message ?? 'unknown error'));
}

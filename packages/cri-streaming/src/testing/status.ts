import { RemoteCommandProtocol } from '../protocols.js';
import type { MetaStatus } from '../remotecommand/status.js';

export interface RemoteCommandResult {
  /** 0 on success, the code of a NonZeroExitCode failure, undefined for other failures or old protocols' errors. */
  exitCode: number | undefined;
  /** The Status of v4/v5 protocols. */
  status: MetaStatus | undefined;
  /** The failure message, '' on success. */
  message: string;
}

/** Read the error channel the way client-go does for the negotiated protocol. */
export function parseErrorChannel(protocol: string, text: string): RemoteCommandResult {
  const json = protocol === RemoteCommandProtocol.V4 || protocol === RemoteCommandProtocol.V5 || protocol.startsWith('v4.');
  if (!json) return { exitCode: text === '' ? 0 : undefined, status: undefined, message: text };
  if (text === '') return { exitCode: undefined, status: undefined, message: 'no status on the error channel' };
  const status = JSON.parse(text) as MetaStatus;
  if (status.status === 'Success') return { exitCode: 0, status, message: '' };
  const cause = status.reason === 'NonZeroExitCode' ? status.details?.causes.find((c) => c.reason === 'ExitCode') : undefined;
  return { exitCode: cause ? Number(cause.message) : undefined, status, message: status.message ?? '' };
}

import type { CoreContext } from './context.js';

export interface VersionInfo {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

/** The CRI version handshake: kubelet checks runtimeApiVersion is "v1". */
export function version(ctx: CoreContext): VersionInfo {
  return {
    version: '0.1.0',
    runtimeName: 'criod',
    runtimeVersion: ctx.options.runtimeVersion,
    runtimeApiVersion: 'v1',
  };
}

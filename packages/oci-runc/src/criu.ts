import { execa } from 'execa';
import { findExecutable, type CheckpointSupport } from '@criod/core';

/** `criu check` probes the kernel; a few seconds is plenty, more means it hangs. */
const checkTimeoutMs = 30_000;

/** CRIU's first error line (it prints "Error (file:line): ..." to stderr), else its first line. */
export function criuReason(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => l.startsWith('Error')) ?? lines[0] ?? '';
}

/**
 * Whether runc can checkpoint and restore here: CRIU must be installed and `criu check` pass
 * (it fails, for one, on kernels whose vDSO CRIU cannot parse). Run once, at startup.
 */
export async function detectCriu(): Promise<CheckpointSupport> {
  const criu = await findExecutable('criu');
  if (!criu) return { available: false, reason: 'CRIU is not installed: install the Debian package criu (apt-get install criu)' };
  const result = await execa(criu, ['check'], { reject: false, timeout: checkTimeoutMs, stdin: 'ignore', all: true });
  if (result.exitCode === 0 && !result.failed) return { available: true, reason: '' };
  const reason = criuReason(String(result.all ?? '')) || result.shortMessage || `exit code ${result.exitCode}`;
  return { available: false, reason: `\`${criu} check\` failed: ${reason}` };
}

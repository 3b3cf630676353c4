import { readFile } from 'node:fs/promises';

export interface SeccompSupport {
  /** The kernel offers seccomp filter mode (a "Seccomp:" line in /proc/self/status). */
  supported: boolean;
  /** Filter actions the kernel knows (kernel.seccomp.actions_avail), empty when unknown. */
  actions: string[];
}

export async function detectSeccomp(procRoot = '/proc'): Promise<SeccompSupport> {
  const status = await readFile(`${procRoot}/self/status`, 'utf8').catch(() => '');
  const supported = /^Seccomp:\s*\d/m.test(status);
  const actions = (await readFile(`${procRoot}/sys/kernel/seccomp/actions_avail`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean);
  return { supported, actions };
}

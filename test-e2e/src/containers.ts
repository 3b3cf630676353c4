import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { parseMountinfo } from '@criod/core';
import { cri, type CriClient } from '@criod/cri-grpc';
import { execa } from 'execa';
import { uniqueName } from './harness.js';

/** A container config as kubelet sends one. */
export function containerConfig(image: string, command: string[], overrides: Partial<cri.ContainerConfig> = {}): cri.ContainerConfig {
  const name = uniqueName('ctr-');
  return cri.ContainerConfig.fromPartial({
    metadata: { name, attempt: 0 },
    image: { image },
    command,
    logPath: `${name}.log`,
    labels: { suite: 'e2e' },
    linux: { securityContext: { namespaceOptions: { network: cri.NamespaceMode.POD, pid: cri.NamespaceMode.CONTAINER, ipc: cri.NamespaceMode.POD } } },
    ...overrides,
  });
}

export async function waitForExit(client: CriClient, containerId: string, timeoutMs = 20_000): Promise<cri.ContainerStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = (await client.runtime.containerStatus({ containerId, verbose: false })).status!;
    if (st.state === cri.ContainerState.CONTAINER_EXITED) return st;
    if (Date.now() > deadline) throw new Error(`container ${containerId} did not exit within ${timeoutMs} ms (state ${st.state})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The cgroup v1 controllers (or the v2 root) under which a test's cgroup parent lives. */
export function cgroupDirs(parent: string): string[] {
  const root = '/sys/fs/cgroup';
  const v2 = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).some((m) => m.mountPoint === root && m.fstype === 'cgroup2');
  if (v2) return [`${root}${parent}`];
  return readdirSync(root)
    .filter((c) => !['unified'].includes(c))
    .map((c) => `${root}/${c}${parent}`);
}

/** Child cgroups left under a test's cgroup parent. */
export function leftoverCgroups(parent: string): string[] {
  return cgroupDirs(parent).flatMap((d) => {
    try {
      return readdirSync(d, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => `${d}/${e.name}`);
    } catch {
      return [];
    }
  });
}

export function removeCgroupParent(parent: string): void {
  // On a hybrid host runc also makes the parent in the unified (v2) hierarchy; it is left empty.
  const unified = `/sys/fs/cgroup/unified${parent}`;
  for (const d of [...cgroupDirs(parent), ...(existsSync(unified) ? [unified] : [])]) {
    try {
      rmdirSync(d);
    } catch {
      // absent, or still busy with a leaked container the test reports
    }
  }
}

/** PIDs of conmon processes whose command line mentions `marker` (a test's own dir). */
export function conmonsMentioning(marker: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.startsWith('conmon') || cmd.includes('/conmon\0')) if (cmd.includes(marker)) out.push(Number(pid));
    } catch {
      // gone
    }
  }
  return out;
}

export async function runcList(root: string): Promise<string[]> {
  const r = await execa('runc', ['--root', root, 'list', '-q'], { reject: false });
  return r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/** runc's status of a container ("running", "stopped", …), or "absent". */
export async function runcStatus(root: string, id: string): Promise<string> {
  const r = await execa('runc', ['--root', root, 'state', id], { reject: false });
  return r.exitCode === 0 ? (JSON.parse(r.stdout) as { status: string }).status : 'absent';
}

/** Kill and delete every container under a runc root: for tests that leave some outside criod's view. */
export async function runcDeleteAll(root: string): Promise<void> {
  for (const id of await runcList(root)) await execa('runc', ['--root', root, 'delete', '-f', id], { reject: false });
}

export { uniqueName };

import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailedPreconditionError, NotFoundError, type LinuxResources } from '@criod/core';
import { cgroupDirs, eventually, makeEnv, sleep, type TestEnv } from './fixtures.js';

let env: TestEnv;
beforeEach(async () => {
  env = await makeEnv();
});
afterEach(async () => {
  await env?.cleanup();
});

async function run(prefix: string, args: string[]): Promise<string> {
  const id = env.uniqueId(prefix);
  await env.runtime.createContainer(env.request(id, { args }));
  await env.runtime.startContainer(id);
  return id;
}

function memoryCgroup(id: string): string {
  const dir = cgroupDirs(env.cgroupOf(id)).find((d) => existsSync(join(d, 'memory.limit_in_bytes')) || existsSync(join(d, 'memory.max')));
  if (!dir) throw new Error(`no memory cgroup for ${id}`);
  return dir;
}

const noResources: LinuxResources = {
  cpuPeriod: 0,
  cpuQuota: 0,
  cpuShares: 0,
  memoryLimitInBytes: 0,
  oomScoreAdj: 0,
  cpusetCpus: '',
  cpusetMems: '',
  hugepageLimits: [],
  unified: {},
  memorySwapLimitInBytes: 0,
};

describe('stats', () => {
  it('reads cumulative CPU and memory from the container cgroup', async () => {
    // Burn a little CPU and hold some memory in a shell variable.
    const id = await run('stats', ['sh', '-c', 'x=$(head -c 2000000 /dev/zero | tr "\\0" a); i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 600']);
    await sleep(1500);
    const first = await env.runtime.stats(id);
    expect(first.cpuUsageCoreNanoSeconds).toBeGreaterThan(1_000_000n);
    expect(first.memoryUsageBytes).toBeGreaterThan(100_000);
    expect(first.memoryWorkingSetBytes).toBeLessThanOrEqual(first.memoryUsageBytes);
    expect(first.memoryRssBytes).toBeGreaterThan(0);
    expect(first.pageFaults).toBeGreaterThan(0);
    expect(first.timestamp).toBeGreaterThan(BigInt(Date.now() - 5000) * 1_000_000n);
    const second = await env.runtime.stats(id);
    expect(second.cpuUsageCoreNanoSeconds).toBeGreaterThanOrEqual(first.cpuUsageCoreNanoSeconds);
    expect(second.cpuUsageNanoCores).toBeGreaterThanOrEqual(0);
    await expect(env.runtime.stats('nope')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('updateResources', () => {
  it('changes the memory limit and CPU shares of a running container', async () => {
    const id = await run('update', ['sleep', '600']);
    await env.runtime.updateResources(id, { ...noResources, memoryLimitInBytes: 64 * 1024 * 1024, cpuShares: 512, cpuQuota: 50_000, cpuPeriod: 100_000 });
    const memory = memoryCgroup(id);
    expect(Number(readFileSync(join(memory, 'memory.limit_in_bytes'), 'utf8'))).toBe(64 * 1024 * 1024);
    const cpu = cgroupDirs(env.cgroupOf(id)).find((d) => existsSync(join(d, 'cpu.shares')));
    if (cpu) {
      expect(Number(readFileSync(join(cpu, 'cpu.shares'), 'utf8'))).toBe(512);
      expect(Number(readFileSync(join(cpu, 'cpu.cfs_quota_us'), 'utf8'))).toBe(50_000);
    }
    await expect(env.runtime.updateResources('nope', noResources)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('reopenLog', () => {
  it('makes conmon write to a new log file after the old one was renamed', async () => {
    const id = await run('reopen', ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo line$i; sleep 0.1; done']);
    const log = env.logPath(id);
    expect(await eventually(() => existsSync(log) && readFileSync(log, 'utf8').includes('line2'))).toBe(true);
    renameSync(log, `${log}.1`);
    await env.runtime.reopenLog(id);
    expect(existsSync(log)).toBe(true);
    expect(await eventually(() => /stdout F line\d+/.test(readFileSync(log, 'utf8')))).toBe(true);
  });

  it('refuses a stopped container', async () => {
    const id = await run('reopen-stopped', ['true']);
    await eventually(async () => (await env.runtime.containerState(id)).status === 'stopped');
    await expect(env.runtime.reopenLog(id)).rejects.toBeInstanceOf(FailedPreconditionError);
  });
});

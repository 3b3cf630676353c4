/**
 * Where the resident syscall helper cannot run, criod spawns conmon and runc itself: a container
 * run to its exit, and a failed create undone with runc's message, down that path.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { syscallHelper } from '@criod/core';
import { conmonPidsOf, eventually, makeEnv, runcList, type TestEnv } from './fixtures.js';

// Read once, at the first syscallHelper() call of this test file's own process.
process.env.CRIOD_SYSCALL_HELPER = 'off';

let env: TestEnv;
beforeEach(async () => {
  env = await makeEnv();
});
afterEach(async () => {
  await env?.cleanup();
});

it('has no helper here', async () => {
  expect(await syscallHelper()).toBeUndefined();
});

it('creates, starts and reports the exit of a container with conmon and runc spawned by criod', async () => {
  const id = env.uniqueId('nohelper');
  const created = await env.runtime.createContainer(env.request(id, { args: ['sh', '-c', 'exit 4'] }));
  expect(created.pid).toBeGreaterThan(1);
  await env.runtime.startContainer(id);
  expect(await eventually(async () => (await env.runtime.containerState(id)).status === 'stopped', 10_000)).toBe(true);
  expect(await env.runtime.containerState(id)).toMatchObject({ status: 'stopped', exitCode: 4 });
  await env.runtime.deleteContainer(id);
  expect(runcList(env.runcRoot)).toEqual([]);
});

it("undoes a failed create and reports runc's message", async () => {
  const id = env.uniqueId('nohelper-bad');
  await expect(env.runtime.createContainer(env.request(id, { args: ['/no/such/binary'] }))).rejects.toThrow(/no such file or directory/);
  expect(runcList(env.runcRoot)).toEqual([]);
  expect(conmonPidsOf(id)).toEqual([]);
});

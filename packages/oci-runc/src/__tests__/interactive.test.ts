import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailedPreconditionError, type InteractiveProcess } from '@criod/core';
import { eventually, makeEnv, type TestEnv } from './fixtures.js';

let env: TestEnv;
const open: InteractiveProcess[] = [];
beforeEach(async () => {
  env = await makeEnv();
});
afterEach(async () => {
  for (const p of open.splice(0)) await p.close().catch(() => undefined);
  await env?.cleanup();
});

function track(p: InteractiveProcess): InteractiveProcess {
  open.push(p);
  return p;
}

/** Collects a stream's text as it arrives. */
function reader(stream: NodeJS.ReadableStream | undefined): { text: () => string } {
  let text = '';
  (stream as Readable | undefined)?.on('data', (d: Buffer) => (text += d.toString()));
  return { text: () => text };
}

async function running(prefix: string, args: string[], io: { stdin?: boolean; stdinOnce?: boolean } = {}): Promise<string> {
  const id = env.uniqueId(prefix);
  await env.runtime.createContainer({ ...env.request(id, { args }), stdin: io.stdin ?? false, stdinOnce: io.stdinOnce ?? false });
  await env.runtime.startContainer(id);
  return id;
}

describe('exec', () => {
  it('runs a command with stdin and separate stdout and stderr', async () => {
    const id = await running('iexec', ['sleep', '600']);
    const p = track(await env.runtime.exec(id, ['sh', '-c', 'read line; echo "out:$line"; echo "err:$line" >&2; exit 6'], { tty: false, stdin: true }));
    const out = reader(p.stdout);
    const err = reader(p.stderr);
    p.stdin?.write('hello\n');
    expect(await p.wait()).toBe(6);
    expect(await eventually(() => out.text() === 'out:hello\n' && err.text() === 'err:hello\n')).toBe(true);
  });

  it('runs a command on a terminal that follows resizes', async () => {
    const id = await running('itty', ['sleep', '600']);
    const p = track(await env.runtime.exec(id, ['sh', '-c', 'tty; read x; stty size; exit 4'], { tty: true, stdin: true }));
    expect(p.stderr).toBeUndefined();
    const out = reader(p.stdout);
    expect(await eventually(() => out.text().includes('/dev/pts/'))).toBe(true);
    p.resize(101, 33);
    await new Promise((r) => setTimeout(r, 200));
    p.stdin?.write('go\n');
    expect(await p.wait()).toBe(4);
    expect(await eventually(() => out.text().includes('33 101'))).toBe(true);
  });

  it('ends a running exec on close', async () => {
    const id = await running('iclose', ['sleep', '600']);
    const p = await env.runtime.exec(id, ['sleep', '300'], { tty: false, stdin: false });
    const exit = p.wait();
    await p.close();
    expect(await exit).toBe(137);
  });

  it("reports runc's error for a missing binary with and without a tty", async () => {
    const id = await running('ibad', ['sleep', '600']);
    await expect(env.runtime.exec(id, ['/no/such'], { tty: false, stdin: false })).rejects.toThrow(/no such file or directory/);
    await expect(env.runtime.exec(id, ['/no/such'], { tty: true, stdin: false })).rejects.toThrow(/no such file or directory/);
  });
});

describe('attach', () => {
  it('streams the container output and feeds its stdin', async () => {
    const id = await running('attach', ['sh', '-c', 'while read line; do echo "got:$line"; echo "e:$line" >&2; done; exit 9'], {
      stdin: true,
      stdinOnce: true,
    });
    const p = track(await env.runtime.attach(id, { tty: false, stdin: true }));
    const out = reader(p.stdout);
    const err = reader(p.stderr);
    p.stdin?.write('one\n');
    expect(await eventually(() => out.text().includes('got:one') && err.text().includes('e:one'))).toBe(true);
    // With stdinOnce, the end of our stdin is the end of the container's.
    p.stdin?.end();
    expect(await p.wait()).toBe(9);
  });

  it('refuses stdin for a container created without it and a stopped container', async () => {
    const id = await running('attach-nostdin', ['sleep', '600']);
    await expect(env.runtime.attach(id, { tty: false, stdin: true })).rejects.toBeInstanceOf(FailedPreconditionError);
    await env.runtime.stopContainer(id, 0, '');
    await expect(env.runtime.attach(id, { tty: false, stdin: false })).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('keeps the container stdin open across attaches without stdinOnce', async () => {
    const id = await running('attach-twice', ['sh', '-c', 'while read line; do echo "got:$line"; done; exit 2'], { stdin: true });
    const first = await env.runtime.attach(id, { tty: false, stdin: true });
    first.stdin?.end('a\n');
    const firstOut = reader(first.stdout);
    expect(await eventually(() => firstOut.text().includes('got:a'))).toBe(true);
    await first.close();
    const second = track(await env.runtime.attach(id, { tty: false, stdin: true }));
    const secondOut = reader(second.stdout);
    second.stdin?.write('b\n');
    expect(await eventually(() => secondOut.text().includes('got:b'))).toBe(true);
    expect((await env.runtime.containerState(id)).status).toBe('running');
  });

  it('attaches to a terminal container and resizes its terminal', async () => {
    const id = env.uniqueId('attach-tty');
    const req = env.request(id, { args: ['sh', '-c', 'while :; do stty size; sleep 0.1; done'] });
    if (req.spec.process) req.spec.process.terminal = true;
    await env.runtime.createContainer({ ...req, tty: true });
    await env.runtime.startContainer(id);
    const p = track(await env.runtime.attach(id, { tty: true, stdin: false }));
    expect(p.stderr).toBeUndefined();
    const out = reader(p.stdout);
    p.resize(120, 40);
    expect(await eventually(() => out.text().includes('40 120'))).toBe(true);
  });

  it('detaches without stopping the container', async () => {
    const id = await running('attach-detach', ['sh', '-c', 'while :; do echo tick; sleep 0.1; done']);
    const p = await env.runtime.attach(id, { tty: false, stdin: false });
    const out = reader(p.stdout);
    expect(await eventually(() => out.text().includes('tick'))).toBe(true);
    await p.close();
    expect((await env.runtime.containerState(id)).status).toBe('running');
  });
});

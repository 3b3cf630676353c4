import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { cri } from '@criod/cri-grpc';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { criodBin, startCriod, waitFor, type CriodInstance } from './harness.js';

let criod: CriodInstance | undefined;
afterEach(async () => {
  await criod?.cleanup();
  criod = undefined;
});

describe('criod over its socket', () => {
  it('answers Version, Status and RuntimeConfig through the generated client', async () => {
    criod = await startCriod();
    const v = await criod.client.runtime.version({ version: '0.1.0' });
    expect(v).toMatchObject({ runtimeName: 'criod', runtimeApiVersion: 'v1' });

    const st = await criod.client.runtime.status({ verbose: true });
    const conditions = Object.fromEntries((st.status?.conditions ?? []).map((c) => [c.type, c]));
    expect(conditions.RuntimeReady).toMatchObject({ status: true });
    // The test's CNI conf dir starts empty.
    expect(conditions.NetworkReady).toMatchObject({ status: false, reason: 'NetworkPluginNotReady' });
    expect(conditions.NetworkReady?.message).toContain(join(criod.dir, 'cni', 'net.d'));
    expect(st.runtimeHandlers.map((h) => h.name)).toEqual(['', 'runc']);
    expect(JSON.parse(st.info.config ?? '{}')).toMatchObject({ root: join(criod.dir, 'root') });

    const rc = await criod.client.runtime.runtimeConfig({});
    expect(rc.linux?.cgroupDriver).toBe(cri.CgroupDriver.CGROUPFS);
  });

  it('answers every CRI v1 RPC, and UNIMPLEMENTED only for a method the CRI does not have', async () => {
    criod = await startCriod();
    // CheckpointContainer was the last one: it answers (here NOT_FOUND for an unknown container).
    await expect(criod.client.runtime.checkpointContainer({ containerId: 'x', location: '/tmp/x', timeout: 0n })).rejects.toMatchObject({
      code: GrpcStatus.NOT_FOUND,
    });
    const raw = criod.client.raw.runtime;
    const unknown = new Promise((resolve, reject) =>
      raw.makeUnaryRequest(
        '/runtime.v1.RuntimeService/NoSuchMethod',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        (err, value) => (err ? reject(err) : resolve(value)),
      ),
    );
    await expect(unknown).rejects.toMatchObject({ code: GrpcStatus.UNIMPLEMENTED });
  });

  it('makes the socket root-only (0660)', async () => {
    criod = await startCriod();
    expect(statSync(criod.socket).mode & 0o777).toBe(0o660);
  });

  it('shuts down on SIGTERM, removing its socket', async () => {
    criod = await startCriod();
    expect(await criod.stop()).toBe(0);
    expect(() => statSync(criod!.socket)).toThrow();
    expect(criod.logs()).toContain('criod stopped');
  });

  it('shuts down on SIGTERM while a child it spawned at startup still runs', async () => {
    // A `criu` that takes its time: its `criu check` at startup is still running at the SIGTERM.
    criod = await startCriod();
    mkdirSync(join(criod.dir, 'bin'), { recursive: true });
    writeFileSync(join(criod.dir, 'bin', 'criu'), "#!/bin/sh\nsleep 5 & trap 'kill $!; exit 1' TERM; wait\n", { mode: 0o755 });
    await criod.kill();
    await criod.restart();
    expect(await criod.stop()).toBe(0);
    expect(criod.logs()).toContain('criod stopped');
  });

  it('replaces a stale socket left by a crash', async () => {
    criod = await startCriod();
    await criod.kill();
    expect(statSync(criod.socket).isSocket()).toBe(true);
    await criod.restart();
    expect((await criod.client.runtime.version({ version: '0.1.0' })).runtimeName).toBe('criod');
    expect(criod.logs()).toContain('replacing stale socket');
  });

  it('refuses to start a second criod on the same socket', async () => {
    criod = await startCriod();
    const second = await execa('node', [criodBin, '--config', criod.configPath], { reject: false, timeout: 20_000 });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain(`another server is already listening on ${criod.socket}`);
    expect((await criod.client.runtime.version({ version: '0.1.0' })).runtimeName).toBe('criod');
  });

  it('refuses a socket path held by something that is not a socket', async () => {
    criod = await startCriod();
    await criod.stop();
    writeFileSync(criod.socket, 'not a socket');
    const r = await execa('node', [criodBin, '--config', criod.configPath], { reject: false, timeout: 20_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('exists and is not a socket');
  });

  it('refuses a socket that another program is serving', async () => {
    criod = await startCriod();
    await criod.stop();
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(criod!.socket, resolve));
    try {
      const r = await execa('node', [criodBin, '--config', criod.configPath], { reject: false, timeout: 20_000 });
      expect(r.stderr).toContain('another server is already listening');
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('turns NetworkReady true when a CNI config appears, without a restart', async () => {
    criod = await startCriod();
    writeFileSync(
      join(criod.dir, 'cni', 'net.d', '10-test.conflist'),
      JSON.stringify({ cniVersion: '1.0.0', name: 'e2e-ready', plugins: [{ type: 'loopback' }] }),
    );
    await waitFor('NetworkReady', async () => {
      const st = await criod!.client.runtime.status({ verbose: false });
      return st.status?.conditions.find((c) => c.type === 'NetworkReady')?.status === true;
    });
  });

  it('answers malformed requests with the right codes and keeps serving', async () => {
    criod = await startCriod();
    const rt = criod.client.runtime;
    const img = criod.client.image;
    const unknown = 'f'.repeat(64);
    const cases: [string, () => Promise<unknown>, GrpcStatus][] = [
      ['RunPodSandbox without config', () => rt.runPodSandbox({ config: undefined, runtimeHandler: '' }), GrpcStatus.INVALID_ARGUMENT],
      ['PodSandboxStatus with an empty id', () => rt.podSandboxStatus({ podSandboxId: '', verbose: false }), GrpcStatus.INVALID_ARGUMENT],
      ['PodSandboxStatus of an unknown pod', () => rt.podSandboxStatus({ podSandboxId: unknown, verbose: true }), GrpcStatus.NOT_FOUND],
      [
        'CreateContainer without config',
        () => rt.createContainer({ podSandboxId: unknown, config: undefined, sandboxConfig: undefined }),
        GrpcStatus.INVALID_ARGUMENT,
      ],
      ['ContainerStatus of an unknown container', () => rt.containerStatus({ containerId: unknown, verbose: false }), GrpcStatus.NOT_FOUND],
      ['StartContainer of an unknown container', () => rt.startContainer({ containerId: unknown }), GrpcStatus.NOT_FOUND],
      ['StopContainer of an unknown container', () => rt.stopContainer({ containerId: unknown, timeout: 1n }), GrpcStatus.NOT_FOUND],
      ['ExecSync in an unknown container', () => rt.execSync({ containerId: unknown, cmd: ['true'], timeout: 1n }), GrpcStatus.NOT_FOUND],
      ['ExecSync with no command', () => rt.execSync({ containerId: unknown, cmd: [], timeout: 1n }), GrpcStatus.INVALID_ARGUMENT],
      [
        'UpdateContainerResources of an unknown container',
        () => rt.updateContainerResources({ containerId: unknown, linux: cri.LinuxContainerResources.fromPartial({}), windows: undefined, annotations: {} }),
        GrpcStatus.NOT_FOUND,
      ],
      [
        'Exec with tty and stderr',
        () => rt.exec({ containerId: unknown, cmd: ['sh'], tty: true, stdin: true, stdout: true, stderr: true, auditRequestId: '' }),
        GrpcStatus.INVALID_ARGUMENT,
      ],
      ['PortForward to an unknown pod', () => rt.portForward({ podSandboxId: unknown, port: [80] }), GrpcStatus.NOT_FOUND],
      [
        'PullImage of a malformed reference',
        () => img.pullImage({ image: cri.ImageSpec.fromPartial({ image: 'UPPER::case//x' }), auth: undefined, sandboxConfig: undefined }),
        GrpcStatus.INVALID_ARGUMENT,
      ],
    ];
    for (const [what, call, code] of cases) {
      await expect(call(), what).rejects.toMatchObject({ code });
    }
    // Idempotent removals of unknown objects succeed.
    await rt.stopPodSandbox({ podSandboxId: unknown });
    await rt.removePodSandbox({ podSandboxId: unknown });
    await rt.removeContainer({ containerId: unknown });
    expect((await img.imageStatus({ image: cri.ImageSpec.fromPartial({ image: '127.0.0.1:1/absent:1' }), verbose: false })).image).toBeUndefined();
    expect((await rt.version({ version: '0.1.0' })).runtimeName).toBe('criod');
  });
});

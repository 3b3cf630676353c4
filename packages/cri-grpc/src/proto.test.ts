// Pins the CRI runtime.v1 wire contract: rpc names/paths/streaming, field
// numbers and int64 handling of the generated code in ./gen.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import {
  Container,
  ContainerState,
  ContainerStatus,
  ImageFsInfoResponse,
  ImageServiceService,
  Int64Value,
  PodSandboxMetadata,
  RunPodSandboxRequest,
  RuntimeServiceService,
  VersionResponse,
} from './gen/runtime/v1/api.js';

const RUNTIME_RPCS = [
  'Version',
  'RunPodSandbox',
  'StopPodSandbox',
  'RemovePodSandbox',
  'PodSandboxStatus',
  'ListPodSandbox',
  'StreamPodSandboxes',
  'CreateContainer',
  'StartContainer',
  'StopContainer',
  'RemoveContainer',
  'ListContainers',
  'StreamContainers',
  'ContainerStatus',
  'UpdateContainerResources',
  'ReopenContainerLog',
  'ExecSync',
  'Exec',
  'Attach',
  'PortForward',
  'ContainerStats',
  'ListContainerStats',
  'StreamContainerStats',
  'PodSandboxStats',
  'ListPodSandboxStats',
  'StreamPodSandboxStats',
  'UpdateRuntimeConfig',
  'Status',
  'CheckpointContainer',
  'GetContainerEvents',
  'ListMetricDescriptors',
  'ListPodSandboxMetrics',
  'StreamPodSandboxMetrics',
  'RuntimeConfig',
  'UpdatePodSandboxResources',
] as const;

const IMAGE_RPCS = ['ListImages', 'StreamImages', 'ImageStatus', 'PullImage', 'RemoveImage', 'ImageFsInfo'] as const;

// RPCs that are server-streaming; every other rpc is unary.
const SERVER_STREAMING = new Set<string>([
  'StreamPodSandboxes',
  'StreamContainers',
  'StreamContainerStats',
  'StreamPodSandboxStats',
  'GetContainerEvents',
  'StreamPodSandboxMetrics',
  'StreamImages',
]);

interface MethodDef {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}

function byPath(service: Record<string, MethodDef>): Map<string, MethodDef> {
  return new Map(Object.values(service).map((m) => [m.path, m]));
}

const protoText = readFileSync(new URL('../proto/runtime/v1/api.proto', import.meta.url), 'utf8');

function protoRpcs(serviceName: string): string[] {
  const start = protoText.indexOf(`service ${serviceName} {`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = protoText.indexOf('\n}', start);
  const body = protoText.slice(start, end);
  return [...body.matchAll(/^\s*rpc\s+(\w+)\s*\(/gm)].map((m) => m[1] as string);
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const str = (s: string): number[] => [...Buffer.from(s, 'utf8')];

describe('CRI runtime.v1 services', () => {
  it('proto file declares exactly the expected rpcs, in order', () => {
    expect(protoRpcs('RuntimeService')).toEqual([...RUNTIME_RPCS]);
    expect(protoRpcs('ImageService')).toEqual([...IMAGE_RPCS]);
    expect(RUNTIME_RPCS).toHaveLength(35);
    expect(IMAGE_RPCS).toHaveLength(6);
  });

  it('proto file has the public package and no gogoproto', () => {
    expect(protoText).toMatch(/^package runtime\.v1;$/m);
    expect(protoText).toMatch(/^option go_package = "k8s\.io\/cri-api\/pkg\/apis\/runtime\/v1";$/m);
    expect(protoText).not.toMatch(/gogo/);
  });

  for (const [svcName, svc, rpcs] of [
    ['RuntimeService', RuntimeServiceService, RUNTIME_RPCS],
    ['ImageService', ImageServiceService, IMAGE_RPCS],
  ] as const) {
    it(`${svcName} definition has exactly the expected method paths`, () => {
      const methods = byPath(svc as unknown as Record<string, MethodDef>);
      const expected = rpcs.map((n) => `/runtime.v1.${svcName}/${n}`);
      expect([...methods.keys()].sort()).toEqual([...expected].sort());
      expect(methods.size).toBe(rpcs.length);
    });

    it(`${svcName} streaming flags`, () => {
      const methods = byPath(svc as unknown as Record<string, MethodDef>);
      for (const name of rpcs) {
        const m = methods.get(`/runtime.v1.${svcName}/${name}`);
        expect(m, name).toBeDefined();
        expect(m?.requestStream, `${name} requestStream`).toBe(false);
        expect(m?.responseStream, `${name} responseStream`).toBe(SERVER_STREAMING.has(name));
      }
    });
  }

  it('GetContainerEvents is server-streaming', () => {
    expect(RuntimeServiceService.getContainerEvents.path).toBe('/runtime.v1.RuntimeService/GetContainerEvents');
    expect(RuntimeServiceService.getContainerEvents.responseStream).toBe(true);
    expect(RuntimeServiceService.getContainerEvents.requestStream).toBe(false);
  });
});

describe('CRI runtime.v1 wire encoding', () => {
  it('VersionResponse uses fields 1..4', () => {
    const bytes = VersionResponse.encode({
      version: '0.1.0',
      runtimeName: 'criod',
      runtimeVersion: 'x',
      runtimeApiVersion: 'v1',
    }).finish();
    const expected = [0x0a, 5, ...str('0.1.0'), 0x12, 5, ...str('criod'), 0x1a, 1, ...str('x'), 0x22, 2, ...str('v1')];
    expect(hex(bytes)).toBe(hex(Uint8Array.from(expected)));
  });

  it('PodSandboxMetadata uses fields 1..4 (attempt is varint 4)', () => {
    const bytes = PodSandboxMetadata.encode({ name: 'nginx', uid: 'u1', namespace: 'default', attempt: 3 }).finish();
    const expected = [0x0a, 5, ...str('nginx'), 0x12, 2, ...str('u1'), 0x1a, 7, ...str('default'), 0x20, 3];
    expect(hex(bytes)).toBe(hex(Uint8Array.from(expected)));
    expect(PodSandboxMetadata.decode(bytes)).toEqual({ name: 'nginx', uid: 'u1', namespace: 'default', attempt: 3 });
  });

  it('decodes a hand-written RunPodSandboxRequest (config=1, runtime_handler=2)', () => {
    const meta = [0x0a, 1, ...str('p')];
    const config = [0x0a, meta.length, ...meta];
    const bytes = Uint8Array.from([0x0a, config.length, ...config, 0x12, 4, ...str('kata')]);
    const req = RunPodSandboxRequest.decode(bytes);
    expect(req.runtimeHandler).toBe('kata');
    expect(req.config?.metadata?.name).toBe('p');
  });

  const NS = 1_700_000_000_123_456_789n; // > 2^53
  const NS_VARINT = [0x95, 0x9a, 0x97, 0xec, 0xe3, 0x9f, 0xe7, 0xcb, 0x17];

  it('Container.created_at is int64 field 7 and keeps bigint precision', () => {
    expect(NS > 2n ** 53n).toBe(true);
    const bytes = Container.encode(Container.fromPartial({ createdAt: NS })).finish();
    expect(hex(bytes)).toBe(hex(Uint8Array.from([0x38, ...NS_VARINT])));
    const back = Container.decode(bytes).createdAt;
    expect(typeof back).toBe('bigint');
    expect(back).toBe(NS);
  });

  it('ContainerStatus timestamps (4/5/6), exit_code (7) and state enum (3) round-trip exactly', () => {
    const status = ContainerStatus.fromPartial({
      state: ContainerState.CONTAINER_EXITED,
      createdAt: NS,
      startedAt: NS + 1n,
      finishedAt: 2n ** 63n - 1n,
      exitCode: 137,
    });
    const bytes = ContainerStatus.encode(status).finish();
    expect(hex(bytes)).toBe(
      hex(
        Uint8Array.from([
          0x18,
          0x02, // state = CONTAINER_EXITED (2)
          0x20,
          ...NS_VARINT, // created_at
          0x28,
          0x96,
          ...NS_VARINT.slice(1), // started_at = NS + 1 (only the low byte changes)
          0x30,
          0xff,
          0xff,
          0xff,
          0xff,
          0xff,
          0xff,
          0xff,
          0xff,
          0x7f, // finished_at = 2^63-1
          0x38,
          0x89,
          0x01, // exit_code = 137
        ]),
      ),
    );
    const back = ContainerStatus.decode(bytes);
    expect(back.createdAt).toBe(NS);
    expect(back.startedAt).toBe(NS + 1n);
    expect(back.finishedAt).toBe(2n ** 63n - 1n);
    expect(back.exitCode).toBe(137);
    expect(back.state).toBe(ContainerState.CONTAINER_EXITED);
  });

  it('Int64Value encodes negative int64 as 10-byte varint', () => {
    const bytes = Int64Value.encode({ value: -1n }).finish();
    expect(hex(bytes)).toBe('08ffffffffffffffffff01');
    expect(Int64Value.decode(bytes).value).toBe(-1n);
  });

  it('ImageFsInfoResponse has image_filesystems=1 and container_filesystems=2', () => {
    const bytes = ImageFsInfoResponse.encode(
      ImageFsInfoResponse.fromPartial({
        imageFilesystems: [{ timestamp: 1n }],
        containerFilesystems: [{ timestamp: 2n }],
      }),
    ).finish();
    expect(hex(bytes)).toBe('0a0208011202' + '0802');
  });
});

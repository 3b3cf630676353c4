/** What a bench must not leave behind: pods, containers, netns pins, veths, IPs, runc containers, conmons, cgroups, mounts. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CriClient } from '@criod/cri-grpc';
import { conmonsMentioning, leftoverCgroups, runcList } from '../containers.js';
import { mountsBelow } from '../harness.js';
import { allocatedIps, bridgePorts, type TestNetwork } from '../network.js';

/** One line per kind of leftover found; empty when criod cleaned up after every pod. */
export async function leftBehind(client: CriClient, dir: string, net: TestNetwork, cgroupParent: string): Promise<string[]> {
  const out: string[] = [];
  const left = (what: string, items: string[]) => {
    if (items.length > 0) out.push(`${what}: ${items.slice(0, 5).join(', ')}${items.length > 5 ? ` (${items.length})` : ''}`);
  };
  left(
    'pods',
    (await client.runtime.listPodSandbox({ filter: undefined })).items.map((p) => p.id),
  );
  left(
    'containers',
    (await client.runtime.listContainers({ filter: undefined })).containers.map((c) => c.id),
  );
  left('netns pins', readdirSync(join(dir, 'netns')));
  left('veths on the bridge', await bridgePorts(net));
  left('IPs held', allocatedIps(net));
  left('runc containers', await runcList(join(dir, 'run', 'runtimes', 'runc')));
  left('conmons', conmonsMentioning(dir).map(String));
  left('cgroups', leftoverCgroups(cgroupParent));
  left('pod records', existsSync(join(dir, 'root', 'pods')) ? readdirSync(join(dir, 'root', 'pods')) : []);
  left('pod mounts', mountsBelow(join(dir, 'run', 'pods')));
  left(
    'container mounts',
    mountsBelow(join(dir, 'root')).filter((m) => m.includes('containers')),
  );
  return out;
}

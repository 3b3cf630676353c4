/**
 * The network plugin: each pod gets a veth pair whose host end is a port of one Linux bridge and
 * whose other end is the pod's eth0, with an address of the bridge's subnet and a default route
 * through the bridge's address. Nothing is masqueraded or forwarded: the host and the pods of the
 * bridge reach each other, nothing more.
 */
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import {
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  type Logger,
  type NetworkPlugin,
  type PodNetworkRequest,
  type PodNetworkStatus,
  type Readiness,
} from '@criod/core';
import type { IpAllocator } from './allocator.js';
import { formatIpv4, type Ipv4Subnet } from './cidr.js';
import { IpCommandError, type IpRoute } from './iproute.js';

export const PLUGIN_NAME = '@criod/net-veth';
/** The pod's end of its veth pair. */
export const IF_NAME = 'eth0';

/** The host end of a pod's veth pair: "vv" and 12 hex digits of a hash of the pod id (an interface name has at most 15 bytes). */
export function vethName(podId: string): string {
  return `vv${createHash('sha256').update(podId).digest('hex').slice(0, 12)}`;
}

export interface VethNetworkOptions {
  bridge: string;
  subnet: Ipv4Subnet;
  gateway: number;
  mtu: number;
  allocator: IpAllocator;
  ip: IpRoute;
  logger: Logger;
}

export class VethNetwork implements NetworkPlugin {
  readonly name = PLUGIN_NAME;
  readonly podInterface = IF_NAME;
  /** The bridge being made, shared by the calls that need it meanwhile. */
  private bridging?: Promise<void>;

  constructor(private readonly o: VethNetworkOptions) {}

  async status(): Promise<Readiness> {
    try {
      await this.ensureBridge();
      return { ready: true, reason: '', message: '' };
    } catch (err) {
      return { ready: false, reason: 'NetworkPluginNotReady', message: (err as Error).message };
    }
  }

  async setUp(req: PodNetworkRequest): Promise<PodNetworkStatus> {
    if (!isAbsolute(req.netnsPath)) throw new InvalidArgumentError(`pod ${req.podId}: network namespace path "${req.netnsPath}" is not absolute`);
    if (req.portMappings.length > 0) {
      this.o.logger.warn({ podId: req.podId, ports: req.portMappings.length }, 'net-veth does not map host ports: the pod is reachable on its own IP only');
    }
    await this.ensureBridge();
    const ip = await this.o.allocator.allocate(req.podId);
    const veth = vethName(req.podId);
    const { bridge, mtu, subnet } = this.o;
    try {
      // The peer is made in the pod's namespace under its final name: no rename, no window where it is on the host.
      await this.o.ip.run([
        'link',
        'add',
        veth,
        'mtu',
        `${mtu}`,
        'master',
        bridge,
        'up',
        'type',
        'veth',
        'peer',
        'name',
        IF_NAME,
        'mtu',
        `${mtu}`,
        'netns',
        req.netnsPath,
      ]);
      await this.o.ip.batch(
        [
          ['addr', 'add', `${ip}/${subnet.prefix}`, 'dev', IF_NAME],
          ['link', 'set', IF_NAME, 'up'],
          ['route', 'add', 'default', 'via', formatIpv4(this.o.gateway), 'dev', IF_NAME],
        ],
        req.netnsPath,
      );
    } catch (err) {
      await this.detach(req.podId).catch((undoErr: unknown) =>
        this.o.logger.warn({ podId: req.podId, err: (undoErr as Error).message }, 'undoing a failed pod network setup failed'),
      );
      throw new InternalError(`pod ${req.podId}: attaching it to bridge ${bridge} failed: ${(err as Error).message}`, { cause: err });
    }
    return { ips: [ip] };
  }

  async check(req: PodNetworkRequest): Promise<void> {
    const ip = this.o.allocator.lookup(req.podId);
    if (ip === undefined) throw new NotFoundError(`pod ${req.podId} has no IP allocated on bridge ${this.o.bridge}`);
    const veth = vethName(req.podId);
    const host = await this.o.ip.run(['-o', 'link', 'show', 'dev', veth]).catch((err: unknown) => {
      throw err instanceof IpCommandError && err.noSuchDevice ? new NotFoundError(`pod ${req.podId}: its veth ${veth} is gone`) : err;
    });
    if (!host.includes(` master ${this.o.bridge} `)) throw new NotFoundError(`pod ${req.podId}: its veth ${veth} is not a port of bridge ${this.o.bridge}`);
    const inside = await this.o.ip.batch([['addr', 'show', 'dev', IF_NAME]], req.netnsPath);
    if (!inside.includes(`inet ${ip}/${this.o.subnet.prefix} `))
      throw new NotFoundError(`pod ${req.podId}: ${IF_NAME} in ${req.netnsPath} does not hold ${ip}`);
  }

  /** Idempotent: the veth may be gone already (with its namespace, or by an earlier call). */
  async tearDown(req: PodNetworkRequest): Promise<void> {
    await this.detach(req.podId);
  }

  async info(): Promise<Record<string, unknown>> {
    const { bridge, subnet, gateway, mtu, allocator } = this.o;
    return {
      bridge,
      subnet: `${formatIpv4(subnet.network)}/${subnet.prefix}`,
      gateway: formatIpv4(gateway),
      mtu,
      stateDir: allocator.dir,
      allocatedIps: allocator.allocations().size,
    };
  }

  /**
   * Free the allocations whose pod has no veth any more: its namespace was destroyed (a reboot
   * empties them all) or a crash came between allocating and attaching. Run once, at start.
   */
  async releaseStale(): Promise<void> {
    const out = await this.o.ip.run(['-o', 'link', 'show', 'type', 'veth']);
    const present = new Set(out.split('\n').map((line) => line.split(': ')[1]?.split('@')[0]));
    for (const [podId, ip] of [...this.o.allocator.allocations()]) {
      if (present.has(vethName(podId))) continue;
      this.o.logger.info({ podId, ip }, 'releasing the IP of a pod that has no veth left');
      await this.o.allocator.release(podId);
    }
  }

  /** Delete the pod's veth pair (its peer goes with it), then free its address. */
  private async detach(podId: string): Promise<void> {
    try {
      await this.o.ip.run(['link', 'del', vethName(podId)]);
    } catch (err) {
      if (!(err instanceof IpCommandError && err.noSuchDevice)) throw err;
    }
    await this.o.allocator.release(podId);
  }

  private ensureBridge(): Promise<void> {
    this.bridging ??= this.makeBridge().finally(() => (this.bridging = undefined));
    return this.bridging;
  }

  /** Create the bridge with the gateway address, up, unless it exists; an existing bridge is used as it is. */
  private async makeBridge(): Promise<void> {
    const { bridge, gateway, subnet } = this.o;
    if (await isBridge(bridge)) return;
    this.o.logger.info({ bridge, gateway: formatIpv4(gateway) }, 'creating the pod bridge');
    await this.o.ip.run(['link', 'add', 'name', bridge, 'type', 'bridge']).catch((err: unknown) => {
      throw new InternalError(`cannot create bridge ${bridge}: ${(err as Error).message}`, { cause: err });
    });
    try {
      await this.o.ip.batch([
        ['addr', 'add', `${formatIpv4(gateway)}/${subnet.prefix}`, 'dev', bridge],
        ['link', 'set', bridge, 'up'],
      ]);
    } catch (err) {
      // Not left half-made: the next call makes it again, whole.
      await this.o.ip.run(['link', 'del', bridge]).catch(() => undefined);
      throw new InternalError(`cannot set up bridge ${bridge}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** Whether a bridge of this name exists (sysfs lists bridges with a `bridge` dir): no process to spawn. */
async function isBridge(name: string): Promise<boolean> {
  try {
    await access(`/sys/class/net/${name}/bridge`);
    return true;
  } catch {
    return false;
  }
}

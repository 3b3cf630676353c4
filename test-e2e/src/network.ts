/**
 * Test networks on a unique bridge and a random test subnet, through either network plugin: a
 * CNI bridge conflist (ipMasq off, host-local IPAM with its state in the test's dir) for
 * net-cni, or net-veth's own config; and the checks that nothing leaked.
 */
import { randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from '@criod/core';
import { execa } from 'execa';
import { uniqueName, type CriodInstance } from './harness.js';

/** The network of a test's pods, whichever plugin made it. */
export interface PodNetwork {
  bridge: string;
  /** e.g. "10.213.7" — the /24's first three octets. */
  prefix: string;
  subnet: string;
  gateway: string;
  /** Where the plugin keeps its IP allocations, one file per address. */
  allocationDir: string;
}

/** A CNI bridge network: its conflist and host-local's dir. */
export interface TestNetwork extends PodNetwork {
  ipamDir: string;
  confFile: string;
}

function testSubnet(): Pick<PodNetwork, 'prefix' | 'subnet' | 'gateway'> {
  const prefix = `10.${randomInt(200, 250)}.${randomInt(0, 255)}`;
  return { prefix, subnet: `${prefix}.0/24`, gateway: `${prefix}.1` };
}

export interface NetworkOptions {
  /** Extra plugins after bridge, e.g. a slow or failing one. */
  extraPlugins?: Record<string, unknown>[];
  name?: string;
  file?: string;
}

/** Write a bridge conflist into the test criod's CNI conf dir. */
export function writeBridgeNetwork(dir: string, options: NetworkOptions = {}): TestNetwork {
  const bridge = uniqueName('cbr');
  const { prefix, subnet, gateway } = testSubnet();
  const ipamDir = join(dir, 'ipam');
  mkdirSync(ipamDir, { recursive: true });
  const name = options.name ?? `e2e-${bridge}`;
  const conf = {
    cniVersion: '1.0.0',
    name,
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        ipMasq: false,
        ipam: { type: 'host-local', ranges: [[{ subnet }]], dataDir: ipamDir },
      },
      ...(options.extraPlugins ?? []),
    ],
  };
  const confFile = join(dir, 'cni', 'net.d', options.file ?? '10-e2e.conflist');
  writeFileSync(confFile, JSON.stringify(conf, null, 2));
  return { bridge, prefix, subnet, gateway, ipamDir, confFile, allocationDir: join(ipamDir, name) };
}

/**
 * A CNI plugin of the tests, in the test's own plugin dir: it sleeps `sleepMs` on ADD, or fails
 * with a CNI error when `fail` is set, and passes the previous result on. With `callLog` set it
 * appends "<command> <container id>" there for every call, so a test can count ADDs.
 */
export function writeTestPlugin(pluginDir: string): string {
  mkdirSync(pluginDir, { recursive: true });
  const path = join(pluginDir, 'e2e-test');
  writeFileSync(
    path,
    `#!/usr/bin/env node
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const cmd = process.env.CNI_COMMAND;
  if (cmd === 'VERSION') { process.stdout.write(JSON.stringify({ cniVersion: '1.0.0', supportedVersions: ['0.4.0', '1.0.0'] })); return; }
  const conf = JSON.parse(Buffer.concat(chunks).toString() || '{}');
  if (conf.callLog) require('node:fs').appendFileSync(conf.callLog, cmd + ' ' + process.env.CNI_CONTAINERID + '\\n');
  if (cmd !== 'ADD') return;
  if (conf.fail) { process.stdout.write(JSON.stringify({ cniVersion: conf.cniVersion, code: 999, msg: conf.fail, details: 'from the e2e test plugin' })); process.exit(1); }
  setTimeout(() => process.stdout.write(JSON.stringify(conf.prevResult)), conf.sleepMs || 0);
});
`,
  );
  chmodSync(path, 0o755);
  return path;
}

/** IPs the network's plugin still holds (host-local's or net-veth's files). */
export function allocatedIps(net: PodNetwork): string[] {
  if (!existsSync(net.allocationDir)) return [];
  return readdirSync(net.allocationDir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
}

/** Interfaces enslaved to the bridge (the pods' host-side veths). */
export async function bridgePorts(net: PodNetwork): Promise<string[]> {
  const r = await execa('ip', ['-o', 'link', 'show', 'master', net.bridge], { reject: false });
  return r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

export async function deleteBridge(net: PodNetwork | undefined): Promise<void> {
  if (net) await execa('ip', ['link', 'del', net.bridge], { reject: false });
}

export async function ping(ip: string, netnsPath?: string): Promise<boolean> {
  const args = ['-c', '1', '-W', '2', ip];
  const r = netnsPath ? await execa('nsenter', [`--net=${netnsPath}`, 'ping', ...args], { reject: false }) : await execa('ping', args, { reject: false });
  return r.exitCode === 0;
}

/**
 * A network plugin the pod-network tests run against: how to start criod with it, and how to
 * make its network once criod runs. With `slowSetUpMs`, every pod's network setup pauses that
 * long after its IP is allocated, so a test can crash criod in the middle.
 */
export interface NetworkUnderTest {
  /** Config sections for startCriod. */
  criodConfig: Record<string, unknown>;
  attach(criod: CriodInstance, options?: { slowSetUpMs?: number }): Promise<PodNetwork>;
}

/** net-cni with a bridge conflist; the slowdown is a CNI plugin of the test after bridge. */
export function cniUnderTest(): NetworkUnderTest {
  return {
    criodConfig: {},
    async attach(criod, { slowSetUpMs } = {}) {
      if (slowSetUpMs === undefined) return writeBridgeNetwork(criod.dir);
      writeTestPlugin(join(criod.dir, 'cni', 'bin'));
      return writeBridgeNetwork(criod.dir, { extraPlugins: [{ type: 'e2e-test', sleepMs: slowSetUpMs }] });
    },
  };
}

/**
 * net-veth, selected by package name, on its own bridge; the slowdown is an `nsenter` of the test
 * first in criod's PATH that pauses before the pod side of the setup (`ip -batch` in the pod).
 */
export function vethUnderTest(): NetworkUnderTest {
  const bridge = uniqueName('vbr');
  const net = testSubnet();
  return {
    criodConfig: { plugins: { network: '@criod/net-veth' }, network: undefined, net_veth: { bridge, subnet: net.subnet } },
    async attach(criod, { slowSetUpMs } = {}) {
      if (slowSetUpMs !== undefined) {
        const nsenter = await findExecutable('nsenter');
        if (!nsenter) throw new Error('nsenter not found');
        const binDir = join(criod.dir, 'bin');
        mkdirSync(binDir, { recursive: true });
        const wrapper = join(binDir, 'nsenter');
        writeFileSync(wrapper, `#!/bin/sh\ncase " $* " in *" -batch "*) sleep ${slowSetUpMs / 1000} ;; esac\nexec ${nsenter} "$@"\n`);
        chmodSync(wrapper, 0o755);
        // net-veth finds its nsenter when it starts.
        await criod.stop();
        await criod.restart();
      }
      return { bridge, ...net, allocationDir: join(criod.dir, 'root', 'net-veth') };
    },
  };
}

/** Each network plugin by package name, for the tests every one must pass. */
export const networksUnderTest: Record<string, () => NetworkUnderTest> = {
  '@criod/net-cni': cniUnderTest,
  '@criod/net-veth': vethUnderTest,
};

/**
 * Test networks: a CNI bridge conflist on a unique bridge and a random test subnet (ipMasq off,
 * host-local IPAM with its state in the test's dir), and the checks that nothing leaked.
 */
import { randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { uniqueName } from './harness.js';

export interface TestNetwork {
  bridge: string;
  /** e.g. "10.213.7" — the /24's first three octets. */
  prefix: string;
  subnet: string;
  gateway: string;
  ipamDir: string;
  confFile: string;
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
  const prefix = `10.${randomInt(200, 250)}.${randomInt(0, 255)}`;
  const subnet = `${prefix}.0/24`;
  const ipamDir = join(dir, 'ipam');
  mkdirSync(ipamDir, { recursive: true });
  const conf = {
    cniVersion: '1.0.0',
    name: options.name ?? `e2e-${bridge}`,
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
  return { bridge, prefix, subnet, gateway: `${prefix}.1`, ipamDir, confFile };
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

/** IPs host-local still holds in the network's IPAM dir. */
export function allocatedIps(net: TestNetwork): string[] {
  const dir = join(net.ipamDir, JSON.parse(readFileSync(net.confFile, 'utf8')).name as string);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
}

/** Interfaces enslaved to the bridge (the pods' host-side veths). */
export async function bridgePorts(net: TestNetwork): Promise<string[]> {
  const r = await execa('ip', ['-o', 'link', 'show', 'master', net.bridge], { reject: false });
  return r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

export async function deleteBridge(net: TestNetwork | undefined): Promise<void> {
  if (net) await execa('ip', ['link', 'del', net.bridge], { reject: false });
}

export async function ping(ip: string, netnsPath?: string): Promise<boolean> {
  const args = ['-c', '1', '-W', '2', ip];
  const r = netnsPath ? await execa('nsenter', [`--net=${netnsPath}`, 'ping', ...args], { reject: false }) : await execa('ping', args, { reject: false });
  return r.exitCode === 0;
}

/**
 * The CNI network plugin: follows the conf dir, runs plugin chains for ADD/CHECK/DEL, and caches
 * each ADD so its DEL runs with the same config whatever happened to the conf dir since.
 */
import { readFile, statfs } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Logger, NetworkPlugin, OperationObserver, PodNetworkRequest, PodNetworkStatus, Readiness } from '@criod/core';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NSFS_MAGIC,
  NotFoundError,
  errorMessage,
  timed,
  writeFileAtomic,
} from '@criod/core';
import { deleteCache, readCache, writeCache, type CacheEntry } from './cache.js';
import type { IpRange } from './config.js';
import { CNI_NAME_RE, loadNetwork, type LoadResult, type NetworkConfList } from './confload.js';
import { findPlugin, invokePlugin, missingPluginError, type CniCommand } from './exec.js';
import { resultIps, versionAtLeast } from './result.js';
import { capabilityArgs, cniArgs, pluginStdin } from './runtime.js';
import { podCidrData, renderTemplate } from './template.js';
import { DirWatcher } from './watch.js';

export const PLUGIN_NAME = '@criod/net-cni';
export const IF_NAME = 'eth0';
const NOT_READY = 'NetworkPluginNotReady';
/** Where the rendered conf_template goes in the conf dir (containerd: 10-containerd-net.conflist). */
export const RENDERED_CONF = '10-criod-net.conflist';

export interface CniNetworkOptions {
  confDir: string;
  pluginDirs: string[];
  cacheDir: string;
  defaultNetwork: string;
  timeoutMs: number;
  ipRanges: IpRange[][];
  logger: Logger;
  /** Poll period while the conf dir cannot be watched. */
  pollMs?: number;
  /** Template file rendered into the conf dir when the node's pod CIDRs arrive; "" = none. */
  confTemplate?: string;
  /** Told how long each ADD/CHECK/DEL chain took and whether it succeeded. */
  observe?: OperationObserver;
}

/** What one chain run needs besides the list. */
interface Attachment {
  podId: string;
  netns: string;
  cniArgs: [string, string][];
  capabilityArgs: Record<string, unknown>;
}

/** The netns to name in a DEL: the path while it is a live namespace, else none (allowed for DEL). */
async function liveNetns(path: string): Promise<string> {
  if (!path) return '';
  try {
    return (await statfs(path)).type === NSFS_MAGIC ? path : '';
  } catch {
    return '';
  }
}

function validatePodId(podId: string): void {
  if (!CNI_NAME_RE.test(podId)) throw new InvalidArgumentError(`invalid pod id for CNI: "${podId}"`);
}

export class CniNetwork implements NetworkPlugin {
  readonly name = PLUGIN_NAME;
  readonly podInterface = IF_NAME;
  private state: LoadResult = { ok: false, message: 'CNI network config not loaded yet', files: [] };
  private watcher: DirWatcher | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private readonly podLocks = new Map<string, Promise<void>>();
  private readonly logger: Logger;
  private podCidrs: string[] = [];

  constructor(private readonly opts: CniNetworkOptions) {
    this.logger = opts.logger;
  }

  /** Load the conf dir once and start following it. */
  async start(): Promise<void> {
    await this.reload();
    this.watcher = new DirWatcher(this.opts.confDir, () => void this.reload(), this.opts.pollMs ?? 2000, this.logger);
    await this.watcher.start();
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Re-read the conf dir; concurrent calls coalesce into one more pass. */
  reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        await this.reloadOnce();
      } while (this.reloadAgain);
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async reloadOnce(): Promise<void> {
    const next = await loadNetwork(this.opts.confDir, this.opts.defaultNetwork);
    const prev = this.state;
    this.state = next;
    const key = (s: LoadResult) => (s.ok ? `ok:${s.network.file}:${JSON.stringify(s.network.list)}` : `err:${s.message}`);
    if (key(prev) === key(next)) return;
    if (next.ok) {
      this.logger.info({ network: next.network.list.name, file: next.network.file, cniVersion: next.network.list.cniVersion }, 'CNI network config loaded');
    } else {
      this.logger.warn({ confDir: this.opts.confDir, reason: next.message }, 'no usable CNI network config');
    }
  }

  async status(): Promise<Readiness> {
    const s = this.state;
    if (!s.ok) return { ready: false, reason: NOT_READY, message: s.message };
    const { list, file } = s.network;
    for (const p of list.plugins) {
      if (!(await findPlugin(p.type, this.opts.pluginDirs))) {
        return {
          ready: false,
          reason: NOT_READY,
          message: `CNI plugin binary "${p.type}" of network ${list.name} (${file}) not found in ${this.opts.pluginDirs.join(', ')}`,
        };
      }
    }
    return { ready: true, reason: '', message: '' };
  }

  async info(): Promise<Record<string, unknown>> {
    const s = this.state;
    return {
      confDir: this.opts.confDir,
      pluginDirs: this.opts.pluginDirs,
      cacheDir: this.opts.cacheDir,
      network: s.ok ? s.network.list.name : null,
      networkFile: s.ok ? s.network.file : null,
      cniVersion: s.ok ? s.network.list.cniVersion : null,
      plugins: s.ok ? s.network.list.plugins.map((p) => p.type) : [],
      watch: this.watcher?.mode ?? 'closed',
      podCidrs: this.podCidrs,
      confTemplate: this.opts.confTemplate || null,
      ...(s.ok ? {} : { notReady: s.message }),
    };
  }

  async setUp(req: PodNetworkRequest): Promise<PodNetworkStatus> {
    validatePodId(req.podId);
    return this.withPodLock(req.podId, async () => {
      if (!this.state.ok) await this.reload();
      const s = this.state;
      if (!s.ok) throw new FailedPreconditionError(`CNI network not ready: ${s.message}`);
      const { list, file } = s.network;
      const existing = await readCache(this.opts.cacheDir, req.podId);
      if (existing.state === 'ok') {
        throw new AlreadyExistsError(`pod ${req.podId} is already attached to CNI network ${existing.entry.network}; tear it down first`);
      }
      const att: Attachment = {
        podId: req.podId,
        netns: req.netnsPath,
        cniArgs: cniArgs(req),
        capabilityArgs: capabilityArgs(req, this.opts.ipRanges),
      };
      const paths = await this.resolvePlugins(list);

      let result: Record<string, unknown> | undefined;
      try {
        await timed(async () => {
          for (let i = 0; i < list.plugins.length; i++) {
            result = await this.run('ADD', list, i, paths[i] as string, att, result);
          }
        }, this.report('ADD'));
        if (!result) throw new Error(`CNI network ${list.name}: the chain returned no result`);
        const entry: CacheEntry = {
          kind: 'criod-cni-cache/v1',
          podId: req.podId,
          ifName: IF_NAME,
          netns: req.netnsPath,
          network: list.name,
          file,
          cniArgs: att.cniArgs,
          capabilityArgs: att.capabilityArgs,
          config: list,
          result,
          createdAt: new Date().toISOString(),
        };
        await writeCache(this.opts.cacheDir, entry);
      } catch (err) {
        // Per spec: on a failed ADD, DEL the whole list (reverse order), so nothing stays behind.
        await this.rollback(list, paths, att, result);
        throw err;
      }
      const ips = resultIps(result, IF_NAME);
      if (ips.length === 0) this.logger.warn({ podId: req.podId, network: list.name }, 'CNI result has no IP');
      this.logger.debug({ podId: req.podId, network: list.name, ips }, 'pod network set up');
      return { ips };
    });
  }

  async check(req: PodNetworkRequest): Promise<void> {
    validatePodId(req.podId);
    return this.withPodLock(req.podId, async () => {
      const cached = await readCache(this.opts.cacheDir, req.podId);
      if (cached.state !== 'ok') {
        throw new NotFoundError(
          cached.state === 'absent' ? `pod ${req.podId} has no CNI network attachment` : `CNI cache of pod ${req.podId} is unreadable: ${cached.message}`,
        );
      }
      const e = cached.entry;
      const list = e.config;
      // CHECK exists from spec 0.4.0 on; disableCheck opts a list out.
      if (!versionAtLeast(list.cniVersion, '0.4.0') || list.disableCheck) return;
      const paths = await this.resolvePlugins(list);
      const att: Attachment = {
        podId: req.podId,
        netns: req.netnsPath || e.netns,
        cniArgs: e.cniArgs,
        capabilityArgs: e.capabilityArgs,
      };
      await timed(async () => {
        for (let i = 0; i < list.plugins.length; i++) {
          await this.run('CHECK', list, i, paths[i] as string, att, e.result);
        }
      }, this.report('CHECK'));
    });
  }

  async tearDown(req: PodNetworkRequest): Promise<void> {
    validatePodId(req.podId);
    return this.withPodLock(req.podId, async () => {
      const cached = await readCache(this.opts.cacheDir, req.podId);
      if (cached.state === 'corrupt') {
        this.logger.warn({ podId: req.podId, problem: cached.message }, 'dropping unreadable CNI cache entry');
      }
      let list: NetworkConfList;
      let att: Attachment;
      let prevResult: Record<string, unknown> | undefined;
      if (cached.state === 'ok') {
        const e = cached.entry;
        list = e.config;
        att = {
          podId: req.podId,
          netns: await liveNetns(req.netnsPath || e.netns),
          cniArgs: e.cniArgs,
          capabilityArgs: e.capabilityArgs,
        };
        // prevResult on DEL exists from spec 0.4.0 on.
        prevResult = versionAtLeast(list.cniVersion, '0.4.0') ? e.result : undefined;
      } else {
        // Never set up by us (or the cache is lost): DEL with the current config; plugins treat
        // a DEL of something unknown as success. With no config there is nothing to run.
        if (!this.state.ok) await this.reload();
        const s = this.state;
        if (!s.ok) {
          if (cached.state === 'corrupt') await deleteCache(this.opts.cacheDir, req.podId);
          this.logger.debug({ podId: req.podId }, 'no CNI cache entry and no network config: nothing to tear down');
          return;
        }
        list = s.network.list;
        att = {
          podId: req.podId,
          netns: await liveNetns(req.netnsPath),
          cniArgs: cniArgs(req),
          capabilityArgs: capabilityArgs(req, this.opts.ipRanges),
        };
      }
      const paths = await this.resolvePlugins(list);
      await timed(async () => {
        for (let i = list.plugins.length - 1; i >= 0; i--) {
          await this.run('DEL', list, i, paths[i] as string, att, prevResult);
        }
      }, this.report('DEL'));
      await deleteCache(this.opts.cacheDir, req.podId);
      this.logger.debug({ podId: req.podId, network: list.name }, 'pod network torn down');
    });
  }

  /**
   * The node's pod CIDRs: recorded, and with a conf_template rendered into the conf dir. As in
   * containerd, a network config someone else installed wins: the template only fills the gap
   * (or replaces what it rendered itself, for a changed CIDR).
   */
  async updatePodCidrs(cidrs: string[]): Promise<void> {
    this.podCidrs = cidrs;
    const template = this.opts.confTemplate;
    if (!template) return;
    const s = this.state;
    if (s.ok && basename(s.network.file) !== RENDERED_CONF) {
      this.logger.info({ file: s.network.file }, 'a CNI network config is in place: not rendering conf_template');
      return;
    }
    let text: string;
    try {
      text = renderTemplate(await readFile(template, 'utf8'), podCidrData(cidrs));
      JSON.parse(text);
    } catch (err) {
      throw new FailedPreconditionError(`[network] conf_template ${template}: ${errorMessage(err)}`);
    }
    const file = join(this.opts.confDir, RENDERED_CONF);
    await writeFileAtomic(file, text, { mode: 0o644 });
    this.logger.info({ file, podCidrs: cidrs }, 'CNI network config rendered from conf_template');
    // The watcher would notice too; reloading now makes NetworkReady follow before the answer.
    await this.reload();
  }

  private report(command: 'ADD' | 'CHECK' | 'DEL') {
    return (ok: boolean, seconds: number) => this.opts.observe?.({ type: 'cni', command, ok, seconds });
  }

  private async resolvePlugins(list: NetworkConfList): Promise<string[]> {
    const paths: string[] = [];
    for (const p of list.plugins) {
      const path = await findPlugin(p.type, this.opts.pluginDirs);
      if (!path) throw missingPluginError(p.type, list.name, this.opts.pluginDirs);
      paths.push(path);
    }
    return paths;
  }

  private run(
    command: CniCommand,
    list: NetworkConfList,
    index: number,
    pluginPath: string,
    att: Attachment,
    prevResult: Record<string, unknown> | undefined,
  ): Promise<Record<string, unknown> | undefined> {
    const plugin = list.plugins[index];
    if (!plugin) throw new Error(`no plugin ${index} in network ${list.name}`);
    return invokePlugin({
      command,
      type: plugin.type,
      network: list.name,
      pluginPath,
      containerId: att.podId,
      netns: att.netns,
      ifName: IF_NAME,
      cniArgs: att.cniArgs,
      pluginDirs: this.opts.pluginDirs,
      stdin: pluginStdin(list, plugin, prevResult, att.capabilityArgs),
      timeoutMs: this.opts.timeoutMs,
    });
  }

  /** Best-effort DEL of the whole list after a failed ADD; every plugin is tried. */
  private async rollback(list: NetworkConfList, paths: string[], att: Attachment, lastResult: Record<string, unknown> | undefined): Promise<void> {
    const prev = versionAtLeast(list.cniVersion, '0.4.0') ? lastResult : undefined;
    const delAtt = { ...att, netns: await liveNetns(att.netns) };
    for (let i = list.plugins.length - 1; i >= 0; i--) {
      try {
        await this.run('DEL', list, i, paths[i] as string, delAtt, prev);
      } catch (err) {
        this.logger.warn({ podId: att.podId, network: list.name, err: errorMessage(err) }, 'CNI DEL after failed ADD failed');
      }
    }
    await deleteCache(this.opts.cacheDir, att.podId).catch(() => undefined);
  }

  private async withPodLock<T>(podId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.podLocks.get(podId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const tail = prev.then(() => mine);
    this.podLocks.set(podId, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.podLocks.get(podId) === tail) this.podLocks.delete(podId);
    }
  }
}

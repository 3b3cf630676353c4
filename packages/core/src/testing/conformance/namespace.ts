/**
 * The namespace plugin contract as checks: pins that outlive the plugin instance, state() telling
 * open from closed, an idempotent release, and list() and pinsFor() that restore relies on.
 */
import { randomBytes } from 'node:crypto';
import type { NamespacePlugin } from '../../plugins.js';
import type { NamespaceKind, PinnedNamespace } from '../../types.js';
import { ensure, rejectsTyped, scopedCheck, succeeds, type CheckScope, type ConformanceCheck } from './checks.js';

export interface NamespaceConformanceSetup {
  /**
   * A new instance of the plugin under test. Every call must give an instance over the same
   * config and dirs: a second call is a criod restart. The kit closes each one.
   */
  create(): Promise<NamespacePlugin>;
  /** The kinds it pins; all three by default. */
  kinds?: NamespaceKind[];
}

class NamespaceFixture {
  /** The newest instance: what releases, as the one in charge after a restart. */
  private latest?: NamespacePlugin;

  constructor(
    private readonly setup: NamespaceConformanceSetup,
    private readonly scope: CheckScope,
  ) {}

  get kinds(): NamespaceKind[] {
    return this.setup.kinds ?? ['net', 'ipc', 'uts'];
  }

  async plugin(): Promise<NamespacePlugin> {
    const ns = await succeeds('create()', this.setup.create());
    this.scope.defer(async () => ns.close?.());
    this.latest = ns;
    return ns;
  }

  /** Pins for a new pod, released when the check ends. */
  async pinned(plugin: NamespacePlugin): Promise<{ podId: string; pins: PinnedNamespace[] }> {
    const podId = randomBytes(32).toString('hex');
    this.scope.defer(async () => {
      for (const ns of this.latest?.pinsFor(podId) ?? []) await this.latest?.release(ns).catch(() => undefined);
    });
    const pins = await succeeds(`create(${podId}, ${JSON.stringify(this.kinds)})`, plugin.create(podId, this.kinds));
    const kinds = pins.map((p) => p.kind).sort();
    ensure(
      JSON.stringify(kinds) === JSON.stringify([...this.kinds].sort()),
      `create() pinned ${JSON.stringify(kinds)}, asked for ${JSON.stringify(this.kinds)}`,
    );
    return { podId, pins };
  }
}

function namespaceCheck(setup: NamespaceConformanceSetup, name: string, body: (f: NamespaceFixture) => Promise<void>): ConformanceCheck {
  return scopedCheck(name, (scope) => body(new NamespaceFixture(setup, scope)));
}

const paths = (pins: PinnedNamespace[]) => pins.map((p) => `${p.kind}:${p.path}`).sort();

/** The checks of the namespace contract for the plugin `setup` makes; register each as a test. */
export function namespaceConformance(setup: NamespaceConformanceSetup): ConformanceCheck[] {
  return [
    namespaceCheck(setup, 'pins open namespaces where pinsFor() says, listed by list()', async (f) => {
      const plugin = await f.plugin();
      const { podId, pins } = await f.pinned(plugin);
      for (const ns of pins)
        ensure((await succeeds(`state(${ns.path})`, plugin.state(ns))) === 'open', `the new ${ns.kind} namespace at ${ns.path} is not open`);
      const expected = plugin.pinsFor(podId).filter((p) => f.kinds.includes(p.kind));
      ensure(
        JSON.stringify(paths(expected)) === JSON.stringify(paths(pins)),
        `pinsFor() says ${JSON.stringify(paths(expected))}, create() pinned ${JSON.stringify(paths(pins))}`,
      );
      const listed = paths(await succeeds('list()', plugin.list()));
      for (const p of paths(pins)) ensure(listed.includes(p), `list() leaves out ${p}`);
    }),

    namespaceCheck(setup, 'releases twice without error, after which the namespaces are closed and not listed', async (f) => {
      const plugin = await f.plugin();
      const { pins } = await f.pinned(plugin);
      for (const ns of pins) {
        await succeeds(`release(${ns.path})`, plugin.release(ns));
        await succeeds(`a second release(${ns.path})`, plugin.release(ns));
        ensure((await succeeds('state() after release', plugin.state(ns))) === 'closed', `the released ${ns.kind} namespace at ${ns.path} is not closed`);
      }
      const listed = paths(await succeeds('list()', plugin.list()));
      for (const p of paths(pins)) ensure(!listed.includes(p), `list() still lists the released ${p}`);
    }),

    namespaceCheck(setup, 'releases, and reports closed, the pins of a pod never created', async (f) => {
      const plugin = await f.plugin();
      for (const ns of plugin.pinsFor(randomBytes(32).toString('hex'))) {
        ensure((await succeeds(`state(${ns.path})`, plugin.state(ns))) === 'closed', `a ${ns.kind} namespace never pinned at ${ns.path} is not closed`);
        await succeeds(`release(${ns.path}) of a pin never made`, plugin.release(ns));
      }
    }),

    namespaceCheck(setup, 'refuses a pod id that cannot name a pin with a CriodError', async (f) => {
      const plugin = await f.plugin();
      await rejectsTyped('create("../escape")', plugin.create('../escape', f.kinds));
      await rejectsTyped('pinsFor("../escape")', (async () => plugin.pinsFor('../escape'))());
    }),

    namespaceCheck(setup, 'keeps pins across a restart: open, listed, and released by the new instance', async (f) => {
      const first = await f.plugin();
      const { pins } = await f.pinned(first);
      await succeeds('close() before the restart', first.close?.() ?? Promise.resolve());
      const plugin = await f.plugin();
      const listed = paths(await succeeds('list() after the restart', plugin.list()));
      for (const ns of pins) {
        ensure(listed.includes(`${ns.kind}:${ns.path}`), `list() after the restart leaves out ${ns.kind}:${ns.path}`);
        ensure(
          (await succeeds('state() after the restart', plugin.state(ns))) === 'open',
          `the ${ns.kind} namespace at ${ns.path} is not open after the restart`,
        );
        await succeeds('release() after the restart', plugin.release(ns));
        ensure((await succeeds('state()', plugin.state(ns))) === 'closed', `the ${ns.kind} namespace released after the restart is not closed`);
      }
    }),
  ];
}

import { describe, expect, it } from 'vitest';
import { CriService } from './service.js';
import { silentLogger } from './logger.js';
import { fakePluginSet } from './testing/index.js';

function service() {
  const plugins = fakePluginSet();
  return { plugins, svc: new CriService(plugins, silentLogger, { runtimeVersion: '9.9.9', effectiveConfig: { root: '/r' }, runroot: '/nonexistent' }) };
}

describe('Version', () => {
  it('answers runtime name criod and API v1', () => {
    expect(service().svc.version()).toEqual({ version: '0.1.0', runtimeName: 'criod', runtimeVersion: '9.9.9', runtimeApiVersion: 'v1' });
  });
});

describe('Status', () => {
  it('reports both conditions ready when the plugins are', async () => {
    const st = await service().svc.status(false);
    expect(st.conditions).toEqual([
      { type: 'RuntimeReady', status: true, reason: '', message: '' },
      { type: 'NetworkReady', status: true, reason: '', message: '' },
    ]);
    expect(st.info).toEqual({});
  });

  it('takes NetworkReady reason and message from the network plugin', async () => {
    const { plugins, svc } = service();
    plugins.network.readiness = { ready: false, reason: 'NetworkPluginNotReady', message: 'no CNI config in /etc/cni/net.d' };
    const net = (await svc.status(false)).conditions.find((c) => c.type === 'NetworkReady');
    expect(net).toEqual({ type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'no CNI config in /etc/cni/net.d' });
  });

  it('turns a throwing runtime probe into RuntimeReady false instead of an error', async () => {
    const { plugins, svc } = service();
    plugins.runtime.status = async () => {
      throw new Error('runc vanished');
    };
    const rt = (await svc.status(false)).conditions[0];
    expect(rt).toMatchObject({ type: 'RuntimeReady', status: false, message: 'runc vanished' });
  });

  it('adds plugin info and the config when verbose', async () => {
    const st = await service().svc.status(true);
    expect(Object.keys(JSON.parse(st.info.plugins ?? '{}'))).toEqual(expect.arrayContaining(['fake-network', 'memory-records', 'memory-images']));
    expect(JSON.parse(st.info.config ?? 'null')).toEqual({ root: '/r' });
  });

  it('lists the runtime handlers', async () => {
    expect((await service().svc.status(false)).handlers.map((h) => h.name)).toEqual(['runc']);
  });
});

describe('RuntimeConfig', () => {
  it('reports the cgroup driver of the runtime plugin', () => {
    const { plugins, svc } = service();
    plugins.runtime.driver = 'systemd';
    expect(svc.runtimeConfig()).toEqual({ cgroupDriver: 'systemd' });
  });
});

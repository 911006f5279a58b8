import { describe, expect, it } from 'vitest';
import { DisposableStore, ServiceHost, type Service } from './lifecycle.js';

function service(name: string, journal: string[], failStart = false): Service {
  return {
    name,
    start: async () => {
      if (failStart) throw new Error(`${name} cannot start`);
      journal.push(`start ${name}`);
    },
    dispose: async () => {
      journal.push(`stop ${name}`);
    },
  };
}

describe('ServiceHost', () => {
  it('starts services in order and stops them in reverse', async () => {
    const journal: string[] = [];
    const host = new ServiceHost();
    for (const n of ['store', 'bus', 'video', 'api']) host.add(service(n, journal));
    await host.start();
    await host.dispose();
    expect(journal).toEqual([
      'start store',
      'start bus',
      'start video',
      'start api',
      'stop api',
      'stop video',
      'stop bus',
      'stop store',
    ]);
  });

  it('stops what started when a later service fails: nothing half-starts', async () => {
    const journal: string[] = [];
    const host = new ServiceHost();
    host.add(service('store', journal));
    host.add(service('bus', journal));
    host.add(service('video', journal, true));
    host.add(service('api', journal));
    await expect(host.start()).rejects.toThrow('video cannot start');
    expect(journal).toEqual(['start store', 'start bus', 'stop bus', 'stop store']);
  });
});

describe('ServiceHost health', () => {
  it('reports every service that has a health, leaving out the one asking', () => {
    const host = new ServiceHost();
    const store = host.add({ ...service('store', []), health: () => ({ status: 'ok' as const }) });
    host.add(service('bus', []));
    const api = host.add({ ...service('api', []), health: () => ({ status: 'down' as const }) });
    expect(host.health(api)).toEqual({ store: { status: 'ok' } });
    expect(host.health()).toEqual({ store: { status: 'ok' }, api: { status: 'down' } });
    expect(store.name).toBe('store');
  });
});

describe('DisposableStore', () => {
  it('disposes in reverse order and keeps going when one fails', async () => {
    const journal: string[] = [];
    const store = new DisposableStore();
    store.addCallback(() => void journal.push('a'));
    store.addCallback(() => {
      throw new Error('b broke');
    });
    store.addCallback(() => void journal.push('c'));
    await expect(store.dispose()).rejects.toThrow('b broke');
    expect(journal).toEqual(['c', 'a']);
    expect(store.isDisposed).toBe(true);
  });
});

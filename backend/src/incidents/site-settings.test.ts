import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../../../test/fixtures/backend.js';
import {
  REDIS_INSTALL_HINT,
  redisAvailable,
  useRedis,
  type RedisHandle,
} from '../../../test/fixtures/redis.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { waitFor } from '../../../test/contracts/bus.js';
import { AlertSettingsStore, RedisAlertSettings } from './site-settings.js';

const skip = skipWithout('Redis', await redisAvailable(), REDIS_INSTALL_HINT);

describe.skipIf(skip)('alert settings shared through Redis (real Redis)', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await useRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('carries the settings of the data folder over once, and shows a change made on one instance on the other', async () => {
    const keyPrefix = `vigil-test-${randomUUID().slice(0, 8)}:`;
    const file = path.join(tempHome(), 'alerts', 'settings.json');
    new AlertSettingsStore(file).set({
      channels: [{ id: 'desk', name: 'Desktop', kind: 'desktop' }],
      escalation: [{ name: 'Raised', afterSec: 0, channelIds: ['desk'] }],
    });
    const one = new RedisAlertSettings({ url: redis.url, keyPrefix }, file);
    // A second instance whose data folder holds other (older) settings: Redis already has the first one's.
    const otherFile = path.join(tempHome(), 'alerts', 'settings.json');
    new AlertSettingsStore(otherFile).set({ sound: false });
    const two = new RedisAlertSettings({ url: redis.url, keyPrefix }, otherFile);
    try {
      await one.start();
      await two.start();
      expect(two.get().escalation.map((l) => l.name)).toEqual(['Raised']);
      expect(two.get().sound).toBe(true);

      await one.set({ sound: false, channels: [], escalation: [] });
      await waitFor(
        () => two.get().sound === false && two.get().escalation.length === 0,
        'the change on two',
      );
      // The data folder's file is left as it was (nothing is lost), and is not read again.
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ sound: true });
    } finally {
      await one.dispose();
      await two.dispose();
      const cleanup = new Redis(redis.url);
      await cleanup.del(`${keyPrefix}alerts:settings`);
      cleanup.disconnect();
    }
  });
});

import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { runEventCacheContractSuite } from '../../../test/contracts/event-cache.js';
import { useRedis, type RedisHandle } from '../../../test/fixtures/redis.js';
import { MemoryEventCache } from './memory-cache.js';
import { RedisEventCache } from './redis-cache.js';

runEventCacheContractSuite('memory', async ({ ttlSeconds }) => new MemoryEventCache({ ttlSeconds }));

let redis: RedisHandle | undefined;
let prefixes = 0;
runEventCacheContractSuite('Redis (real redis-server)', async ({ ttlSeconds }) => {
  redis ??= await useRedis();
  // Each cache its own key prefix, so every test starts empty on a shared server.
  return new RedisEventCache({
    url: redis.url,
    keyPrefix: `vigil-test-${process.pid}-${Date.now()}-${++prefixes}:`,
    ttlSeconds,
  });
});
afterAll(async () => {
  if (!redis) return;
  // Generation and epoch keys have no expiry: remove this run's keys from a shared server.
  const client = new Redis(redis.url);
  const keys = await client.keys(`vigil-test-${process.pid}-*`);
  if (keys.length) await client.del(...keys);
  client.disconnect();
  await redis.stop();
});

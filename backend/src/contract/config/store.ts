import { z } from 'zod';
import { Limits } from './limits.js';

/** Event store and search settings. */
export const StoreConfig = z
  .strictObject({
    file: z
      .string()
      .max(Limits.path)
      .default('')
      .describe(
        'SQLite database file. Empty: "events.db" in the data folder. Snapshots go to "snapshots" beside it.',
      ),
    synchronous: z
      .enum(['normal', 'full'])
      .default('normal')
      .describe(
        'SQLite durability. "normal" (WAL) survives a crash or kill of the backend; "full" also survives power loss, at a cost in write speed.',
      ),
    batch: z
      .strictObject({
        maxEvents: z
          .int()
          .min(1)
          .max(10_000)
          .default(500)
          .describe('Most event messages written in one transaction.'),
        maxDelayMs: z
          .int()
          .min(0)
          .max(5000)
          .default(25)
          .describe('Longest wait for a batch to fill before it is written.'),
      })
      .prefault({})
      .describe('Batching of event writes from the pipeline.'),
    cache: z
      .strictObject({
        redisUrl: z
          .string()
          .max(Limits.url)
          .regex(/^rediss?:\/\/[^\s]+$/, 'a redis:// or rediss:// URL')
          .optional()
          .describe(
            'Redis for hot queries and live counters, e.g. redis://127.0.0.1:6379. Absent: no cache, everything is served from the database.',
          ),
        passwordEnv: z
          .string()
          .max(Limits.token)
          .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as VIGIL_REDIS_PASSWORD')
          .optional()
          .describe('Name of the environment variable holding the Redis password.'),
        ttlSeconds: z
          .int()
          .min(1)
          .max(3600)
          .default(30)
          .describe('Longest time a cached answer is kept (writes invalidate it sooner).'),
        keyPrefix: z.string().max(40).default('vigil:').describe('Prefix of every Redis key Vigil writes.'),
      })
      .prefault({})
      .describe('Optional Redis cache. If Redis goes away, answers come from the database until it is back.'),
  })
  .prefault({})
  .describe('Event store: the database of events, alerts, notes, saved searches and the audit log.');
export type StoreConfig = z.infer<typeof StoreConfig>;

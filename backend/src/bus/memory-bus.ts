import type { Bus, SubscribeOptions, Subscription, Topic, TopicStats } from '../contract/bus.js';
import { COMPACTED_TOPICS, isLossy, Topics } from '../contract/bus.js';
import { createLogger } from '../platform/log.js';

interface Queued {
  key: string;
  message: unknown;
}

/** What a full queue of the in-process bus does. */
export type OverflowPolicy =
  /** Drop the oldest queued message with the same key (lossy topics: the producer never waits). */
  | 'drop-oldest-per-key'
  /** Make `publish` wait until there is room (lossless topics: nothing is lost). */
  | 'block';

/** The queue of one topic per consumer group in the in-process bus. */
export interface QueuePolicy {
  capacity: number;
  overflow: OverflowPolicy;
}

/** Messages queued per consumer group before a topic overflows. */
const CAPACITY: Record<Topic, number> = {
  [Topics.frames]: 16,
  [Topics.detections]: 256,
  [Topics.events]: 1024,
  [Topics.alerts]: 1024,
  [Topics.incidents]: 1024,
  [Topics.health]: 256,
  [Topics.notifications]: 256,
  [Topics.audit]: 1024,
  [Topics.deadLetter]: 256,
  [Topics.settings]: 256,
};

/** Each topic's queue: its capacity, and its overflow as the contract's delivery policy says (`TOPIC_DELIVERY`). */
export const DEFAULT_TOPIC_POLICIES: Record<Topic, QueuePolicy> = Object.fromEntries(
  Object.values(Topics).map((t) => [
    t,
    { capacity: CAPACITY[t], overflow: isLossy(t) ? 'drop-oldest-per-key' : 'block' },
  ]),
) as Record<Topic, QueuePolicy>;

type Handler = (message: unknown, key: string) => Promise<void> | void;

/** One consumer group of a topic: its own bounded queue, drained by its members. */
class GroupQueue {
  readonly queue: Queued[] = [];
  readonly members: Array<{ handler: Handler; concurrency: number; active: number }> = [];
  readonly #spaceWaiters: Array<() => void> = [];
  #rr = 0;

  constructor(
    readonly topic: Topic,
    readonly name: string,
    readonly policy: QueuePolicy,
    readonly stats: TopicStats,
    readonly log: ReturnType<typeof createLogger>,
  ) {}

  async push(item: Queued): Promise<void> {
    if (this.queue.length >= this.policy.capacity) {
      if (this.policy.overflow === 'drop-oldest-per-key') {
        let idx = this.queue.findIndex((q) => q.key === item.key);
        if (idx < 0) idx = 0; // the key has nothing queued: drop the oldest overall
        const [dropped] = this.queue.splice(idx, 1);
        if (dropped) {
          this.stats.dropped++;
          this.stats.droppedByKey[dropped.key] = (this.stats.droppedByKey[dropped.key] ?? 0) + 1;
        }
      } else {
        while (this.queue.length >= this.policy.capacity) {
          await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
        }
      }
    }
    this.queue.push(item);
    this.pump();
  }

  pump(): void {
    while (this.queue.length > 0) {
      const n = this.members.length;
      let chosen: (typeof this.members)[number] | undefined;
      for (let i = 0; i < n; i++) {
        const m = this.members[(this.#rr + i) % n];
        if (m && m.active < m.concurrency) {
          chosen = m;
          this.#rr = (this.#rr + i + 1) % n;
          break;
        }
      }
      if (!chosen) return;
      const item = this.queue.shift() as Queued;
      this.#spaceWaiters.shift()?.();
      const member = chosen;
      member.active++;
      void (async () => {
        try {
          await member.handler(item.message, item.key);
          this.stats.delivered++;
        } catch (err) {
          this.log.error(
            { topic: this.topic, group: this.name, key: item.key, err },
            'message handler failed',
          );
        } finally {
          member.active--;
          this.pump();
        }
      })();
    }
  }

  get busy(): boolean {
    return this.queue.length > 0 || this.members.some((m) => m.active > 0);
  }
}

/**
 * The embedded bus: in-process, bounded per consumer group. Lossy topics drop the oldest message of the same key
 * when full (publish never waits); lossless topics make publish wait for room. Messages published before any
 * group subscribes are not kept (like a Kafka topic read from "latest"), except the latest message of each key of a
 * compacted topic, which a `replay` subscriber is handed before `subscribe` resolves.
 */
export class MemoryBus implements Bus {
  readonly #log = createLogger('bus.memory');
  readonly #groups = new Map<Topic, Map<string, GroupQueue>>();
  readonly #stats = new Map<Topic, TopicStats>();
  /** The latest message of each key of the compacted topics, replayed to `replay` subscribers. */
  readonly #retained = new Map<Topic, Map<string, unknown>>();
  #disposed = false;

  constructor(private readonly policies: Record<Topic, QueuePolicy> = DEFAULT_TOPIC_POLICIES) {}

  stats(topic: Topic): TopicStats {
    let s = this.#stats.get(topic);
    if (!s) {
      s = { published: 0, delivered: 0, dropped: 0, depth: 0, droppedByKey: {} };
      this.#stats.set(topic, s);
    }
    const groups = this.#groups.get(topic);
    s.depth = groups ? Math.max(0, ...[...groups.values()].map((g) => g.queue.length)) : 0;
    return s;
  }

  async publish<T>(topic: Topic, key: string, message: T): Promise<void> {
    if (this.#disposed) throw new Error('bus is disposed');
    this.stats(topic).published++;
    if (COMPACTED_TOPICS.has(topic)) {
      let retained = this.#retained.get(topic);
      if (!retained) this.#retained.set(topic, (retained = new Map()));
      retained.delete(key); // re-inserted last: replay keeps the order of the latest writes
      retained.set(key, message);
    }
    const groups = this.#groups.get(topic);
    if (!groups) return;
    await Promise.all([...groups.values()].map((g) => g.push({ key, message })));
  }

  async subscribe<T>(
    topic: Topic,
    handler: (message: T, key: string) => Promise<void> | void,
    options: SubscribeOptions,
  ): Promise<Subscription> {
    if (options.replay) {
      for (const [key, message] of this.#retained.get(topic) ?? []) {
        try {
          await handler(message as T, key);
        } catch (err) {
          this.#log.error({ topic, group: options.group, key, err }, 'replayed message handler failed');
        }
      }
    }
    let groups = this.#groups.get(topic);
    if (!groups) {
      groups = new Map();
      this.#groups.set(topic, groups);
    }
    let group = groups.get(options.group);
    if (!group) {
      group = new GroupQueue(topic, options.group, this.policies[topic], this.stats(topic), this.#log);
      groups.set(options.group, group);
    }
    const member = {
      handler: handler as Handler,
      concurrency: Math.max(1, options.concurrency ?? 1),
      active: 0,
    };
    group.members.push(member);
    group.pump();
    const g = group;
    return {
      dispose: async () => {
        const i = g.members.indexOf(member);
        if (i >= 0) g.members.splice(i, 1);
        while (member.active > 0) await new Promise((r) => setTimeout(r, 5));
      },
    };
  }

  /** Resolves when every queue is empty and no handler is running (tests, orderly shutdown). */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const busy = () =>
      [...this.#groups.values()].some((gs) => [...gs.values()].some((g) => g.busy && g.members.length));
    while (busy()) {
      if (Date.now() > deadline) throw new Error('bus did not drain in time');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    for (const groups of this.#groups.values()) for (const g of groups.values()) g.members.length = 0;
    this.#groups.clear();
  }
}

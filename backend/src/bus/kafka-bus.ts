import type { ConnectionOptions } from 'node:tls';
import {
  CompressionTypes,
  Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Consumer,
  type EachMessagePayload,
  type IHeaders,
  type KafkaMessage,
  type LogEntry,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import client from 'prom-client';
import type { z } from 'zod';
import type { Bus, SubscribeOptions, Subscription, Topic, TopicStats } from '../contract/bus.js';
import { isLossy, Topics } from '../contract/bus.js';
import type { AnalysisFrame } from '../contract/media.js';
import { createLogger, type Logger } from '../platform/log.js';
import { decodeFrame, encodeFrame, FrameTooLargeError } from './frame-codec.js';
import {
  DEFAULT_TOPIC_SETTINGS,
  ensureTopics,
  topicSpecs,
  type KafkaTopicSettings,
  type TopicReport,
} from './kafka-topics.js';
import { DEFAULT_SCHEMAS, type DeadLetter } from './schemas.js';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** SASL credentials, already read from the secret store by the caller. */
export type KafkaSasl =
  | { mechanism: SaslMechanism; username: string; password: string }
  /** OAUTHBEARER: `token()` is called at every (re)authentication, so a refreshed token is picked up. */
  | { mechanism: 'oauthbearer'; token: () => Promise<string> };

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /** TLS: true for the system CAs, or Node TLS options (ca, cert, key). */
  ssl?: boolean | ConnectionOptions;
  /** SASL credentials, already read from the secret store by the caller. */
  sasl?: KafkaSasl;
  /**
   * Prefixed to every Kafka topic name (`site1.vigil.frames.v1`), so several installations (or test runs) share one
   * cluster without seeing each other's messages. Default none.
   */
  topicPrefix?: string;
  /** How `ensureTopics` creates or checks the topics. */
  topics?: KafkaTopicSettings;
  /**
   * The one bus group per topic that writes the topic's malformed messages to the dead-letter topic; null: none
   * (the malformed message is skipped, logged and counted). A malformed message is the producer's fault and the
   * same for every reader, so one letter is enough: other groups, and groups created later that read the topic
   * again, skip it instead of multiplying the letters. A topic not listed is dead-lettered by every group.
   * Handler failures are a group's own and always dead-lettered, with the group.
   */
  deadLetterGroups?: Partial<Record<Topic, string | null>>;
  /** Largest frame message; frames are re-encoded at a lower JPEG quality to fit, else dropped. Default 1 MB. */
  maxFrameBytes?: number;
  /** Compression of JSON topics (frames are JPEG already). Default gzip. */
  compression?: 'gzip' | 'none';
  /** Wire schema per JSON topic; defaults to DEFAULT_SCHEMAS. */
  schemas?: Partial<Record<Topic, z.ZodType>>;
  /**
   * Where a consumer group without committed offsets starts. Default: lossy topics (`TOPIC_DELIVERY`: frames,
   * detections) from the newest message (stale frames are worthless), everything else from the oldest.
   */
  startFrom?: Partial<Record<Topic, 'earliest' | 'latest'>>;
  /** Consumer session timeout; a member silent this long is replaced and its partitions redelivered. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How often handled offsets are committed (default 1000 ms); clean shutdown always commits. */
  commitIntervalMs?: number;
  /** Attempts of a failing handler before its message goes to the dead-letter topic. Default 3. */
  handlerAttempts?: number;
  /**
   * Longest time a fetch waits for new messages (default 250 ms). Brokers answer as soon as data arrives, but
   * some (and librdkafka's mock) only after the wait: it bounds the added latency per hop.
   */
  fetchMaxWaitMs?: number;
  /** Time a subscription waits for its group to be joined before `subscribe` resolves anyway. Default 30 s. */
  joinTimeoutMs?: number;
}

/** A subscription that can be paused for back-pressure (the consumer stops fetching; nothing is lost). */
export interface KafkaSubscription extends Subscription {
  readonly group: string;
  pause(): void;
  resume(): void;
  /** Partitions this member holds right now. */
  assignment(): number[];
}

const DLQ_VALUE_LIMIT = 64 * 1024;

const metrics = {
  published: new client.Counter({
    name: 'vigil_bus_kafka_published_total',
    help: 'Messages published to Kafka, by topic.',
    labelNames: ['topic'],
  }),
  consumed: new client.Counter({
    name: 'vigil_bus_kafka_consumed_total',
    help: 'Messages handled from Kafka, by topic and consumer group.',
    labelNames: ['topic', 'group'],
  }),
  deadLettered: new client.Counter({
    name: 'vigil_bus_kafka_dead_lettered_total',
    help: 'Messages sent to the dead-letter topic, by source topic.',
    labelNames: ['topic'],
  }),
  malformed: new client.Counter({
    name: 'vigil_bus_kafka_malformed_total',
    help: 'Malformed messages (not decodable or failing their schema) seen, by topic and consumer group.',
    labelNames: ['topic', 'group'],
  }),
  relaunched: new client.Counter({
    name: 'vigil_bus_kafka_consumer_relaunched_total',
    help: 'Consumers replaced after kafkajs gave up on them (a non-retriable error), by topic.',
    labelNames: ['topic'],
  }),
  dropped: new client.Counter({
    name: 'vigil_bus_kafka_dropped_total',
    help: 'Messages of lossy topics (TOPIC_DELIVERY: frames, detections, notifications) dropped before reaching Kafka, by topic.',
    labelNames: ['topic'],
  }),
};

function kafkaLogCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      const fields = { kafka: rest.logger, broker: rest.broker, groupId: rest.groupId, error: rest.error };
      if (level <= KafkaLogLevel.ERROR) log.error(fields, String(message));
      else if (level === KafkaLogLevel.WARN) log.warn(fields, String(message));
      else log.debug(fields, String(message));
    };
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (Buffer.isBuffer(v)) out[k] = v.toString('utf8');
    else if (typeof v === 'string') out[k] = v;
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Kafka consumer group of a bus group on one topic. Every member of a Kafka group must subscribe to the same
 * topics (the assignors hand any of the group's partitions to any member), so a role consuming two topics in one
 * bus group (events and alerts) uses one Kafka group per topic: `vigil-events.vigil.events.v1` (`topic` is the
 * Kafka topic name, with the installation's prefix).
 */
export function kafkaGroupId(group: string, topic: string): string {
  return `${group}.${topic}`;
}

/**
 * The cluster bus on Kafka. Topics are the versioned names of `Topics`, keyed by camera id so order is kept per
 * camera. Frames travel as JPEG with their metadata in headers; the other topics as JSON validated against a
 * schema on both ends. Delivery is at least once: a message's offset is committed only after its handler resolved
 * (the handler's durable write), so a crashed member's uncommitted messages are redelivered to the group; handlers
 * must be idempotent (event ids are deterministic). A message that fails validation, or whose handler keeps
 * failing, goes to `vigil.dlq.v1` with the reason and the consumer carries on.
 *
 * Topics are created (or checked) through the admin API by `ensureTopics`, which every role calls at start; without
 * it they must exist already or be auto-created by the brokers.
 */
export class KafkaBus implements Bus {
  readonly #log = createLogger('bus.kafka');
  readonly #kafka: Kafka;
  readonly #producer: Producer;
  #producerReady: Promise<void> | undefined;
  readonly #consumers = new Set<{ stop: () => Promise<void> }>();
  readonly #stats = new Map<Topic, TopicStats>();
  readonly #maxFrameBytes: number;
  readonly #compression: CompressionTypes;
  readonly #schemas: Partial<Record<Topic, z.ZodType>>;
  readonly #prefix: string;
  #disposed = false;

  constructor(private readonly options: KafkaBusOptions) {
    if (options.brokers.length === 0) throw new Error('Kafka bus: no brokers configured');
    this.#maxFrameBytes = options.maxFrameBytes ?? 1_000_000;
    this.#compression = options.compression === 'none' ? CompressionTypes.None : CompressionTypes.GZIP;
    this.#schemas = options.schemas ?? DEFAULT_SCHEMAS;
    this.#prefix = options.topicPrefix ?? '';
    this.#kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      ssl: options.ssl,
      sasl: kafkajsSasl(options.sasl),
      logCreator: kafkaLogCreator(this.#log),
      logLevel: KafkaLogLevel.WARN,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
    this.#producer = this.#kafka.producer({
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      // One request in flight per broker keeps the per-key order through retries.
      maxInFlightRequests: 1,
    });
  }

  /** The Kafka topic name of a bus topic. */
  kafkaTopic(topic: Topic): string {
    return this.#prefix + topic;
  }

  /**
   * Creates the missing topics and checks the others (see `ensureTopics` in kafka-topics.ts); throws a
   * KafkaTopicError naming the topic and the missing permission when it cannot.
   */
  async ensureTopics(): Promise<TopicReport> {
    const settings = this.options.topics ?? DEFAULT_TOPIC_SETTINGS;
    const admin = this.#kafka.admin();
    try {
      await admin.connect();
      return await ensureTopics(admin, topicSpecs(this.#prefix, settings), settings.manage, this.#log);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  stats(topic: Topic): TopicStats {
    let s = this.#stats.get(topic);
    if (!s) {
      s = { published: 0, delivered: 0, dropped: 0, depth: 0, droppedByKey: {} };
      this.#stats.set(topic, s);
    }
    return s;
  }

  #connectProducer(): Promise<void> {
    this.#producerReady ??= this.#producer.connect().catch((err: unknown) => {
      this.#producerReady = undefined;
      throw err;
    });
    return this.#producerReady;
  }

  #drop(topic: Topic, key: string, reason: string): void {
    const s = this.stats(topic);
    s.dropped++;
    s.droppedByKey[key] = (s.droppedByKey[key] ?? 0) + 1;
    metrics.dropped.inc({ topic });
    this.#log.warn({ topic, key, reason }, 'message dropped');
  }

  async publish<T>(topic: Topic, key: string, message: T): Promise<void> {
    if (this.#disposed) throw new Error('bus is disposed');
    let value: Buffer;
    let headers: Record<string, string> | undefined;
    let compression = this.#compression;
    if (topic === Topics.frames) {
      try {
        const encoded = await encodeFrame(message as AnalysisFrame, this.#maxFrameBytes);
        value = encoded.value;
        headers = encoded.headers;
        compression = CompressionTypes.None;
      } catch (err) {
        if (err instanceof FrameTooLargeError) return this.#drop(topic, key, err.message);
        throw err;
      }
    } else {
      const schema = this.#schemas[topic];
      if (schema) {
        const parsed = schema.safeParse(message);
        if (!parsed.success) {
          throw new Error(`message for ${topic} does not match its schema: ${parsedIssues(parsed.error)}`);
        }
      }
      value = Buffer.from(JSON.stringify(message));
    }
    await this.#connectProducer();
    try {
      await this.#producer.send({
        topic: this.kafkaTopic(topic),
        acks: -1,
        compression,
        messages: [{ key, value, headers }],
      });
    } catch (err) {
      // Lossy topics never hold their producer up: a frame that cannot be sent is dropped like a late one.
      if (isLossy(topic)) {
        return this.#drop(topic, key, err instanceof Error ? err.message : String(err));
      }
      throw err;
    }
    this.stats(topic).published++;
    metrics.published.inc({ topic });
  }

  /** Decodes and validates a consumed message; throws with the reason when it is not acceptable. */
  async #decode(topic: Topic, message: KafkaMessage): Promise<unknown> {
    if (topic === Topics.frames) return decodeFrame(message.value, message.headers, this.#maxFrameBytes);
    if (!message.value) throw new Error('empty message');
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.value.toString('utf8'));
    } catch (err) {
      throw new Error(`not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const schema = this.#schemas[topic];
    if (!schema) return parsed;
    const result = schema.safeParse(parsed);
    if (!result.success) throw new Error(`schema: ${parsedIssues(result.error)}`);
    return result.data;
  }

  async #deadLetter(
    topic: Topic,
    group: string,
    partition: number,
    message: KafkaMessage,
    kind: DeadLetter['kind'],
    reason: string,
  ): Promise<void> {
    const letter: DeadLetter = {
      topic: this.kafkaTopic(topic),
      partition,
      offset: message.offset,
      group,
      kind,
      key: message.key ? message.key.toString('utf8') : null,
      reason,
      valueBase64: (message.value ?? Buffer.alloc(0)).subarray(0, DLQ_VALUE_LIMIT).toString('base64'),
      ts: Date.now(),
    };
    await this.#connectProducer();
    // Not committed until the dead letter is written: a failure here means redelivery, never a silent loss.
    await this.#producer.send({
      topic: this.kafkaTopic(Topics.deadLetter),
      acks: -1,
      compression: this.#compression,
      messages: [
        {
          key: letter.key,
          value: JSON.stringify(letter),
          headers: {
            ...headersToStrings(message.headers),
            'vigil-reason': reason.slice(0, 1000),
            'vigil-source': `${letter.topic}/${partition}/${message.offset}`,
            'vigil-group': group,
          },
        },
      ],
    });
    metrics.deadLettered.inc({ topic });
    this.#log.warn(
      { topic, group, partition, offset: message.offset, kind, reason },
      'message sent to the dead-letter topic',
    );
  }

  async subscribe<T>(
    topic: Topic,
    handler: (message: T, key: string) => Promise<void> | void,
    options: SubscribeOptions,
  ): Promise<KafkaSubscription> {
    if (this.#disposed) throw new Error('bus is disposed');
    const sessionTimeout = this.options.sessionTimeoutMs ?? 30_000;
    const heartbeatInterval = this.options.heartbeatIntervalMs ?? Math.min(3_000, sessionTimeout / 3);
    const makeConsumer = () =>
      this.#kafka.consumer({
        groupId: kafkaGroupId(options.group, kafkaTopic),
        sessionTimeout,
        heartbeatInterval,
        rebalanceTimeout: Math.max(sessionTimeout * 2, 10_000),
        allowAutoTopicCreation: true,
        maxBytesPerPartition: Math.max(1_048_576, this.#maxFrameBytes * 2),
        maxWaitTimeInMs: this.options.fetchMaxWaitMs ?? 250,
      });
    const kafkaTopic = this.kafkaTopic(topic);
    const deadLetterGroups = this.options.deadLetterGroups ?? {};
    // Undefined: every group records the topic's malformed messages; else only the designated one (or none).
    const lettersMalformed = !(topic in deadLetterGroups) || deadLetterGroups[topic] === options.group;
    let consumer = makeConsumer();
    let stopped = false;
    const log = this.#log.child({ topic, group: options.group });
    const attempts = Math.max(1, this.options.handlerAttempts ?? 3);
    const fromBeginning =
      options.replay === true ||
      (this.options.startFrom?.[topic] ?? (isLossy(topic) ? 'latest' : 'earliest')) === 'earliest';
    // A replaying reader is caught up once it has handled the last offset each partition had when it started.
    const replayTargets = options.replay ? await this.#endOffsets(topic, log) : new Map<number, bigint>();
    let caughtUp!: () => void;
    const caughtUpPromise = new Promise<void>((r) => (caughtUp = r));
    const progress = (partition: number, offset: string) => {
      const target = replayTargets.get(partition);
      if (target !== undefined && BigInt(offset) >= target) replayTargets.delete(partition);
      if (replayTargets.size === 0) caughtUp();
    };
    if (replayTargets.size === 0) caughtUp();
    let assigned: number[] = [];
    let joined!: () => void;
    const joinedPromise = new Promise<void>((r) => (joined = r));
    // kafkajs restarts a consumer itself after a retriable error, but gives up on any other (a broker answering
    // INVALID_REQUEST to a group request during a rebalance storm, say), leaving the subscription silently dead. A
    // new consumer then joins the group in its place, after a growing pause.
    let relaunchDelay = 1_000;
    let paused = false;
    let relaunchTimer: NodeJS.Timeout | undefined;
    const attach = (c: Consumer) => {
      c.on(c.events.GROUP_JOIN, (e) => {
        assigned = [...(e.payload.memberAssignment[kafkaTopic] ?? [])];
        relaunchDelay = 1_000;
        log.info({ partitions: assigned }, 'joined consumer group');
        joined();
      });
      c.on(c.events.CRASH, (e) => {
        log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
        if (!e.payload.restart && c === consumer) relaunch();
      });
    };
    const relaunch = () => {
      if (stopped || this.#disposed) return;
      assigned = [];
      const delay = relaunchDelay;
      relaunchDelay = Math.min(relaunchDelay * 2, 30_000);
      log.warn({ delayMs: delay }, 'consumer gave up after a non-retriable error; a new one joins the group');
      metrics.relaunched.inc({ topic });
      relaunchTimer = setTimeout(() => {
        if (stopped || this.#disposed) return;
        const next = makeConsumer();
        attach(next);
        consumer = next;
        runConsumer(next)
          .then(() => {
            if (paused) next.pause([{ topic: kafkaTopic }]);
          })
          .catch((err: unknown) => {
            log.error({ err }, 'the new consumer could not start');
            relaunch();
          });
      }, delay);
    };
    attach(consumer);
    const handleOne = async ({ partition, message, heartbeat }: EachMessagePayload): Promise<void> => {
      const key = message.key ? message.key.toString('utf8') : '';
      let decoded: unknown;
      try {
        decoded = await this.#decode(topic, message);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        metrics.malformed.inc({ topic, group: options.group });
        if (lettersMalformed)
          await this.#deadLetter(topic, options.group, partition, message, 'malformed', reason);
        else
          log.warn(
            { partition, offset: message.offset, reason },
            'malformed message skipped (its dead letter is written by the designated group)',
          );
        return;
      }
      // Long handlers keep the membership alive, so the group does not hand the partition to someone else.
      const beat = setInterval(() => void heartbeat().catch(() => {}), heartbeatInterval);
      try {
        for (let attempt = 1; ; attempt++) {
          try {
            await handler(decoded as T, key);
            break;
          } catch (err) {
            const reason = err instanceof Error ? err.message : String(err);
            if (attempt >= attempts) {
              log.error({ key, offset: message.offset, err }, 'message handler failed');
              await this.#deadLetter(
                topic,
                options.group,
                partition,
                message,
                'handler-failed',
                `handler failed ${attempt} times: ${reason}`,
              );
              return;
            }
            await sleep(100 * 2 ** attempt);
          }
        }
      } finally {
        clearInterval(beat);
      }
      this.stats(topic).delivered++;
      metrics.consumed.inc({ topic, group: options.group });
    };
    const runConsumer = async (c: Consumer) => {
      await c.connect();
      await c.subscribe({ topics: [kafkaTopic], fromBeginning });
      await c.run({
        partitionsConsumedConcurrently: Math.max(1, options.concurrency ?? 1),
        autoCommit: true,
        autoCommitInterval: this.options.commitIntervalMs ?? 1_000,
        eachMessage: async (payload) => {
          await handleOne(payload);
          progress(payload.partition, payload.message.offset);
        },
      });
    };
    await runConsumer(consumer);

    const joinTimeout = this.options.joinTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([joinedPromise, new Promise<void>((r) => (timer = setTimeout(r, joinTimeout)))]);
    clearTimeout(timer);
    if (options.replay) {
      const replayed = await Promise.race([
        caughtUpPromise.then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), joinTimeout))),
      ]);
      clearTimeout(timer);
      if (!replayed)
        log.warn({ partitions: [...replayTargets.keys()] }, 'topic not fully replayed in time; carrying on');
    }

    const entry = {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        clearTimeout(relaunchTimer);
        // Waits for running handlers, commits their offsets and leaves the group (a clean rebalance).
        await consumer.disconnect();
      },
    };
    this.#consumers.add(entry);
    return {
      group: options.group,
      pause: () => {
        paused = true;
        consumer.pause([{ topic: kafkaTopic }]);
      },
      resume: () => {
        paused = false;
        consumer.resume([{ topic: kafkaTopic }]);
      },
      assignment: () => [...assigned],
      dispose: async () => {
        this.#consumers.delete(entry);
        await entry.stop();
      },
    };
  }

  /** The offset of the last message of each non-empty partition of a topic, right now. */
  async #endOffsets(topic: Topic, log: Logger): Promise<Map<number, bigint>> {
    const ends = new Map<number, bigint>();
    const admin = this.#kafka.admin();
    try {
      await admin.connect();
      for (const p of await admin.fetchTopicOffsets(this.kafkaTopic(topic))) {
        if (BigInt(p.high) > BigInt(p.low)) ends.set(p.partition, BigInt(p.high) - 1n);
      }
    } catch (err) {
      // A topic that does not exist yet has nothing to replay; anything else is worth a line in the log.
      log.warn({ err }, 'could not read the end offsets of the topic; replaying without waiting');
    } finally {
      await admin.disconnect().catch(() => {});
    }
    return ends;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const consumers = [...this.#consumers];
    this.#consumers.clear();
    await Promise.allSettled(consumers.map((c) => c.stop()));
    if (this.#producerReady) await this.#producer.disconnect().catch(() => {});
  }
}

function kafkajsSasl(sasl: KafkaSasl | undefined): SASLOptions | undefined {
  if (!sasl) return undefined;
  if (sasl.mechanism === 'oauthbearer') {
    const token = sasl.token;
    return { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await token() }) };
  }
  return sasl;
}

function parsedIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

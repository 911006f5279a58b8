/**
 * The bus between pipeline stages (video → detect → events → store/UI). Embedded: in-process bounded queues.
 * Cluster: Kafka topics keyed by camera id. Both implement `Bus`.
 */

/** Versioned topic names (also the Kafka topic names). */
export const Topics = {
  /** Analysis frames from video ingest to detection. Lossy (`TOPIC_DELIVERY`). */
  frames: 'vigil.frames.v1',
  /** Per-frame detections with the frame timestamp, for live overlays. */
  detections: 'vigil.detections.v1',
  /** Event lifecycle messages (start/update/end) for the event store. */
  events: 'vigil.events.v1',
  /** Alerts raised by alert rules, and their state changes. */
  alerts: 'vigil.alerts.v1',
  /** Incidents (rule hits grouped per camera and zone) as their activity changes, and their state changes. */
  incidents: 'vigil.incidents.v1',
  /** Camera health changes. */
  health: 'vigil.health.v1',
  /**
   * Incidents as stored just after an escalation notified them (their notifications recorded), from the stage that
   * escalates (events) to every api instance, which delivers them to its open windows: desktop notifications and
   * sound. Live only: an api instance reads it from the latest message.
   */
  notifications: 'vigil.notifications.v1',
  /**
   * Audit records from the api instances to the events role, which chains and stores them. One key (`audit`), so
   * one partition keeps them in order.
   */
  audit: 'vigil.audit.v1',
  /** Messages that failed validation, with the reason (cluster mode). */
  deadLetter: 'vigil.dlq.v1',
  /**
   * Zones, masks and alert rules, shared by every detect and api instance. A compacted topic (the latest message
   * of each key is kept for ever): keys are `zones/<camera id>`, `alert-rule/<rule id>`, `snooze/…` and `suppression/<id>`, and a reader that
   * replays it from the start has the current settings.
   */
  settings: 'vigil.settings.v1',
} as const;
export type Topic = (typeof Topics)[keyof typeof Topics];

/**
 * How a topic delivers its messages. Every bus reads it from `TOPIC_DELIVERY`, so a topic is lossy or lossless in
 * one place, whichever bus carries it.
 */
export interface TopicDeliveryPolicy {
  /**
   * `lossy`: a message is worth something only while it is fresh (an analysis frame, a live overlay), and its
   * producer must never wait. A reader that falls behind loses the oldest queued message of the same key (the
   * embedded bus); a message the broker cannot take is dropped and counted (Kafka); a new consumer group starts at
   * the newest message. `lossless`: nothing is lost. `publish` waits for room (back-pressure) or fails, and a new
   * consumer group starts at the oldest retained message.
   */
  delivery: 'lossy' | 'lossless';
  /**
   * The latest message of each key is kept for ever (Kafka: cleanup.policy=compact), and a reader that replays the
   * topic (`replay`) starts with the current state, as from a table.
   */
  compacted: boolean;
}

const lossy: TopicDeliveryPolicy = { delivery: 'lossy', compacted: false };
const lossless: TopicDeliveryPolicy = { delivery: 'lossless', compacted: false };

/** The delivery policy of every topic. */
export const TOPIC_DELIVERY: Readonly<Record<Topic, TopicDeliveryPolicy>> = {
  // Video ingest never waits for detection, nor detection for the live overlays: a late frame is worthless.
  [Topics.frames]: lossy,
  [Topics.detections]: lossy,
  [Topics.events]: lossless,
  [Topics.alerts]: lossless,
  [Topics.incidents]: lossless,
  [Topics.health]: lossless,
  // A push to the windows open now: the incident and its notifications are stored, and every desk shows them; a
  // window opened later must not replay old sounds.
  [Topics.notifications]: lossy,
  [Topics.audit]: lossless,
  // A dead letter is the only trace of a message that could not be handled.
  [Topics.deadLetter]: lossless,
  [Topics.settings]: { delivery: 'lossless', compacted: true },
};

/** Whether a topic drops messages rather than hold its producer up (`TOPIC_DELIVERY`). */
export function isLossy(topic: Topic): boolean {
  return TOPIC_DELIVERY[topic].delivery === 'lossy';
}

/** Topics that keep the latest message of each key (Kafka: cleanup.policy=compact), read with `replay`. */
export const COMPACTED_TOPICS: ReadonlySet<Topic> = new Set<Topic>(
  Object.values(Topics).filter((t) => TOPIC_DELIVERY[t].compacted),
);

/** A subscription; dispose to stop receiving. */
export interface Subscription {
  dispose(): Promise<void>;
  /**
   * The partitions of the topic this member holds right now, on a partitioned bus (Kafka); absent on a bus without
   * partitions, where a subscriber gets every message of its group.
   */
  assignment?(): number[];
}

export interface SubscribeOptions {
  /** Consumer group: each message goes to one member of a group; every group gets every message. */
  group: string;
  /** Messages handled at the same time by this subscriber (default 1). */
  concurrency?: number;
  /**
   * Read the topic from its oldest retained message, and resolve `subscribe` only once every message that was on
   * the topic when it was called has been handled (a compacted topic read as a table: the reader starts with the
   * current state). Use a group of its own per reader.
   */
  replay?: boolean;
}

/** Per-key counters of a topic, for metrics and the API. */
export interface TopicStats {
  published: number;
  delivered: number;
  dropped: number;
  depth: number;
  droppedByKey: Record<string, number>;
}

/** The bus contract. `key` is the camera id: order is kept per key. */
export interface Bus {
  /** Publishes a message. Resolves when the bus has accepted it (for lossless topics, when there was room). */
  publish<T>(topic: Topic, key: string, message: T): Promise<void>;
  /**
   * Calls `handler` for each message. A handler that throws does not stop the subscription; the error is logged
   * (and, in cluster mode, the message goes to the dead-letter topic).
   */
  subscribe<T>(
    topic: Topic,
    handler: (message: T, key: string) => Promise<void> | void,
    options: SubscribeOptions,
  ): Promise<Subscription>;
  stats(topic: Topic): TopicStats;
  dispose(): Promise<void>;
}

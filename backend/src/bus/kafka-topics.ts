import type { Admin, ITopicConfig } from 'kafkajs';
import { COMPACTED_TOPICS, Topics, type Topic } from '../contract/bus.js';
import type { Logger } from '../platform/log.js';
import { ClusterSetupError } from '../platform/secrets.js';

/** How a role creates or checks the Kafka topics at start. */
export interface KafkaTopicSettings {
  /** "create": create missing topics and check the others. "verify": only check (no CREATE permission needed). */
  manage: 'create' | 'verify';
  partitions: number;
  replicationFactor: number;
  /** retention.ms of each topic that is not compacted. */
  retentionMs: Record<Exclude<Topic, 'vigil.settings.v1'>, number>;
}

const HOUR = 3_600_000;
/** DescribeConfigs resource type of a topic (kafkajs' ConfigResourceTypes.TOPIC, which Node's ESM loader cannot import by name). */
const TOPIC_RESOURCE = 2;

/** Defaults: frames and detections are worth minutes; events, alerts, incidents and health a week; dead letters two weeks. */
export const DEFAULT_TOPIC_SETTINGS: KafkaTopicSettings = {
  manage: 'create',
  partitions: 12,
  replicationFactor: 3,
  retentionMs: {
    [Topics.frames]: HOUR,
    [Topics.detections]: HOUR,
    [Topics.events]: 168 * HOUR,
    [Topics.alerts]: 168 * HOUR,
    [Topics.incidents]: 168 * HOUR,
    [Topics.health]: 168 * HOUR,
    [Topics.notifications]: HOUR,
    [Topics.audit]: 336 * HOUR,
    [Topics.deadLetter]: 336 * HOUR,
  },
};

/** One topic as it should be on the cluster. */
export interface TopicSpec {
  topic: Topic;
  /** The Kafka topic name (prefix + topic). */
  name: string;
  partitions: number;
  replicationFactor: number;
  cleanupPolicy: 'delete' | 'compact';
  /** Undefined for a compacted topic (its latest message per key is kept for ever). */
  retentionMs?: number;
}

export function topicSpecs(prefix: string, settings: KafkaTopicSettings): TopicSpec[] {
  return Object.values(Topics).map((topic) =>
    COMPACTED_TOPICS.has(topic)
      ? {
          topic,
          name: prefix + topic,
          partitions: settings.partitions,
          replicationFactor: settings.replicationFactor,
          cleanupPolicy: 'compact',
        }
      : {
          topic,
          name: prefix + topic,
          partitions: settings.partitions,
          replicationFactor: settings.replicationFactor,
          cleanupPolicy: 'delete',
          retentionMs: settings.retentionMs[topic as keyof KafkaTopicSettings['retentionMs']],
        },
  );
}

/** A topic that cannot be created or has settings Vigil cannot work with; the message says what to grant or change. */
export class KafkaTopicError extends ClusterSetupError {
  constructor(
    readonly topic: string,
    message: string,
  ) {
    super(message);
  }
}

/** What `ensureTopics` did. */
export interface TopicReport {
  created: string[];
  /** Settings that differ from the configured ones but do not stop Vigil (the operator owns the cluster). */
  warnings: string[];
}

/** kafkajs protocol errors carry the Kafka error name in `type`. */
function errorType(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'type' in err ? String(err.type) : undefined;
}

const AUTHORIZATION = new Set(['TOPIC_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED']);

function describeSpec(s: TopicSpec): string {
  return (
    `partitions ${s.partitions}, replication factor ${s.replicationFactor}, cleanup.policy=${s.cleanupPolicy}` +
    (s.retentionMs === undefined ? '' : `, retention.ms=${s.retentionMs}`)
  );
}

function configEntries(s: TopicSpec): ITopicConfig['configEntries'] {
  return [
    { name: 'cleanup.policy', value: s.cleanupPolicy },
    ...(s.retentionMs === undefined ? [] : [{ name: 'retention.ms', value: String(s.retentionMs) }]),
  ];
}

/**
 * Creates the missing topics through the admin API (CreateTopics) and checks every topic's partitions, replication
 * and configs (Metadata, DescribeConfigs). Throws a KafkaTopicError naming the topic and the missing permission
 * when a topic cannot be created or read, or when the settings topic is not compacted (zones and alert rules would
 * be deleted after the retention time). Differences Vigil can live with are returned as warnings.
 */
export async function ensureTopics(
  admin: Admin,
  specs: TopicSpec[],
  manage: KafkaTopicSettings['manage'],
  log: Logger,
): Promise<TopicReport> {
  const report: TopicReport = { created: [], warnings: [] };
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length > 0 && manage === 'verify') {
    const first = missing[0] as TopicSpec;
    throw new KafkaTopicError(
      first.name,
      `Kafka topic "${first.name}" does not exist (cluster.bus.topics.manage is "verify"${missing.length > 1 ? `; ${missing.length - 1} more missing` : ''}): ` +
        `create it with ${describeSpec(first)}, or set manage to "create" and grant the CREATE permission on the topic.`,
    );
  }
  for (const spec of missing) {
    // One topic per request, so an error names its topic (a role racing another to create it is fine).
    try {
      const created = await admin.createTopics({
        topics: [
          {
            topic: spec.name,
            numPartitions: spec.partitions,
            replicationFactor: spec.replicationFactor,
            configEntries: configEntries(spec),
          },
        ],
        waitForLeaders: true,
      });
      if (created) report.created.push(spec.name);
    } catch (err) {
      const type = errorType((err as { errors?: unknown[] }).errors?.[0]) ?? errorType(err);
      if (type && AUTHORIZATION.has(type))
        throw new KafkaTopicError(
          spec.name,
          `Kafka topic "${spec.name}" does not exist and the Kafka user may not create it (${type}): grant the CREATE ` +
            `permission on the topic (or on the cluster), or create it beforehand with ${describeSpec(spec)}.`,
        );
      if (type === 'INVALID_REPLICATION_FACTOR')
        throw new KafkaTopicError(
          spec.name,
          `Kafka topic "${spec.name}" cannot be created with replication factor ${spec.replicationFactor} (${type}): ` +
            'set cluster.bus.topics.replicationFactor to at most the number of brokers.',
        );
      throw new KafkaTopicError(
        spec.name,
        `Kafka topic "${spec.name}" could not be created (${type ?? (err as Error).message}); create it with ${describeSpec(spec)}.`,
      );
    }
  }

  let metadata;
  try {
    metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
  } catch (err) {
    const type = errorType(err);
    throw new KafkaTopicError(
      specs[0]?.name ?? '',
      `cannot read the Vigil topics' metadata (${type ?? (err as Error).message}): grant the DESCRIBE permission on the topics ${specs.map((s) => `"${s.name}"`).join(', ')}.`,
    );
  }
  for (const spec of specs) {
    const topic = metadata.topics.find((t) => t.name === spec.name);
    const partitions = topic?.partitions.length ?? 0;
    if (partitions < spec.partitions)
      report.warnings.push(`${spec.name} has ${partitions} partitions (configured: ${spec.partitions})`);
    const replicas = Math.min(...(topic?.partitions.map((p) => p.replicas.length) ?? [0]));
    if (replicas < spec.replicationFactor)
      report.warnings.push(
        `${spec.name} has replication factor ${replicas} (configured: ${spec.replicationFactor})`,
      );

    let entries: Map<string, string | null>;
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: TOPIC_RESOURCE,
            name: spec.name,
            configNames: ['cleanup.policy', 'retention.ms'],
          },
        ],
      });
      entries = new Map(
        described.resources[0]?.configEntries.map((e) => [e.configName, e.configValue]) ?? [],
      );
    } catch (err) {
      const type = errorType(err);
      throw new KafkaTopicError(
        spec.name,
        `cannot read the settings of Kafka topic "${spec.name}" (${type ?? (err as Error).message}): grant the ` +
          'DESCRIBE_CONFIGS permission on the topic.',
      );
    }
    const policy = (entries.get('cleanup.policy') ?? 'delete').split(',');
    if (spec.cleanupPolicy === 'compact' && !policy.includes('compact'))
      throw new KafkaTopicError(
        spec.name,
        `Kafka topic "${spec.name}" has cleanup.policy=${policy.join(',')}, but it must be compacted: zones and ` +
          `alert rules would be deleted after its retention time. Set it with: kafka-configs.sh --alter --entity-type topics --entity-name ${spec.name} --add-config cleanup.policy=compact`,
      );
    if (spec.cleanupPolicy === 'delete' && policy.includes('compact'))
      report.warnings.push(`${spec.name} is compacted (configured: cleanup.policy=delete)`);
    const retention = entries.get('retention.ms');
    if (spec.retentionMs !== undefined && retention && Number(retention) !== spec.retentionMs)
      report.warnings.push(`${spec.name} has retention.ms=${retention} (configured: ${spec.retentionMs})`);
  }
  if (report.created.length) log.info({ topics: report.created }, 'Kafka topics created');
  for (const w of report.warnings) log.warn({ warning: w }, 'Kafka topic differs from the configuration');
  return report;
}

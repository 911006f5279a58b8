import { z } from 'zod';
import { EnvVarName, Limits } from './limits.js';

const tlsFiles = {
  caFile: z
    .string()
    .max(Limits.path)
    .optional()
    .describe('PEM file of the certificate authority to trust, when not a public one.'),
  certFile: z
    .string()
    .max(Limits.path)
    .optional()
    .describe('PEM file of the client certificate, for servers that require one (mutual TLS).'),
  keyFile: z
    .string()
    .max(Limits.path)
    .optional()
    .describe('PEM file of the private key of the client certificate.'),
  rejectUnauthorized: z
    .boolean()
    .default(true)
    .describe('Refuse servers whose certificate does not verify. Turn off only for a test lab.'),
};

const TlsConfig = z
  .strictObject({ enabled: z.boolean().default(false).describe('Connect with TLS.'), ...tlsFiles })
  .prefault({})
  .describe('TLS settings.');

/** Where the pipeline stages talk to each other. */
export const ClusterBusConfig = z
  .strictObject({
    kind: z
      .enum(['memory', 'kafka'])
      .default('memory')
      .describe(
        '"memory": every stage in one process. "kafka": stages in separate role processes over Kafka.',
      ),
    brokers: z
      .array(
        z
          .string()
          .max(Limits.token)
          .regex(/^[^\s:]+:\d+$/, 'host:port'),
      )
      .max(Limits.list)
      .default([])
      .describe('Kafka bootstrap brokers (host:port), for kind "kafka".'),
    clientId: z
      .string()
      .max(Limits.name)
      .min(1)
      .default('vigil')
      .describe('Kafka client id; the role name is appended, so brokers can tell the roles apart.'),
    sasl: z
      .strictObject({
        mechanism: z
          .enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'])
          .default('none')
          .describe(
            'SASL mechanism; "none" for an open cluster. "plain" and "scram-*" use usernameEnv and passwordEnv; "oauthbearer" uses tokenFile or tokenEnv.',
          ),
        usernameEnv: EnvVarName.optional().describe('Environment variable holding the SASL user name.'),
        passwordEnv: EnvVarName.optional().describe('Environment variable holding the SASL password.'),
        tokenFile: z
          .string()
          .max(Limits.path)
          .optional()
          .describe(
            'OAUTHBEARER: file holding the access token, read again at every (re)authentication, so a token refreshed in place (a Kubernetes projected token, a sidecar) is picked up.',
          ),
        tokenEnv: EnvVarName.optional().describe(
          'OAUTHBEARER: environment variable holding a long-lived access token (when no tokenFile).',
        ),
      })
      .prefault({})
      .describe('SASL authentication. Credentials come from the environment or a mounted file only.'),
    tls: TlsConfig,
    topicPrefix: z
      .string()
      .max(100)
      .regex(/^[a-zA-Z0-9._-]{0,100}$/, 'letters, digits, ".", "_" and "-"')
      .default('')
      .describe(
        'Prefixed to every Kafka topic name ("site1." gives "site1.vigil.frames.v1"), so several installations share one Kafka cluster.',
      ),
    topics: z
      .strictObject({
        manage: z
          .enum(['create', 'verify'])
          .default('create')
          .describe(
            '"create": every role creates the missing topics at start (the Kafka user needs CREATE on them) and checks the others. "verify": only checks that they exist with the settings below (create them beforehand).',
          ),
        partitions: z
          .int()
          .min(1)
          .max(10_000)
          .default(12)
          .describe(
            'Partitions of each topic. Instances of a role beyond the partition count of its topic stay idle (detect: the frames topic).',
          ),
        replicationFactor: z
          .int()
          .min(1)
          .max(32)
          .default(3)
          .describe(
            'Copies of each partition; at most the number of brokers (1 for a single-broker cluster).',
          ),
        retentionHours: z
          .strictObject({
            frames: z.int().min(1).max(87_600).default(1).describe('Analysis frames.'),
            detections: z.int().min(1).max(87_600).default(1).describe('Per-frame detections.'),
            events: z.int().min(1).max(87_600).default(168).describe('Event lifecycle messages.'),
            alerts: z.int().min(1).max(87_600).default(168).describe('Alerts.'),
            incidents: z.int().min(1).max(87_600).default(168).describe('Incidents.'),
            health: z.int().min(1).max(87_600).default(168).describe('Camera health changes.'),
            notifications: z
              .int()
              .min(1)
              .max(87_600)
              .default(1)
              .describe('Escalation notifications on their way to the open windows (live only).'),
            audit: z
              .int()
              .min(1)
              .max(87_600)
              .default(336)
              .describe('Audit records on their way to the events role (stored for good there).'),
            deadLetter: z.int().min(1).max(87_600).default(336).describe('Dead letters.'),
          })
          .prefault({})
          .describe(
            'How long each topic keeps its messages (retention.ms). The settings topic is compacted and keeps the latest zones and rules for ever.',
          ),
      })
      .prefault({})
      .describe(
        'The Kafka topics, created or checked at every role start. A role that cannot stops with a message naming the topic and the missing permission.',
      ),
    maxFrameBytes: z
      .int()
      .min(10_000)
      .max(50_000_000)
      .default(1_000_000)
      .describe(
        "Largest analysis-frame message (JPEG). Keep below the brokers' message.max.bytes; larger frames are re-encoded at a lower quality, else dropped.",
      ),
    compression: z
      .enum(['gzip', 'none'])
      .default('gzip')
      .describe('Compression of the JSON topics (frames are JPEG already).'),
    sessionTimeoutMs: z
      .int()
      .min(6_000)
      .max(300_000)
      .default(30_000)
      .describe('A role instance silent this long leaves its consumer group; its messages go to the others.'),
  })
  .prefault({})
  .describe('The bus between ingest, detect, events and api.');
export type ClusterBusConfig = z.infer<typeof ClusterBusConfig>;

/** Where events are stored and searched. */
export const ClusterEventStoreConfig = z
  .strictObject({
    kind: z
      .enum(['sqlite', 'elasticsearch'])
      .default('sqlite')
      .describe(
        '"sqlite": the embedded database in the data folder. "elasticsearch": an Elasticsearch 8 cluster.',
      ),
    node: z
      .url()
      .max(Limits.url)
      .default('http://localhost:9200')
      .describe('Elasticsearch URL, for kind "elasticsearch".'),
    apiKeyEnv: EnvVarName.optional().describe('Environment variable holding an Elasticsearch API key.'),
    usernameEnv: EnvVarName.optional().describe(
      'Environment variable holding the Elasticsearch user (basic authentication, when no API key).',
    ),
    passwordEnv: EnvVarName.optional().describe('Environment variable holding the Elasticsearch password.'),
    caFile: z
      .string()
      .max(Limits.path)
      .optional()
      .describe('PEM file of the CA that signed the Elasticsearch certificate.'),
    certFile: tlsFiles.certFile,
    keyFile: tlsFiles.keyFile,
    rejectUnauthorized: tlsFiles.rejectUnauthorized,
    indexPrefix: z
      .string()
      .max(Limits.token)
      .regex(/^[a-z][a-z0-9_-]{0,40}$/, 'lower-case letters, digits, "-" and "_"')
      .default('vigil')
      .describe('Prefix of the index template, ILM policy and indices ("vigil-events-2026.11").'),
    retentionDays: z
      .int()
      .min(1)
      .max(3650)
      .default(90)
      .describe('Events older than this are deleted by the ILM policy.'),
    spoolDir: z
      .string()
      .max(Limits.path)
      .default('')
      .describe(
        'Folder for events waiting while Elasticsearch is unreachable. Empty: "es-spool" in the data folder.',
      ),
  })
  .prefault({})
  .describe('The event store.');
export type ClusterEventStoreConfig = z.infer<typeof ClusterEventStoreConfig>;

/** Where recordings live. */
export const ClusterVideoStoreConfig = z
  .strictObject({
    kind: z
      .enum(['local', 'hdfs'])
      .default('local')
      .describe('"local": the data folder. "hdfs": an HDFS cluster over WebHDFS.'),
    namenodeUrl: z
      .url()
      .max(Limits.url)
      .default('http://localhost:9870')
      .describe('WebHDFS address of the namenode (http://host:9870), for kind "hdfs".'),
    haNamenodeUrl: z
      .union([z.literal(''), z.url().max(Limits.url)])
      .default('')
      .describe(
        'WebHDFS address of the other namenode of an HA pair. A standby or unreachable namenode hands over to the other one. Empty: a single namenode.',
      ),
    user: z
      .string()
      .max(Limits.url)
      .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'an HDFS user name')
      .default('vigil')
      .describe('HDFS user the files are written as (simple authentication, when no delegation token).'),
    delegationTokenEnv: EnvVarName.optional().describe(
      'Environment variable holding an HDFS delegation token, for a cluster with security on (Kerberos itself is not supported: fetch the token with `hdfs fetchdt` and renew it before it expires).',
    ),
    root: z
      .string()
      .max(Limits.path)
      .regex(/^\/[^\s]*$/, 'an absolute HDFS path')
      .default('/vigil')
      .describe('HDFS folder holding the recordings.'),
  })
  .prefault({})
  .describe('The video store.');
export type ClusterVideoStoreConfig = z.infer<typeof ClusterVideoStoreConfig>;

export const KibanaConfig = z
  .strictObject({
    url: z
      .string()
      .max(Limits.url)
      .regex(/^(https?:\/\/\S+)?$/, 'an http(s) URL or empty')
      .default('')
      .describe('Kibana address. Empty: the Kibana tab is hidden.'),
    dashboards: z
      .array(
        z.strictObject({
          id: z.string().max(Limits.name).min(1).describe('Saved-object id of the dashboard.'),
          title: z.string().max(Limits.name).min(1).describe('Title shown on the tab.'),
        }),
      )
      .max(Limits.list)
      .default([{ id: 'vigil-detections', title: 'Vigil detections' }])
      .describe('Dashboards embedded in the Kibana tab (the compose stack imports "vigil-detections").'),
  })
  .prefault({})
  .describe('Kibana dashboards embedded in the app.');
export type KibanaConfig = z.infer<typeof KibanaConfig>;

/** Settings for running Vigil on shared infrastructure. The defaults keep everything embedded on one machine. */
export const ClusterConfig = z
  .strictObject({
    bus: ClusterBusConfig,
    eventStore: ClusterEventStoreConfig,
    videoStore: ClusterVideoStoreConfig,
    redis: z
      .strictObject({
        url: z
          .string()
          .max(Limits.url)
          .regex(/^(rediss?:\/\/\S+)?$/, 'a redis:// or rediss:// URL, or empty')
          .default('')
          .describe(
            'Redis shared by the roles: login links and browser sessions accepted by every api instance, the event-store cache (the events role invalidates it on every write), live counters and alert acknowledgements relayed to every instance. Empty: state stays in each process.',
          ),
        usernameEnv: EnvVarName.optional().describe(
          'Environment variable holding the Redis user name (Redis 6 ACL users; unset: the default user).',
        ),
        passwordEnv: EnvVarName.optional().describe('Environment variable holding the Redis password.'),
        tls: z.strictObject(tlsFiles).prefault({}).describe('TLS settings, used with a rediss:// URL.'),
      })
      .prefault({})
      .describe('Redis for state shared between api instances (and the cache the events role invalidates).'),
    kibana: KibanaConfig,
    metricsPort: z
      .int()
      .min(0)
      .max(65535)
      .default(0)
      .describe(
        'Port where the ingest, detect and events roles serve /metrics and /healthz, without authentication (keep it inside a private network). 0: off.',
      ),
  })
  .prefault({})
  .describe('Cluster mode: Kafka, Elasticsearch, HDFS, Redis and Kibana.');
export type ClusterConfig = z.infer<typeof ClusterConfig>;

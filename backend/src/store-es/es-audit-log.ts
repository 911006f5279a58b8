import { errors, type Client } from '@elastic/elasticsearch';
import type {
  AuditCheckpoint,
  AuditEntry,
  AuditFilter,
  AuditLog,
  AuditPage,
  AuditRecord,
  AuditVerifyReport,
} from '../contract/audit.js';
import type { SigningKey } from '../export/signing.js';
import { AuditChainVerifier, chainEntry, signCheckpoint } from '../audit/chain.js';
import { CHECKPOINT_EVERY, CHECKPOINT_INTERVAL_MS } from '../audit/sqlite-audit-log.js';
import { createLogger } from '../platform/log.js';

const keyword = { type: 'keyword' as const };
const date = { type: 'date' as const, format: 'epoch_millis' };
const long = { type: 'long' as const };
// Kept in the document and returned, never indexed: details vary by action and must not grow the mapping.
const stored = { type: 'object' as const, enabled: false };

/** Strict templates of the audit indices: the chained entries, and the signed checkpoints. */
export function auditIndexTemplates(prefix: string) {
  const single = (name: string, properties: Record<string, object>) => ({
    name,
    index_patterns: [name],
    priority: 200,
    template: { mappings: { dynamic: 'strict' as const, properties } },
  });
  return [
    single(`${prefix}-audit`, {
      seq: long,
      ts: date,
      actor: keyword,
      action: keyword,
      camera: keyword,
      target: keyword,
      detail: stored,
      prevHash: keyword,
      hash: keyword,
      /** The bus message the entry came from: a redelivered message is chained once. */
      messageId: keyword,
    }),
    single(`${prefix}-audit-checkpoints`, {
      seq: long,
      hash: keyword,
      ts: date,
      keyFingerprint: keyword,
      signature: { type: 'keyword' as const, index: false },
    }),
  ];
}

export interface EsAuditLogOptions {
  client: Client;
  indexPrefix: string;
  /** Signs checkpoints (the writer, the events role) and checks them. */
  key?: Pick<SigningKey, 'privateKey' | 'publicKey' | 'fingerprint'>;
  /** Only checks checkpoints (a reader: an api instance). */
  publicKey?: SigningKey['publicKey'];
  checkpointEvery?: number;
  checkpointIntervalMs?: number;
}

type EntryDoc = AuditEntry & { messageId?: string };

/** How many recent message ids are remembered to drop a redelivered one. */
const RECENT_IDS = 10_000;

/**
 * The audit log in Elasticsearch (cluster mode). One writer, the events role instance that holds the single
 * partition of `vigil.audit.v1`, chains entries; each is created with its seq as document id (`op_type: create`),
 * so a second writer cannot fork the chain: its write conflicts (409), it reloads the head and chains after it.
 * api instances only read.
 */
export class EsAuditLog implements AuditLog {
  readonly kind = 'elasticsearch';
  readonly #es: Client;
  readonly #options: EsAuditLogOptions;
  readonly #log = createLogger('audit.es');
  #head: { seq: number; hash: string } | undefined;
  #lastCheckpointSeq = 0;
  #recent = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: EsAuditLogOptions) {
    this.#es = options.client;
    this.#options = options;
  }

  get #entries() {
    return `${this.#options.indexPrefix}-audit`;
  }
  get #checkpoints() {
    return `${this.#options.indexPrefix}-audit-checkpoints`;
  }

  /** Installs the templates and reads the chain's head (the writer calls it at start). */
  async setup(): Promise<void> {
    for (const t of auditIndexTemplates(this.#options.indexPrefix))
      await this.#es.indices.putIndexTemplate(t);
    await this.#loadHead();
    const interval = this.#options.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS;
    if (this.#options.key && interval > 0) {
      this.#timer = setInterval(() => {
        void this.checkpoint().catch((err: unknown) =>
          this.#log.error({ err }, 'could not write an audit checkpoint'),
        );
      }, interval);
      this.#timer.unref();
    }
  }

  async #loadHead(): Promise<void> {
    const res = await this.#es.search<EntryDoc>({
      index: this.#entries,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: 1000,
      sort: [{ seq: { order: 'desc' } }],
      query: { match_all: {} },
    });
    const docs = res.hits.hits.map((h) => h._source as EntryDoc);
    const top = docs[0];
    this.#head = top ? { seq: top.seq, hash: top.hash } : undefined;
    for (const d of docs) if (d.messageId) this.#recent.add(d.messageId);
    const cp = await this.#es.search<AuditCheckpoint>({
      index: this.#checkpoints,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: 1,
      sort: [{ seq: { order: 'desc' } }],
    });
    this.#lastCheckpointSeq = cp.hits.hits[0]?._source?.seq ?? 0;
  }

  append(record: AuditRecord): Promise<AuditEntry> {
    return this.#serial(() => this.#append(record, undefined)) as Promise<AuditEntry>;
  }

  /** Appends the record of a bus message unless that message was chained already (a redelivery). */
  appendMessage(messageId: string, record: AuditRecord): Promise<AuditEntry | undefined> {
    return this.#serial(() => (this.#recent.has(messageId) ? undefined : this.#append(record, messageId)));
  }

  #serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => {});
    return next;
  }

  async #append(record: AuditRecord, messageId: string | undefined): Promise<AuditEntry> {
    for (let attempt = 0; ; attempt++) {
      const entry = chainEntry(record, this.#head);
      try {
        await this.#es.index({
          index: this.#entries,
          id: String(entry.seq),
          op_type: 'create',
          refresh: 'wait_for',
          document: { ...entry, ...(messageId ? { messageId } : {}) },
        });
      } catch (err) {
        // Another writer took this seq: chain after its entry.
        if (err instanceof errors.ResponseError && err.statusCode === 409 && attempt < 5) {
          await this.#loadHead();
          if (messageId && this.#recent.has(messageId)) return entry;
          continue;
        }
        throw err;
      }
      this.#head = { seq: entry.seq, hash: entry.hash };
      if (messageId) {
        this.#recent.add(messageId);
        if (this.#recent.size > RECENT_IDS) this.#recent.delete(this.#recent.values().next().value as string);
      }
      if (
        this.#options.key &&
        entry.seq - this.#lastCheckpointSeq >= (this.#options.checkpointEvery ?? CHECKPOINT_EVERY)
      )
        await this.#checkpointNow();
      return entry;
    }
  }

  async #checkpointNow(): Promise<AuditCheckpoint | undefined> {
    const key = this.#options.key;
    const head = this.#head;
    if (!key || !head || head.seq <= this.#lastCheckpointSeq) return undefined;
    const c = signCheckpoint(head, key);
    await this.#es.index({
      index: this.#checkpoints,
      id: String(c.seq),
      op_type: 'create',
      refresh: 'wait_for',
      document: c,
    });
    this.#lastCheckpointSeq = c.seq;
    return c;
  }

  checkpoint(): Promise<AuditCheckpoint | undefined> {
    return this.#serial(() => this.#checkpointNow());
  }

  #query(filter: Omit<AuditFilter, 'limit'>) {
    const must: object[] = [];
    if (filter.actor !== undefined) must.push({ term: { actor: filter.actor } });
    if (filter.actors) must.push({ terms: { actor: [...filter.actors] } });
    if (filter.action !== undefined) must.push({ term: { action: filter.action } });
    if (filter.camera !== undefined) must.push({ term: { camera: filter.camera } });
    if (filter.from !== undefined || filter.to !== undefined)
      must.push({
        range: {
          ts: {
            ...(filter.from !== undefined ? { gte: filter.from } : {}),
            ...(filter.to !== undefined ? { lt: filter.to } : {}),
          },
        },
      });
    if (filter.before !== undefined) must.push({ range: { seq: { lt: filter.before } } });
    return must.length ? { bool: { filter: must } } : { match_all: {} };
  }

  async list(filter: AuditFilter): Promise<AuditPage> {
    const res = await this.#es.search<EntryDoc>({
      index: this.#entries,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: Math.max(1, Math.min(filter.limit, 10_000)),
      sort: [{ seq: { order: 'desc' } }],
      track_total_hits: true,
      query: this.#query(filter),
    });
    let total = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
    if (filter.before !== undefined) {
      const { before: _b, ...rest } = filter;
      const all = await this.#es.search({
        index: this.#entries,
        ignore_unavailable: true,
        allow_no_indices: true,
        size: 0,
        track_total_hits: true,
        query: this.#query(rest),
      });
      total = typeof all.hits.total === 'number' ? all.hits.total : (all.hits.total?.value ?? 0);
    }
    return { entries: res.hits.hits.map((h) => stripMessageId(h._source as EntryDoc)), total };
  }

  async *#pages(filter: Omit<AuditFilter, 'limit' | 'before'>): AsyncGenerator<AuditEntry> {
    let after: number | undefined;
    for (;;) {
      const res = await this.#es.search<EntryDoc>({
        index: this.#entries,
        ignore_unavailable: true,
        allow_no_indices: true,
        size: 1000,
        sort: [{ seq: { order: 'asc' } }],
        track_total_hits: false,
        query: this.#query(filter),
        ...(after !== undefined ? { search_after: [after] } : {}),
      });
      const hits = res.hits.hits;
      for (const h of hits) yield stripMessageId(h._source as EntryDoc);
      if (hits.length < 1000) return;
      after = (hits.at(-1)?._source as EntryDoc).seq;
    }
  }

  async all(filter: Omit<AuditFilter, 'limit' | 'before'>): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    for await (const e of this.#pages(filter)) out.push(e);
    return out;
  }

  async listCheckpoints(): Promise<AuditCheckpoint[]> {
    const res = await this.#es.search<AuditCheckpoint>({
      index: this.#checkpoints,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: 10_000,
      sort: [{ seq: { order: 'asc' } }],
    });
    return res.hits.hits.map((h) => h._source as AuditCheckpoint);
  }

  async verify(): Promise<AuditVerifyReport> {
    const verifier = new AuditChainVerifier(
      await this.listCheckpoints(),
      this.#options.key?.publicKey ?? this.#options.publicKey,
    );
    for await (const e of this.#pages({})) if (!verifier.push(e)) break;
    return verifier.finish();
  }

  async dispose(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    try {
      await this.checkpoint();
    } catch (err) {
      this.#log.error({ err }, 'could not write the audit checkpoint at shutdown');
    }
  }
}

function stripMessageId(d: EntryDoc): AuditEntry {
  const { messageId: _m, ...entry } = d;
  return entry;
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { EsEngine } from '../../../test/fixtures/es-engine.js';
import { parseEventQuery } from '../contract/store.js';
import { makeEvent, runEventStoreContractSuite } from '../../../test/contracts/event-store.js';
import type { VigilAlert } from '../contract/events.js';
import { DAY_MS } from '../contract/store.js';
import { buildFilter, EsBulkError, EsEventStore, ilmPolicy, indexTemplates } from './es-store.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-es-test-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

function storeOnMock(
  engine = new EsEngine(),
  cameraName?: (id: string) => string | undefined,
  spoolDir = fs.mkdtempSync(path.join(tmpRoot, 'spool-')),
  totalCountLimit?: number,
) {
  const client = new Client({
    node: 'http://localhost:9200',
    Connection: engine.mock.getConnection(),
    maxRetries: 1,
  });
  const store = new EsEventStore({
    client,
    indexPrefix: 'vigil',
    retentionDays: 30,
    spoolDir,
    cameraName,
    drainIntervalMs: 60_000,
    retentionIntervalMs: 0,
    ...(totalCountLimit ? { totalCountLimit } : {}),
  });
  return { engine, store };
}

// The contract suite runs against @elastic/elasticsearch-mock with an in-memory engine that interprets the query
// DSL the store emits, or against a real cluster when VIGIL_TEST_ES=http://user:password@host:9200 is set.
const realEs = process.env.VIGIL_TEST_ES;
runEventStoreContractSuite(
  realEs
    ? 'Elasticsearch at VIGIL_TEST_ES'
    : 'Elasticsearch on @elastic/elasticsearch-mock (in-memory DSL engine)',
  async (ctx) => {
    const cameraName = (id: string) => ctx.cameraNames[id];
    if (!realEs) {
      const { store } = storeOnMock(new EsEngine(), cameraName);
      await store.setup();
      return store;
    }
    const store = new EsEventStore({
      client: new Client({ node: realEs }),
      indexPrefix: `vigil-test-${Math.random().toString(36).slice(2, 10)}`,
      retentionDays: 1,
      spoolDir: fs.mkdtempSync(path.join(tmpRoot, 'spool-')),
      cameraName,
    });
    await store.setup();
    return store;
  },
);

describe('Elasticsearch event store on @elastic/elasticsearch-mock', () => {
  it('installs an ILM policy without a delete phase and a strict template for every index it writes', async () => {
    const { engine, store } = storeOnMock();
    await store.setup();
    expect(engine.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /_ilm/policy/vigil-events',
      'PUT /_index_template/vigil-events',
      'PUT /_index_template/vigil-alerts',
      'PUT /_index_template/vigil-saved-searches',
      'PUT /_index_template/vigil-incidents',
      'GET /vigil-alerts,vigil-saved-searches',
    ]);
    expect(engine.policies.get('vigil-events')).toEqual({ policy: ilmPolicy('vigil').policy });
    expect(JSON.stringify(engine.policies.get('vigil-events'))).not.toContain('delete');
    for (const { name, ...template } of indexTemplates('vigil')) {
      expect(engine.templates.get(name)).toEqual(template);
      expect(template.template.mappings.dynamic).toBe('strict');
    }
    expect(JSON.stringify(engine.templates.get('vigil-incidents'))).toContain('"dynamic":"strict"');
    await store.dispose();
  });

  it('gives every index it writes a strict mapping: alerts list sorted, unknown fields refused', async () => {
    // Real Elasticsearch maps a string field it has not seen as `text`, and refuses to sort on it (fielddata is
    // off for text fields); the engine does the same, so an index written without a template fails here.
    const { engine, store } = storeOnMock();
    await store.setup();
    await store.upsertEvents([makeEvent({ id: 'm1' })]);
    const alert: VigilAlert = {
      id: 'r:1',
      ruleId: 'r',
      ruleName: 'Night',
      eventId: 'm1',
      cameraId: 'cam-a',
      label: 'person',
      severity: 'critical',
      state: 'new',
      raisedTs: 1000,
    };
    await store.alerts.upsertAlerts([alert, { ...alert, id: 'r:2', raisedTs: 2000 }]);
    expect((await store.alerts.listAlerts()).map((a) => a.id)).toEqual(['r:2', 'r:1']);
    await store.savedSearches.createSavedSearch({ name: 'people', query: { labels: 'person' } }, 'ann');
    expect(await store.savedSearches.listSavedSearches()).toHaveLength(1);
    expect([...engine.meta.keys()].sort()).toEqual([
      'vigil-alerts',
      `vigil-events-${new Date().toISOString().slice(0, 7).replace('-', '.')}`,
      'vigil-saved-searches',
    ]);
    for (const [name, meta] of engine.meta) expect(meta.mappings.dynamic, name).toBe('strict');
    // A field the mapping does not know is refused, as a strict mapping does (400 strict_dynamic_mapping_exception).
    await expect(
      store.alerts.upsertAlerts([{ ...alert, id: 'r:3', extra: 'x' } as unknown as VigilAlert]),
    ).rejects.toThrow(/r:3: 400 strict_dynamic_mapping_exception: .*dynamic introduction of \[extra\]/);
    await store.dispose();
  });

  it('keeps a retained event when its month is past the retention; deletes the others, then the empty indices', async () => {
    const engine = new EsEngine();
    let clock = Date.UTC(2026, 0, 10);
    engine.now = () => clock;
    const { store } = storeOnMock(engine);
    await store.setup();
    const start = Date.UTC(2026, 0, 5);
    await store.upsertEvents([
      makeEvent({ id: 'kept', startTs: start }),
      makeEvent({ id: 'old', startTs: start + 1000 }),
    ]);
    await store.annotations.updateEvent('kept', { retain: true }, 'inspector');
    // A year later ILM runs its policy on the January index (the engine applies the installed policy's phases).
    clock = Date.UTC(2027, 0, 10);
    engine.runIlm();
    expect((await store.getEvent('kept'))?.retained).toBe(true);
    await store.upsertEvents([makeEvent({ id: 'recent', startTs: clock - DAY_MS })]);
    expect(await store.enforceRetention(clock)).toEqual({ deleted: 1, indicesDeleted: [] });
    expect(await store.getEvent('old')).toBeUndefined();
    expect((await store.getEvent('kept'))?.id).toBe('kept');
    expect((await store.getEvent('recent'))?.id).toBe('recent');
    // Released: the next sweep deletes it, and the January index with it.
    await store.annotations.updateEvent('kept', { retain: false }, 'inspector');
    expect(await store.enforceRetention(clock)).toEqual({
      deleted: 1,
      indicesDeleted: ['vigil-events-2026.01'],
    });
    expect(await store.getEvent('kept')).toBeUndefined();
    expect((await store.getEvent('recent'))?.id).toBe('recent');
    await store.dispose();
  });

  it('writes events with one bulk request into the month index of their start, and translates filters to query DSL', async () => {
    const { engine, store } = storeOnMock();
    const start = Date.UTC(2026, 10, 29, 12, 0, 0);
    await store.upsertEvents([
      makeEvent({ id: 'e1', startTs: start }),
      makeEvent({ id: 'e2', startTs: start + 1 }),
    ]);
    const bulk = engine.requests.filter((r) => r.path === '/_bulk');
    expect(bulk).toHaveLength(1);
    expect(bulk[0]?.querystring.refresh).toBe('wait_for');
    const actions = (bulk[0]?.body as Array<Record<string, Record<string, unknown>>>).filter(
      (_, i) => i % 2 === 0,
    );
    expect(actions).toEqual([
      { index: { _index: 'vigil-events-2026.11', _id: 'e1', op_type: 'create' } },
      { index: { _index: 'vigil-events-2026.11', _id: 'e2', op_type: 'create' } },
    ]);
    const q = parseEventQuery({
      from: 0,
      to: start + 10,
      cameras: 'cam-a',
      labels: 'person',
      minScore: '0.5',
      q: 'Dock',
    });
    expect(buildFilter(q)).toEqual({
      bool: {
        filter: [
          { range: { startTs: { gte: 0, lt: start + 10 } } },
          { terms: { cameraId: ['cam-a'] } },
          { terms: { label: ['person'] } },
          { range: { topScore: { gte: 0.5 } } },
          { prefix: { words: 'dock' } },
        ],
      },
    });
    await store.dispose();
  });

  it('says "more than N" on every page when a search matches more hits than it counts', async () => {
    const { store } = storeOnMock(new EsEngine(), undefined, undefined, 10);
    await store.setup();
    const now = Date.now();
    await store.upsertEvents(
      Array.from({ length: 25 }, (_, i) => makeEvent({ id: `many-${i}`, startTs: now - 60_000 - i * 1000 })),
    );
    const pages: Array<{ total: number; relation?: string; n: number }> = [];
    let cursor: string | undefined;
    do {
      const r = await store.search(parseEventQuery({ limit: '8', ...(cursor ? { cursor } : {}) }));
      pages.push({ total: r.total, relation: r.totalRelation, n: r.items.length });
      cursor = r.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.n)).toEqual([8, 8, 8, 1]);
    // Elasticsearch stopped counting at 10: every page says "at least 10", none pretends 10 is the count.
    expect(pages.every((p) => p.total === 10 && p.relation === 'gte')).toBe(true);
    await store.dispose();
  });

  it('retries bulk items refused with 429 and fails clearly on items Elasticsearch rejects for good', async () => {
    const { engine, store } = storeOnMock();
    engine.bulkItemFailures.push({
      status: 429,
      type: 'es_rejected_execution_exception',
      reason: 'queue full',
    });
    await store.upsertEvents([makeEvent({ id: 'a' }), makeEvent({ id: 'b' })]);
    expect(engine.requests.filter((r) => r.path === '/_bulk')).toHaveLength(2);
    expect((await store.getEvent('a'))?.id).toBe('a');
    expect((await store.getEvent('b'))?.id).toBe('b');

    engine.bulkItemFailures.push({
      status: 400,
      type: 'mapper_parsing_exception',
      reason: 'failed to parse field [box]',
    });
    const err = await store
      .upsertEvents([makeEvent({ id: 'c' }), makeEvent({ id: 'd' })])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EsBulkError);
    expect((err as EsBulkError).message).toMatch(/c: 400 mapper_parsing_exception/);
    expect((await store.getEvent('d'))?.id).toBe('d'); // the good item of the partial failure is written
    await store.dispose();
  });

  it('retries the 429 items of a bulk answer that also refuses an item for good, then reports that item', async () => {
    const { engine, store } = storeOnMock();
    engine.bulkItemFailures.push(
      { status: 400, type: 'document_parsing_exception', reason: 'failed to parse field [box]' },
      {
        status: 429,
        type: 'es_rejected_execution_exception',
        reason: 'rejected execution of coordinating operation',
      },
    );
    const err = await store
      .upsertEvents([makeEvent({ id: 'bad' }), makeEvent({ id: 'busy' }), makeEvent({ id: 'fine' })])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EsBulkError);
    expect((err as EsBulkError).failures.map((f) => f.id)).toEqual(['bad']);
    expect((await store.getEvent('busy'))?.id).toBe('busy');
    expect((await store.getEvent('fine'))?.id).toBe('fine');
    expect(await store.getEvent('bad')).toBeUndefined();
    await store.dispose();
  });

  it('parks spooled events Elasticsearch refuses for good (413, 403) in a dead-letter file and drains the rest', async () => {
    const { engine, store } = storeOnMock();
    engine.down = true;
    const huge = makeEvent({
      id: 'huge',
      snapshot: { ts: 1, score: 0.9, cropJpeg: 'A'.repeat(200_000), frameJpeg: '' },
    });
    await store.upsertEvents([makeEvent({ id: 's1' }), huge, makeEvent({ id: 's2' })]);
    engine.down = false;
    // Larger than http.max_content_length: the whole bulk is answered 413; halves are tried, the event too large
    // on its own is parked.
    engine.maxContentLength = 100_000;
    await store.drainSpool();
    expect(store.spooled()).toBe(0);
    expect((await store.getEvent('s1'))?.id).toBe('s1');
    expect((await store.getEvent('s2'))?.id).toBe('s2');
    const parked = () =>
      fs
        .readFileSync(store.deadLetterFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { status: number; reason: string; event: { id: string } });
    expect(parked().map((p) => [p.event.id, p.status])).toEqual([['huge', 413]]);

    // Credentials that may not write (403 from security): parked with the reason, and new writes go on.
    engine.down = true;
    await store.upsertEvents([makeEvent({ id: 's3' })]);
    engine.down = false;
    engine.requestFailures.push({
      path: /^\/_bulk$/,
      status: 403,
      type: 'security_exception',
      reason: 'action [indices:data/write/bulk[s]] is unauthorized for user [vigil]',
    });
    await store.drainSpool();
    expect(store.spooled()).toBe(0);
    expect(parked().map((p) => [p.event.id, p.status])).toEqual([
      ['huge', 413],
      ['s3', 403],
    ]);
    expect(parked()[1]?.reason).toMatch(/check the credentials/);
    await store.upsertEvents([makeEvent({ id: 's4' })]);
    expect((await store.getEvent('s4'))?.id).toBe('s4');
    await store.dispose();
  });

  it('spools events to disk while Elasticsearch is unreachable and drains them in order on recovery', async () => {
    const { engine, store } = storeOnMock();
    engine.down = true;
    const e1 = makeEvent({ id: 'sp1', phase: 'start', topScore: 0.5 });
    const e1end = {
      ...e1,
      phase: 'end' as const,
      lastTs: e1.lastTs + 5000,
      endTs: e1.lastTs + 5000,
      topScore: 0.9,
    };
    await store.upsertEvents([e1]);
    await store.upsertEvents([e1end, makeEvent({ id: 'sp2' })]);
    expect(store.spooled()).toBe(3);
    engine.down = false;
    await store.drainSpool();
    expect(store.spooled()).toBe(0);
    const got = await store.getEvent('sp1');
    expect(got).toMatchObject({ phase: 'end', topScore: 0.9, endTs: e1end.endTs });
    expect((await store.getEvent('sp2'))?.id).toBe('sp2');
    await store.dispose();
  });
});

describe('Elasticsearch alerts under concurrent writers (two store instances on @elastic/elasticsearch-mock)', () => {
  const base: VigilAlert = {
    id: 'night:ev1',
    ruleId: 'night',
    ruleName: 'Night intrusion',
    eventId: 'ev1',
    cameraId: 'cam-a',
    label: 'person',
    severity: 'critical',
    state: 'new',
    raisedTs: 1000,
    escalations: 0,
  };
  async function twoWriters() {
    const engine = new EsEngine();
    const events = storeOnMock(engine).store; // the events role
    const api = storeOnMock(engine).store; // an operator's api role
    await events.setup();
    await events.alerts.upsertAlerts([base]);
    return { engine, events, api };
  }

  it('an acknowledgement is not reverted by the events role writing the alert it read before the ack', async () => {
    const { engine, events, api } = await twoWriters();
    // The ack lands between the events role's read (mget) and its write (bulk).
    engine.interleaved.push({
      match: (m, p) => p === '/_bulk',
      run: () => {
        const idx = engine.indices.get('vigil-alerts');
        const doc = idx?.get(base.id);
        if (doc) {
          idx?.set(base.id, {
            source: { ...doc.source, state: 'acknowledged', acknowledgedBy: 'ann', acknowledgedTs: 5 },
            seqNo: doc.seqNo + 1000,
          });
        }
      },
    });
    await events.alerts.upsertAlerts([{ ...base, escalations: 1 }]);
    expect(await api.alerts.getAlert(base.id)).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: 'ann',
    });
    await events.dispose();
    await api.dispose();
  });

  it('an acknowledgement re-applies itself over an escalation written since it read the alert', async () => {
    const { engine, events, api } = await twoWriters();
    engine.interleaved.push({
      match: (m, p) => m === 'PUT' && p.startsWith('/vigil-alerts/_doc/'),
      run: () => {
        const idx = engine.indices.get('vigil-alerts');
        const doc = idx?.get(base.id);
        if (doc) idx?.set(base.id, { source: { ...doc.source, escalations: 1 }, seqNo: doc.seqNo + 1000 });
      },
    });
    expect(await api.alerts.acknowledgeAlert(base.id, 'ann', 50)).toMatchObject({
      state: 'acknowledged',
      escalations: 1,
    });
    expect(await events.alerts.getAlert(base.id)).toMatchObject({ state: 'acknowledged', escalations: 1 });
    await events.dispose();
    await api.dispose();
  });

  it('racing redeliveries, escalations and acknowledgements never lose the acknowledgement', async () => {
    const { events, api } = await twoWriters();
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => events.alerts.upsertAlerts([{ ...base, escalations: i + 1 }])),
      api.alerts.acknowledgeAlert(base.id, 'ann', 77),
      ...Array.from({ length: 5 }, () => events.alerts.upsertAlerts([base])),
    ]);
    expect(await api.alerts.getAlert(base.id)).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: 'ann',
      acknowledgedTs: 77,
    });
    await events.dispose();
    await api.dispose();
  });
});

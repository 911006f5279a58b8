import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { EsEngine } from '../../../test/fixtures/es-engine.js';
import { parseEventQuery } from '../contract/store.js';
import { makeEvent, runEventStoreContractSuite } from '../store/contract-suite.js';
import { buildFilter, EsBulkError, EsEventStore, ilmPolicy, indexTemplate } from './es-store.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-es-test-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

function storeOnMock(engine = new EsEngine(), cameraName?: (id: string) => string | undefined) {
  const client = new Client({
    node: 'http://localhost:9200',
    Connection: engine.mock.getConnection(),
    maxRetries: 1,
  });
  const store = new EsEventStore({
    client,
    indexPrefix: 'vigil',
    retentionDays: 30,
    spoolDir: fs.mkdtempSync(path.join(tmpRoot, 'spool-')),
    cameraName,
    drainIntervalMs: 60_000,
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
  it('installs an ILM policy that deletes after the retention and a strict index template for monthly indices', async () => {
    const { engine, store } = storeOnMock();
    await store.setup();
    expect(engine.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /_ilm/policy/vigil-events',
      'PUT /_index_template/vigil-events',
      'PUT /_index_template/vigil-incidents',
    ]);
    expect(engine.policies.get('vigil-events')).toEqual({ policy: ilmPolicy('vigil', 30).policy });
    const { name: _name, ...template } = indexTemplate('vigil');
    expect(engine.templates.get('vigil-events')).toEqual(template);
    expect(template.template.settings['index.lifecycle.name']).toBe('vigil-events');
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

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { EsEngine } from '../../../test/fixtures/es-engine.js';
import {
  axisVector,
  entry,
  runAppearanceIndexContractSuite,
} from '../../../test/contracts/appearance-index.js';
import { EsAppearanceIndex } from './es-index.js';
import { SqliteAppearanceIndex } from './sqlite-index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-appearance-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

runAppearanceIndexContractSuite(
  'SQLite',
  async () => new SqliteAppearanceIndex(fs.mkdtempSync(path.join(tmp, 'db-')) + '/appearance.db'),
);

function esOnFake(engine = new EsEngine()) {
  const client = new Client({
    node: 'http://localhost:9200',
    Connection: engine.mock.getConnection(),
    maxRetries: 1,
  });
  return { engine, index: new EsAppearanceIndex({ client, indexPrefix: 'vigil' }) };
}

// Elasticsearch itself cannot run here: the fake engine (test/fixtures/es-engine.ts) interprets the kNN search,
// dense_vector mapping and scores as the Elasticsearch 8 documentation describes them (cited there).
runAppearanceIndexContractSuite('Elasticsearch (fake engine)', async () => {
  const { index } = esOnFake();
  await index.setup();
  return index;
});

describe('Elasticsearch appearance index (fake engine)', () => {
  it('searches with a filtered kNN on a cosine dense_vector field and answers the cosine, not the _score', async () => {
    const { engine, index } = esOnFake();
    await index.setup();
    await index.put([entry('a', { cameraId: 'right', vector: axisVector(3) })]);
    const [hit] = await index.nearest({
      appearance: { v: 1, vector: axisVector(3) },
      family: 'person',
      from: 0,
      to: 2_000_000,
      cameras: ['right'],
      limit: 5,
    });
    expect(hit?.eventId).toBe('a');
    expect(hit?.score).toBeGreaterThan(0.99);
    expect(engine.fieldMapping('vigil-appearance', 'vector_v1')).toMatchObject({
      type: 'dense_vector',
      index: true,
      similarity: 'cosine',
    });
    const search = engine.requests.find((r) => r.path.endsWith('/_search'));
    const knn = (search?.body as { knn: { k: number; num_candidates: number; filter: unknown } }).knn;
    expect(knn.k).toBe(5);
    expect(knn.num_candidates).toBeGreaterThanOrEqual(knn.k);
    expect(JSON.stringify(knn.filter)).toContain('"cameraId":["right"]');
    await index.dispose();
  });

  it('answers no sightings before the first descriptor created the index', async () => {
    const { index } = esOnFake();
    await index.setup();
    const hits = await index.nearest({
      appearance: { v: 1, vector: axisVector(1) },
      family: 'person',
      from: 0,
      to: 1,
      limit: 5,
    });
    expect(hits).toEqual([]);
    await index.dispose();
  });
});

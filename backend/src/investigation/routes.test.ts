import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInCookie, tempPeople } from '../../../test/fixtures/people.js';
import { SessionAuth } from '../api/auth.js';
import { ApiServer } from '../api/server.js';
import { AuditRecorder, logWriter } from '../audit/recorder.js';
import { SqliteAuditLog } from '../audit/sqlite-audit-log.js';
import type { NewUserBody } from '../contract/people.js';
import type { SiteMap, Trail, TrailSummary } from '../contract/investigation.js';
import { scanDataDir } from '../backup/engine.js';
import { makeEvent } from '../../../test/contracts/event-store.js';
import { SqliteEventStore } from '../store/sqlite-store.js';
import { createInvestigation, INVESTIGATION_DIR } from './create.js';
import { investigationRoutes } from './routes.js';
import { EvidenceExporter } from '../export/exporter.js';
import { AuditLogSink, StoreEventSource } from '../export/local-sources.js';
import { exportRoutes } from '../export/routes.js';
import { loadOrCreateSigningKey } from '../export/signing.js';
import { verifyEvidence } from '../export/verify.js';

const PASSWORD = 'a long enough password';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-investigation-routes-'));
const store = new SqliteEventStore({ file: path.join(dataDir, 'events.db') });
const people = tempPeople();
const auditLog = new SqliteAuditLog({ file: path.join(dataDir, 'audit.db'), checkpointIntervalMs: 0 });
const audit = new AuditRecorder(logWriter(() => auditLog));
const auth = new SessionAuth();
const investigation = createInvestigation(dataDir);
const key = loadOrCreateSigningKey(path.join(dataDir, 'keys'));
const exportsDir = path.join(dataDir, 'exports');
// The exporter as the local backend builds it, over the real event store and audit log; these cameras have
// recorded nothing (the export says so), so the recording index is a source without footage.
const exporter = new EvidenceExporter({
  exportsDir,
  ffmpegPath: 'ffmpeg',
  key,
  segments: { segments: async () => [], continuity: async () => [] },
  events: new StoreEventSource(() => store),
  audit: new AuditLogSink(audit, () => auditLog),
});
const server = new ApiServer({
  host: '127.0.0.1',
  port: 0,
  auth,
  people,
  mode: 'local',
  routes: [
    investigationRoutes({ ...investigation, store: () => store, audit }),
    exportRoutes({ exporter, exportsDir, key, audit, investigation }),
  ],
});

const rights = ['live', 'recordings', 'export'] as const;
const grant = (...cams: string[]) => cams.map((target) => ({ target, rights: [...rights] }));
const ACCOUNTS: NewUserBody[] = [
  { name: 'boss', role: 'admin', password: PASSWORD, cameras: [] },
  // Sees the gate and the yard; a second investigator only the gate.
  { name: 'inv', role: 'investigator', password: PASSWORD, cameras: grant('gate', 'yard') },
  { name: 'inv-gate', role: 'investigator', password: PASSWORD, cameras: grant('gate') },
  { name: 'guard', role: 'guard', password: PASSWORD, cameras: [{ target: '*', rights: ['live'] }] },
];
const cookies = new Map<string, string>();

async function as(user: string, method: string, url: string, body?: unknown, type?: string) {
  const raw = body instanceof Buffer;
  const res = await fetch(`${server.url}${url}`, {
    method,
    headers: {
      cookie: cookies.get(user) ?? '',
      ...(body !== undefined ? { 'content-type': type ?? 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: raw ? new Uint8Array(body) : JSON.stringify(body) } : {}),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch {
    data = undefined;
  }
  // JSON of many shapes: the assertions check them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, type: res.headers.get('content-type'), bytes, data: data as any };
}

const now = Date.now();
const gateEvent = makeEvent({
  id: 'gate-person-1',
  cameraId: 'gate',
  startTs: now - 120_000,
  lastTs: now - 110_000,
});
const yardEvent = makeEvent({
  id: 'yard-person-1',
  cameraId: 'yard',
  startTs: now - 60_000,
  lastTs: now - 50_000,
});

async function auditOf(action: 'site-map' | 'trail') {
  return (await auditLog.list({ action, limit: 50 })).entries;
}

beforeAll(async () => {
  await server.start();
  for (const a of ACCOUNTS) {
    await people.addUser(a, 'test');
    cookies.set(a.name, await signInCookie(server.url, a.name, PASSWORD));
  }
  await store.upsertEvents([gateEvent, yardEvent]);
});

afterAll(async () => {
  await server.dispose();
  await store.dispose();
  await auditLog.dispose();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 240, g: 240, b: 230 } } })
    .png()
    .toBuffer();

describe('site map', () => {
  it('refuses what is not a plan image, with a message that says what to upload', async () => {
    const text = await as(
      'boss',
      'PUT',
      '/api/sitemap/plan',
      Buffer.from('not a picture at all'),
      'image/png',
    );
    expect(text.status).toBe(400);
    expect(text.data.message).toMatch(/not a readable image.*PNG, JPEG or WebP/);

    const json = await as('boss', 'PUT', '/api/sitemap/plan', { plan: 'x' });
    expect(json.status).toBe(415);
    expect(json.data.message).toMatch(/PNG, JPEG or WebP/);

    const huge = await as(
      'boss',
      'PUT',
      '/api/sitemap/plan',
      Buffer.alloc(11 * 1024 * 1024, 1),
      'image/jpeg',
    );
    expect(huge.status).toBe(413);
    expect(huge.data.message).toMatch(/larger than 10 MB/);

    const wide = await as('boss', 'PUT', '/api/sitemap/plan', await png(8100, 10), 'image/png');
    expect(wide.status).toBe(400);
    expect(wide.data.message).toMatch(/8100×10 pixels; at most 8000/);

    // A GIF is an image, but not one of the accepted kinds.
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } })
      .gif()
      .toBuffer();
    const refusedGif = await as('boss', 'PUT', '/api/sitemap/plan', gif, 'image/png');
    expect(refusedGif.status).toBe(400);
    expect(refusedGif.data.message).toMatch(/gif is not accepted/);

    // Nothing was stored by any of them.
    expect((await as('boss', 'GET', '/api/sitemap/plan')).status).toBe(404);
    expect((await as('boss', 'GET', '/api/sitemap')).data.plan).toBeUndefined();
  });

  it('stores a plan re-encoded, only from someone who manages cameras, and audits it', async () => {
    // A JPEG with EXIF orientation 6 (turned a quarter) and a GPS-bearing comment: stored upright, without it.
    const photo = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#8ab' } })
      .jpeg()
      .withMetadata({ orientation: 6, exif: { IFD0: { ImageDescription: 'home of the photographer' } } })
      .toBuffer();
    expect((await as('inv', 'PUT', '/api/sitemap/plan', photo, 'image/jpeg')).status).toBe(403);
    const put = await as('boss', 'PUT', '/api/sitemap/plan', photo, 'image/jpeg');
    expect(put.status).toBe(200);
    expect((put.data as SiteMap).plan).toMatchObject({ type: 'image/jpeg', width: 200, height: 300 });

    const got = await as('inv', 'GET', '/api/sitemap/plan');
    expect(got.status).toBe(200);
    expect(got.type).toBe('image/jpeg');
    const meta = await sharp(got.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([200, 300]);
    expect(meta.exif).toBeUndefined();
    expect(got.bytes.includes(Buffer.from('photographer'))).toBe(false);

    // A PNG replaces it.
    const plan = await as('boss', 'PUT', '/api/sitemap/plan', await png(1200, 800), 'image/png');
    expect(plan.data.plan).toMatchObject({ type: 'image/png', width: 1200, height: 800, updatedBy: 'boss' });
    expect((await as('inv', 'GET', '/api/sitemap/plan')).type).toBe('image/png');

    const entries = await auditOf('site-map');
    expect(entries.map((e) => [e.actor, e.target, e.detail?.type])).toEqual([
      ['boss', 'plan', 'image/png'],
      ['boss', 'plan', 'image/jpeg'],
    ]);
  });

  it('places cameras; each person sees only the cameras they may see; hidden placements stay', async () => {
    const placements = [
      { cameraId: 'gate', x: 0.2, y: 0.3, heading: 90 },
      { cameraId: 'yard', x: 0.7, y: 0.6 },
      { cameraId: 'dock', x: 0.9, y: 0.9 },
    ];
    expect((await as('inv', 'PUT', '/api/sitemap/cameras', { placements })).status).toBe(403);
    const bad = await as('boss', 'PUT', '/api/sitemap/cameras', {
      placements: [{ cameraId: 'gate', x: 1.5, y: 0 }],
    });
    expect(bad.status).toBe(400);
    expect(bad.data.field).toBe('placements.0.x');
    const twice = await as('boss', 'PUT', '/api/sitemap/cameras', {
      placements: [placements[0], placements[0]],
    });
    expect(twice.status).toBe(400);

    const put = await as('boss', 'PUT', '/api/sitemap/cameras', { placements });
    expect(put.status).toBe(200);
    expect(put.data.placements.map((p: { cameraId: string }) => p.cameraId)).toEqual([
      'dock',
      'gate',
      'yard',
    ]);

    const seen = async (user: string) =>
      ((await as(user, 'GET', '/api/sitemap')).data as SiteMap).placements.map((p) => p.cameraId);
    expect(await seen('inv')).toEqual(['gate', 'yard']);
    expect(await seen('inv-gate')).toEqual(['gate']);
    expect(await seen('guard')).toEqual(['dock', 'gate', 'yard']);
    expect((await as('inv', 'GET', '/api/sitemap')).data.placements[0]).toEqual(placements[0]);

    const entries = await auditOf('site-map');
    expect(entries[0]).toMatchObject({
      actor: 'boss',
      target: 'cameras',
      detail: { placed: ['gate', 'yard', 'dock'] },
    });
  });
});

describe('trails', () => {
  let trail: Trail;

  it('creates a trail from event ids: camera and time come from the events, in time order', async () => {
    const post = await as('inv', 'POST', '/api/trails', {
      name: 'Red jacket',
      caseNumber: 'CASE-17',
      sightings: [{ eventId: 'yard-person-1' }, { eventId: 'gate-person-1', confirmed: true }],
    });
    expect(post.status).toBe(201);
    trail = post.data as Trail;
    expect(trail).toMatchObject({ name: 'Red jacket', caseNumber: 'CASE-17', createdBy: 'inv' });
    expect(trail.sightings.map((s) => [s.eventId, s.cameraId, s.ts, s.confirmed])).toEqual([
      ['gate-person-1', 'gate', gateEvent.startTs, true],
      ['yard-person-1', 'yard', yardEvent.startTs, false],
    ]);

    const missing = await as('inv', 'POST', '/api/trails', {
      name: 'x',
      caseNumber: 'C1',
      sightings: [{ eventId: 'no-such-event' }],
    });
    expect(missing.status).toBe(404);
    expect(missing.data.message).toMatch(/no-such-event/);
    // An event of a camera the caller may not see answers exactly like one that does not exist.
    const hidden = await as('inv-gate', 'POST', '/api/trails', {
      name: 'x',
      caseNumber: 'C1',
      sightings: [{ eventId: 'yard-person-1' }],
    });
    expect(hidden.status).toBe(404);
    expect(hidden.data.message).toBe('Event "yard-person-1" does not exist');
    const badCase = await as('inv', 'POST', '/api/trails', { name: 'x', caseNumber: '<script>' });
    expect(badCase.status).toBe(400);
    expect((await as('guard', 'POST', '/api/trails', { name: 'x', caseNumber: 'C1' })).status).toBe(403);
  });

  it('lists and shows a trail only to those who see all its cameras', async () => {
    const list = (await as('inv', 'GET', '/api/trails')).data as TrailSummary[];
    expect(list.map((t) => [t.name, t.sightings, t.confirmed, t.cameras])).toEqual([
      ['Red jacket', 2, 1, ['gate', 'yard']],
    ]);
    expect((await as('inv-gate', 'GET', '/api/trails')).data).toEqual([]);
    const hidden = await as('inv-gate', 'GET', `/api/trails/${trail.id}`);
    const none = await as('inv-gate', 'GET', '/api/trails/trail-none');
    expect(hidden.status).toBe(404);
    expect(hidden.data.message).toBe(none.data.message.replace('trail-none', trail.id));
    expect((await as('inv-gate', 'DELETE', `/api/trails/${trail.id}`)).status).toBe(404);
    expect((await as('guard', 'GET', '/api/trails')).status).toBe(403);
  });

  it('confirms and removes sightings, keeps them across a restart, deletes, and audits every change', async () => {
    const put = await as('inv', 'PUT', `/api/trails/${trail.id}`, {
      name: 'Red jacket, north side',
      caseNumber: 'CASE-17',
      sightings: [
        { eventId: 'gate-person-1', confirmed: true },
        { eventId: 'yard-person-1', confirmed: true },
      ],
    });
    expect(put.status).toBe(200);
    expect(put.data.sightings.map((s: { confirmed: boolean }) => s.confirmed)).toEqual([true, true]);

    // Another process on the same data folder reads the same trail.
    const again = createInvestigation(dataDir).trails.get(trail.id);
    expect(again?.name).toBe('Red jacket, north side');
    expect(again?.sightings.map((s) => s.eventId)).toEqual(['gate-person-1', 'yard-person-1']);

    const removed = await as('inv', 'PUT', `/api/trails/${trail.id}`, {
      name: 'Red jacket, north side',
      caseNumber: 'CASE-17',
      sightings: [{ eventId: 'gate-person-1', confirmed: true }],
    });
    expect(removed.data.sightings).toHaveLength(1);

    // Backups carry the site map, the plan and the trails (plain files under the data folder).
    const backedUp = (await scanDataDir(dataDir)).map((f) => f.path);
    for (const f of ['sitemap.json', 'plan.png', 'trails.json'])
      expect(backedUp).toContain(`${INVESTIGATION_DIR}/${f}`);

    expect((await as('inv', 'DELETE', `/api/trails/${trail.id}`)).status).toBe(204);
    expect((await as('inv', 'GET', `/api/trails/${trail.id}`)).status).toBe(404);

    const entries = (await auditOf('trail')).reverse();
    expect(entries.map((e) => [e.actor, e.target, e.detail?.change])).toEqual([
      ['inv', trail.id, 'created'],
      ['inv', trail.id, 'changed'],
      ['inv', trail.id, 'changed'],
      ['inv', trail.id, 'deleted'],
    ]);
    expect(entries[0]?.detail).toMatchObject({
      name: 'Red jacket',
      caseNumber: 'CASE-17',
      sightings: [
        { eventId: 'gate-person-1', cameraId: 'gate', confirmed: true },
        { eventId: 'yard-person-1', cameraId: 'yard', confirmed: false },
      ],
    });
  });
});

describe('export of a trail', () => {
  it('exports the cameras of the confirmed sightings with trail.json; refuses a trail without one, or hidden', async () => {
    const made = await as('inv', 'POST', '/api/trails', {
      name: 'Blue cap',
      caseNumber: 'CASE-18',
      sightings: [{ eventId: 'gate-person-1' }, { eventId: 'yard-person-1' }],
    });
    const id = (made.data as Trail).id;
    const body = { trailId: id, reason: 'request of the police', caseNumber: 'CASE-18', format: 'folder' };
    const none = await as('inv', 'POST', '/api/export', body);
    expect(none.status).toBe(400);
    expect(none.data.message).toMatch(/no confirmed sighting/);

    await as('inv', 'PUT', `/api/trails/${id}`, {
      name: 'Blue cap',
      caseNumber: 'CASE-18',
      sightings: [
        { eventId: 'gate-person-1', confirmed: true },
        { eventId: 'yard-person-1', confirmed: true },
      ],
    });
    // A trail through a camera the caller may not see is not theirs to export.
    const hidden = await as('inv-gate', 'POST', '/api/export', body);
    expect(hidden.status).toBe(404);
    expect(hidden.data.message).toBe(`There is no trail "${id}".`);

    const done = await as('inv', 'POST', '/api/export', { ...body, marginSec: 10 });
    expect(done.status).toBe(200);
    const folder = done.data.location as string;
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      cameras: ['gate', 'yard'],
      from: gateEvent.startTs - 10_000,
      to: yardEvent.lastTs + 10_000,
      caseNumber: 'CASE-18',
      exportedBy: 'inv',
      trail: { id, name: 'Blue cap', sightings: 2 },
    });
    const trail = JSON.parse(fs.readFileSync(path.join(folder, 'trail.json'), 'utf8'));
    expect(
      trail.sightings.map((s: { n: number; cameraId: string; position?: unknown }) => [
        s.n,
        s.cameraId,
        s.position,
      ]),
    ).toEqual([
      [1, 'gate', { x: 0.2, y: 0.3, heading: 90 }],
      [2, 'yard', { x: 0.7, y: 0.6 }],
    ]);
    expect(fs.readFileSync(path.join(folder, 'sitemap/plan.png'))).toEqual(
      investigation.siteMap.plan()?.bytes,
    );
    expect((await verifyEvidence(folder)).intact).toBe(true);
  });
});

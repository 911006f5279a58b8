import jpeg from 'jpeg-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VigilAlert, VigilEvent } from '../../backend/src/contract/events.js';
import type { Incident } from '../../backend/src/contract/incidents.js';
import {
  HOUR_MS,
  MINUTE_MS,
  parseEventQuery,
  StoreInputError,
  type EventQueryInput,
  type EventStore,
} from '../../backend/src/contract/store.js';

/** What a store under test is built from. */
export interface StoreFactoryContext {
  /** Camera names the store should know (for results and free text). */
  cameraNames: Record<string, string>;
}

/** Builds a fresh, empty store; the suite disposes it after each test. */
export type EventStoreFactory = (ctx: StoreFactoryContext) => Promise<EventStore>;

/** A small real JPEG of one colour, base64 (as it travels on the bus). */
export function solidJpeg(r: number, g: number, b: number, size = 16): string {
  const data = Buffer.alloc(size * size * 4);
  for (let i = 0; i < size * size; i++) data.set([r, g, b, 255], i * 4);
  return Buffer.from(jpeg.encode({ data, width: size, height: size }, 80).data).toString('base64');
}

let seq = 0;
/** A realistic event message; ids are unique unless given. */
export function makeEvent(overrides: Partial<VigilEvent> = {}): VigilEvent {
  const startTs = overrides.startTs ?? Date.now() - 10 * MINUTE_MS;
  const e: VigilEvent = {
    id: `cam-a:${startTs}:person:${++seq}`,
    cameraId: 'cam-a',
    label: 'person',
    phase: 'start',
    startTs,
    lastTs: startTs,
    topScore: 0.6,
    box: [0.1, 0.1, 0.2, 0.4],
    zones: [],
    path: [{ ts: startTs, box: [0.1, 0.1, 0.2, 0.4], score: 0.6 }],
    ...overrides,
  };
  return e;
}

/** A realistic incident activity message, as the detection stage publishes it. */
export function makeIncident(overrides: Partial<Incident> = {}): Incident {
  const startTs = overrides.startTs ?? Date.now() - 10 * MINUTE_MS;
  return {
    id: `inc-cam-a-${startTs}`,
    cameraId: 'cam-a',
    startTs,
    lastTs: startTs,
    severity: 'warning',
    ruleIds: ['rule-1'],
    ruleNames: ['Person on the plaza'],
    labels: ['person'],
    eventIds: ['e1'],
    objectCount: 1,
    snapshots: [{ eventId: 'e1', label: 'person', ts: startTs, score: 0.7, box: [0.1, 0.2, 0.2, 0.5] }],
    state: 'new',
    notifications: [],
    updatedTs: startTs,
    ...overrides,
  };
}

function makeAlert(overrides: Partial<VigilAlert> = {}): VigilAlert {
  return {
    id: `rule-1:${++seq}`,
    ruleId: 'rule-1',
    ruleName: 'Night intrusion',
    eventId: 'ev-1',
    cameraId: 'cam-a',
    label: 'person',
    severity: 'critical',
    state: 'new',
    raisedTs: Date.now() - MINUTE_MS,
    ...overrides,
  };
}

/**
 * The behaviour every event store must show, as vitest blocks. Run it from an implementation's test file:
 * `runEventStoreContractSuite('sqlite', async (ctx) => new SqliteEventStore({ … }))`.
 */
export function runEventStoreContractSuite(name: string, factory: EventStoreFactory): void {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;
    const cameraNames = { 'cam-a': 'Loading dock', 'cam-b': 'Main entrance' };
    const q = (input: EventQueryInput = {}) => parseEventQuery(input);

    beforeEach(async () => {
      store = await factory({ cameraNames });
    });
    afterEach(async () => {
      await store.dispose();
    });

    it('merges start, update and end messages of one event into one record', async () => {
      const t0 = Date.now() - 30 * MINUTE_MS;
      const start = makeEvent({ id: 'ev-merge', startTs: t0, lastTs: t0, topScore: 0.5, zones: ['gate'] });
      const update = {
        ...start,
        phase: 'update' as const,
        lastTs: t0 + 4000,
        topScore: 0.9,
        box: [0.3, 0.3, 0.5, 0.8] as VigilEvent['box'],
        zones: ['yard'],
        path: [{ ts: t0 + 4000, box: [0.3, 0.3, 0.5, 0.8] as VigilEvent['box'], score: 0.9 }],
      };
      const end = {
        ...start,
        phase: 'end' as const,
        lastTs: t0 + 8000,
        endTs: t0 + 8000,
        topScore: 0.7,
        zones: ['yard', 'gate'],
        path: [{ ts: t0 + 8000, box: [0.4, 0.3, 0.6, 0.8] as VigilEvent['box'], score: 0.7 }],
      };
      expect(await store.upsertEvents([start])).toEqual({ created: ['ev-merge'], updated: [] });
      expect(await store.upsertEvents([update, end])).toEqual({
        created: [],
        updated: ['ev-merge', 'ev-merge'],
      });
      const got = await store.getEvent('ev-merge');
      expect(got).toMatchObject({
        id: 'ev-merge',
        phase: 'end',
        startTs: t0,
        lastTs: t0 + 8000,
        endTs: t0 + 8000,
        topScore: 0.9,
        box: [0.3, 0.3, 0.5, 0.8],
        cameraName: 'Loading dock',
        retained: false,
      });
      expect([...(got?.zones ?? [])].sort()).toEqual(['gate', 'yard']);
      expect(got?.path.map((p) => p.ts)).toEqual([t0, t0 + 4000, t0 + 8000]);
      expect(await store.getEvent('no-such-event')).toBeUndefined();
    });

    it('is idempotent: a redelivered or reordered message changes nothing', async () => {
      const t0 = Date.now() - 20 * MINUTE_MS;
      const start = makeEvent({ id: 'ev-idem', startTs: t0, lastTs: t0 });
      const end = {
        ...start,
        phase: 'end' as const,
        lastTs: t0 + 5000,
        endTs: t0 + 5000,
        path: [{ ts: t0 + 5000, box: start.box, score: 0.6 }],
      };
      await store.upsertEvents([start, end]);
      const once = await store.getEvent('ev-idem');
      await store.upsertEvents([end, start, start]);
      const again = await store.getEvent('ev-idem');
      expect({ ...again, updatedTs: 0 }).toEqual({ ...once, updatedTs: 0 });
      expect((await store.search(q())).total).toBe(1);
    });

    it('keeps the best-scored snapshot and serves its bytes', async () => {
      const red = solidJpeg(255, 0, 0);
      const blue = solidJpeg(0, 0, 255);
      const green = solidJpeg(0, 255, 0);
      const e = makeEvent({ id: 'ev-snap', snapshot: { ts: 1, score: 0.6, cropJpeg: red, frameJpeg: red } });
      await store.upsertEvents([e]);
      await store.upsertEvents([
        { ...e, phase: 'update', snapshot: { ts: 2, score: 0.5, cropJpeg: blue, frameJpeg: blue } },
      ]);
      expect(Buffer.from((await store.readSnapshot('ev-snap', 'crop')) ?? [])).toEqual(
        Buffer.from(red, 'base64'),
      );
      await store.upsertEvents([
        { ...e, phase: 'update', snapshot: { ts: 3, score: 0.8, cropJpeg: green, frameJpeg: green } },
      ]);
      expect(Buffer.from((await store.readSnapshot('ev-snap', 'frame')) ?? [])).toEqual(
        Buffer.from(green, 'base64'),
      );
      expect((await store.getEvent('ev-snap'))?.snapshot).toEqual({
        ts: 3,
        score: 0.8,
        crop: true,
        frame: true,
      });
      const plain = makeEvent({ id: 'ev-nosnap' });
      await store.upsertEvents([plain]);
      expect(await store.readSnapshot('ev-nosnap', 'crop')).toBeUndefined();
      expect((await store.search(q({ hasSnapshot: 'true' }))).items.map((i) => i.id)).toEqual(['ev-snap']);
      expect((await store.search(q({ hasSnapshot: 'false' }))).items.map((i) => i.id)).toEqual(['ev-nosnap']);
    });

    it('filters by time range (default: the last 24 h), camera, label, zone and score', async () => {
      const now = Date.now();
      await store.upsertEvents([
        makeEvent({ id: 'old', startTs: now - 30 * HOUR_MS }),
        makeEvent({ id: 'a-person', startTs: now - 3 * HOUR_MS, zones: ['gate'], topScore: 0.9 }),
        makeEvent({ id: 'a-car', startTs: now - 2 * HOUR_MS, label: 'car', zones: ['yard'], topScore: 0.5 }),
        makeEvent({
          id: 'b-person',
          startTs: now - HOUR_MS,
          cameraId: 'cam-b',
          zones: ['gate', 'lobby'],
          topScore: 0.7,
        }),
      ]);
      const ids = async (input: EventQueryInput) => (await store.search(q(input))).items.map((i) => i.id);
      expect(await ids({})).toEqual(['b-person', 'a-car', 'a-person']);
      expect(await ids({ from: now - 40 * HOUR_MS, to: now })).toEqual([
        'b-person',
        'a-car',
        'a-person',
        'old',
      ]);
      expect(await ids({ cameras: 'cam-b' })).toEqual(['b-person']);
      expect(await ids({ labels: 'car' })).toEqual(['a-car']);
      expect(await ids({ labels: 'person', cameras: 'cam-a,cam-b' })).toEqual(['b-person', 'a-person']);
      expect(await ids({ zones: 'gate' })).toEqual(['b-person', 'a-person']);
      expect(await ids({ zones: 'yard,lobby' })).toEqual(['b-person', 'a-car']);
      expect(await ids({ minScore: '0.7' })).toEqual(['b-person', 'a-person']);
      expect(await ids({ sort: 'oldest' })).toEqual(['a-person', 'a-car', 'b-person']);
      expect((await store.search(q({ labels: 'bicycle' }))).total).toBe(0);
    });

    it('finds events by free text over label, camera name, zones, notes and tags', async () => {
      await store.upsertEvents([
        makeEvent({ id: 'dock', cameraId: 'cam-a', zones: ['north-gate'] }),
        makeEvent({ id: 'entrance', cameraId: 'cam-b', label: 'car' }),
      ]);
      await store.annotations.updateEvent(
        'entrance',
        { note: 'Red van parked by the barrier', tags: ['suspicious'] },
        'alice',
      );
      const ids = async (text: string) => (await store.search(q({ q: text }))).items.map((i) => i.id).sort();
      expect(await ids('loading')).toEqual(['dock']);
      expect(await ids('Main Entrance')).toEqual(['entrance']);
      expect(await ids('north gate')).toEqual(['dock']);
      expect(await ids('barr')).toEqual(['entrance']);
      expect(await ids('suspicious')).toEqual(['entrance']);
      expect(await ids('person')).toEqual(['dock']);
      expect(await ids('van dock')).toEqual([]);
    });

    it('treats hostile text as plain words: no query syntax, no SQL', async () => {
      await store.upsertEvents([makeEvent({ id: 'victim', zones: ['gate'] })]);
      for (const text of [
        `"; DROP TABLE events; --`,
        `gate" OR "1"="1`,
        'NEAR(gate person) OR label:* AND NOT x',
        `'); DELETE FROM events; --`,
        '*gate*',
        '{gate} ^person',
      ]) {
        const r = await store.search(q({ q: text }));
        expect(Array.isArray(r.items)).toBe(true);
      }
      expect((await store.search(q({ q: '"gate"' }))).items.map((i) => i.id)).toEqual(['victim']);
      expect((await store.search(q())).total).toBe(1);
      expect(() => q({ q: '"*()' })).toThrow(StoreInputError);
    });

    it('pages with a cursor that stays stable while new events arrive', async () => {
      const now = Date.now();
      const batch = Array.from({ length: 25 }, (_, i) =>
        makeEvent({ id: `p${String(i).padStart(2, '0')}`, startTs: now - HOUR_MS + (i % 5) * 1000 }),
      );
      await store.upsertEvents(batch);
      for (const sort of ['newest', 'oldest'] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        let page = 0;
        do {
          const r = await store.search(q({ sort, limit: '7', ...(cursor ? { cursor } : {}) }));
          if (page === 0) expect(r.total).toBe(25 + (sort === 'oldest' ? 1 : 0));
          seen.push(...r.items.map((i) => i.id));
          cursor = r.nextCursor;
          if (page === 0) {
            // Arrivals after the first page: a brand-new event, and a late one from inside the range.
            await store.upsertEvents([makeEvent({ id: `new-${sort}`, startTs: Date.now() - 1000 })]);
          }
          page++;
        } while (cursor && page < 20);
        const expected = batch.map((e) => e.id).concat(sort === 'oldest' ? ['new-newest'] : []);
        // Every existing event exactly once, in order, none repeated.
        expect(new Set(seen).size).toBe(seen.length);
        for (const id of expected) expect(seen).toContain(id);
        const starts = seen.map((id) => batch.find((e) => e.id === id)?.startTs ?? Infinity);
        const sorted = [...starts].sort((a, b) => (sort === 'newest' ? b - a : a - b));
        expect(starts).toEqual(sorted);
      }
    });

    it('gives every page the total of the whole search, and facets that add up to it', async () => {
      const now = Date.now();
      // 575 events over 30 hours (whole hours answered by counters, the ends event by event), two cameras and
      // three labels: the count an investigator saw as "80 events" after the first pages loaded.
      const labels = ['person', 'car', 'bicycle'];
      const batch = Array.from({ length: 575 }, (_, i) =>
        makeEvent({
          id: `t${String(i).padStart(3, '0')}`,
          startTs: now - 30 * HOUR_MS + i * 3 * MINUTE_MS + 17,
          cameraId: i % 4 === 0 ? 'cam-b' : 'cam-a',
          label: labels[i % 3] as string,
        }),
      );
      for (let i = 0; i < batch.length; i += 100) await store.upsertEvents(batch.slice(i, i + 100));
      const input = { from: String(now - 31 * HOUR_MS), to: String(now) };
      for (const filter of [{}, { labels: 'car' }, { q: 'dock' }]) {
        const seen: string[] = [];
        const totals: Array<number | undefined> = [];
        let cursor: string | undefined;
        do {
          const r = await store.search(
            q({ ...input, ...filter, limit: '80', ...(cursor ? { cursor } : {}) }),
          );
          seen.push(...r.items.map((i) => i.id));
          totals.push(r.total);
          expect(r.totalRelation).toBeUndefined();
          cursor = r.nextCursor;
        } while (cursor && totals.length < 20);
        expect(new Set(seen).size).toBe(seen.length);
        // Every page, the last included, says how many the whole search has: the number of events paged through.
        expect(totals.length).toBeGreaterThan(1);
        expect(totals).toEqual(totals.map(() => seen.length));
        const facets = await store.facets(q({ ...input, ...filter }));
        const sum = (o: Record<string, number>) => Object.values(o).reduce((n, v) => n + v, 0);
        expect(sum(facets.labels)).toBe(seen.length);
        expect(sum(facets.cameras)).toBe(seen.length);
      }
      const all = await store.search(q({ ...input, limit: '80' }));
      expect(all.total).toBe(575);
    });

    it("keeps the box of the snapshot's own frame with the snapshot", async () => {
      const t0 = Date.now() - 15 * MINUTE_MS;
      // A person walking down the picture: the snapshot is taken at 1 s; a higher score at 4 s moves the
      // event's box further down, but the snapshot stays the one from 1 s.
      const atSnapshot: VigilEvent['box'] = [0.4, 0.1, 0.5, 0.45];
      const later: VigilEvent['box'] = [0.4, 0.4, 0.5, 0.75];
      const start = makeEvent({
        id: 'ev-walk',
        startTs: t0,
        lastTs: t0 + 1000,
        topScore: 0.8,
        box: atSnapshot,
        path: [{ ts: t0 + 1000, box: atSnapshot, score: 0.8 }],
        snapshot: {
          ts: t0 + 1000,
          score: 0.8,
          box: atSnapshot,
          cropJpeg: solidJpeg(200, 10, 10),
          frameJpeg: solidJpeg(10, 200, 10, 32),
        },
      });
      const update = makeEvent({
        id: 'ev-walk',
        phase: 'update',
        startTs: t0,
        lastTs: t0 + 4000,
        topScore: 0.81,
        box: later,
        path: [{ ts: t0 + 4000, box: later, score: 0.81 }],
      });
      await store.upsertEvents([start]);
      await store.upsertEvents([update]);
      const got = await store.getEvent('ev-walk');
      expect(got?.box).toEqual(later);
      expect(got?.snapshot).toMatchObject({ ts: t0 + 1000, box: atSnapshot, frame: true });
      // A better snapshot brings its own box.
      await store.upsertEvents([
        makeEvent({
          id: 'ev-walk',
          phase: 'update',
          startTs: t0,
          lastTs: t0 + 6000,
          topScore: 0.9,
          box: [0.4, 0.5, 0.5, 0.85],
          path: [{ ts: t0 + 6000, box: [0.4, 0.5, 0.5, 0.85], score: 0.9 }],
          snapshot: {
            ts: t0 + 6000,
            score: 0.9,
            box: [0.4, 0.5, 0.5, 0.85],
            frameJpeg: solidJpeg(1, 2, 3, 32),
          },
        }),
      ]);
      expect((await store.getEvent('ev-walk'))?.snapshot?.box).toEqual([0.4, 0.5, 0.5, 0.85]);
    });

    it('counts facets and a histogram over the same filters', async () => {
      const now = Date.now();
      const base = Math.floor((now - 2 * HOUR_MS) / HOUR_MS) * HOUR_MS;
      await store.upsertEvents([
        makeEvent({ startTs: base + 1000, zones: ['gate'] }),
        makeEvent({ startTs: base + 2000, zones: ['gate', 'yard'], cameraId: 'cam-b' }),
        makeEvent({ startTs: base + HOUR_MS + 5, label: 'car', zones: ['yard'] }),
        makeEvent({ startTs: now - 40 * HOUR_MS, label: 'dog' }),
      ]);
      expect(await store.facets(q())).toEqual({
        labels: { person: 2, car: 1 },
        cameras: { 'cam-a': 2, 'cam-b': 1 },
        zones: { gate: 2, yard: 2 },
      });
      expect(await store.facets(q({ labels: 'car' }))).toEqual({
        labels: { car: 1 },
        cameras: { 'cam-a': 1 },
        zones: { yard: 1 },
      });
      const day = await store.histogram(q());
      expect(day.interval).toBe('hour');
      expect(day.buckets.length).toBeGreaterThanOrEqual(24);
      expect(day.buckets.reduce((n, b) => n + b.count, 0)).toBe(3);
      expect(day.buckets.find((b) => b.ts === base)).toEqual({ ts: base, count: 2, byLabel: { person: 2 } });
      expect(day.buckets.find((b) => b.ts === base + HOUR_MS)).toEqual({
        ts: base + HOUR_MS,
        count: 1,
        byLabel: { car: 1 },
      });
      const minutes = await store.histogram(q({ from: base, to: base + HOUR_MS }));
      expect(minutes.interval).toBe('minute');
      expect(minutes.buckets).toHaveLength(60);
      expect(minutes.buckets[0]).toEqual({ ts: base, count: 2, byLabel: { person: 2 } });
      const days = await store.histogram(q({ from: now - 30 * 24 * HOUR_MS, to: now }));
      expect(days.interval).toBe('day');
      expect(days.buckets.reduce((n, b) => n + b.count, 0)).toBe(4);
    });

    it('keeps notes, tags and the retain flag, and filters on retained', async () => {
      await store.upsertEvents([makeEvent({ id: 'keep' }), makeEvent({ id: 'other' })]);
      await store.annotations.updateEvent(
        'keep',
        { note: 'Matches the incident report', tags: ['case-12'] },
        'alice',
        1000,
      );
      const after = await store.annotations.updateEvent(
        'keep',
        { note: 'Footage exported', retain: true },
        'bob',
        2000,
      );
      expect(after?.notes).toEqual([
        { ts: 1000, by: 'alice', text: 'Matches the incident report' },
        { ts: 2000, by: 'bob', text: 'Footage exported' },
      ]);
      expect(after).toMatchObject({ tags: ['case-12'], retained: true });
      expect(await store.annotations.updateEvent('missing', { retain: true }, 'bob')).toBeUndefined();
      expect((await store.search(q({ retained: 'true' }))).items.map((i) => i.id)).toEqual(['keep']);
      expect((await store.search(q({ retained: 'false' }))).items.map((i) => i.id)).toEqual(['other']);
      // A later pipeline update does not wipe the investigator's work.
      await store.upsertEvents([makeEvent({ id: 'keep', phase: 'end', topScore: 0.95 })]);
      expect(await store.getEvent('keep')).toMatchObject({
        retained: true,
        tags: ['case-12'],
        topScore: 0.95,
      });
    });

    it('stores alerts, acknowledges and resolves them; a redelivery never moves state back', async () => {
      const a1 = makeAlert({ id: 'al-1', raisedTs: 1000 });
      const a2 = makeAlert({ id: 'al-2', raisedTs: 2000, severity: 'warning' });
      await store.alerts.upsertAlerts([a1, a2]);
      expect((await store.alerts.listAlerts()).map((a) => a.id)).toEqual(['al-2', 'al-1']);
      const acked = await store.alerts.acknowledgeAlert('al-1', 'guard-7', 5000);
      expect(acked).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'guard-7', acknowledgedTs: 5000 });
      await store.alerts.upsertAlerts([{ ...a1, escalations: 2 }]);
      expect(await store.alerts.getAlert('al-1')).toMatchObject({
        state: 'acknowledged',
        acknowledgedBy: 'guard-7',
        escalations: 2,
      });
      expect((await store.alerts.listAlerts({ state: 'new' })).map((a) => a.id)).toEqual(['al-2']);
      expect(await store.alerts.resolveAlert('al-2', 6000)).toMatchObject({
        state: 'resolved',
        resolvedTs: 6000,
      });
      expect((await store.alerts.listAlerts({ state: 'resolved' })).map((a) => a.id)).toEqual(['al-2']);
      expect(await store.alerts.acknowledgeAlert('nope', 'x')).toBeUndefined();
    });

    it('keeps saved searches', async () => {
      const s = await store.savedSearches.createSavedSearch(
        { name: 'Night cars', query: { labels: 'car' } },
        'alice',
        10,
      );
      expect(await store.savedSearches.listSavedSearches()).toEqual([s]);
      expect(await store.savedSearches.deleteSavedSearch(s.id)).toBe(true);
      expect(await store.savedSearches.deleteSavedSearch(s.id)).toBe(false);
      expect(await store.savedSearches.listSavedSearches()).toEqual([]);
    });

    it('counts the events started in the current minute per camera and label', async () => {
      const now = Date.now();
      const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
      await store.upsertEvents([
        makeEvent({ startTs: minute + 1 }),
        makeEvent({ startTs: minute + 2, label: 'car' }),
        makeEvent({ startTs: minute + 3, cameraId: 'cam-b' }),
        makeEvent({ startTs: minute - 1 }),
      ]);
      const live = await store.liveStats(minute + 10);
      expect(live).toMatchObject({
        minuteTs: minute,
        total: 3,
        perCamera: { 'cam-a': { person: 1, car: 1 }, 'cam-b': { person: 1 } },
      });
    });

    it('keeps incidents: activity merges, a redelivered message never undoes an acknowledgement, filters combine', async () => {
      const t0 = Date.now() - 20 * MINUTE_MS;
      const first = makeIncident({
        id: 'inc-a',
        startTs: t0,
        lastTs: t0 + 5000,
        eventIds: ['e1'],
        objectCount: 1,
      });
      await store.incidents.upsertIncidents([first]);
      const acked = await store.incidents.actOnIncident('inc-a', {
        kind: 'acknowledge',
        by: 'guard-1',
        ts: t0 + 6000,
        note: 'checked the plaza',
      });
      expect(acked).toMatchObject({
        state: 'acknowledged',
        acknowledgedBy: 'guard-1',
        ackNote: 'checked the plaza',
      });
      // More activity arrives (and the first message again): the incident grows, the acknowledgement stays.
      const later = makeIncident({
        id: 'inc-a',
        startTs: t0,
        lastTs: t0 + 60_000,
        endTs: t0 + 60_000,
        eventIds: ['e2', 'e3'],
        objectCount: 2,
        severity: 'critical',
        labels: ['person', 'car'],
        snapshots: [{ eventId: 'e3', label: 'car', ts: t0 + 50_000, score: 0.9, box: [0.1, 0.1, 0.3, 0.3] }],
      });
      await store.incidents.upsertIncidents([later, first]);
      const merged = await store.incidents.getIncident('inc-a');
      expect(merged).toMatchObject({
        state: 'acknowledged',
        acknowledgedBy: 'guard-1',
        lastTs: t0 + 60_000,
        endTs: t0 + 60_000,
        severity: 'critical',
        objectCount: 3,
        labels: ['person', 'car'],
      });
      expect(merged?.eventIds.sort()).toEqual(['e1', 'e2', 'e3']);
      expect(merged?.snapshots.map((x) => x.eventId)).toEqual(['e3', 'e1']);

      // Resolve, then acknowledge again: a resolved incident stays resolved.
      await store.incidents.actOnIncident('inc-a', { kind: 'resolve', by: 'guard-2', ts: t0 + 70_000 });
      const again = await store.incidents.actOnIncident('inc-a', {
        kind: 'acknowledge',
        by: 'x',
        ts: t0 + 80_000,
      });
      expect(again).toMatchObject({ state: 'resolved', resolvedBy: 'guard-2', acknowledgedBy: 'guard-1' });
      expect(
        await store.incidents.actOnIncident('missing', { kind: 'resolve', by: 'x', ts: t0 }),
      ).toBeUndefined();

      await store.incidents.upsertIncidents([
        makeIncident({
          id: 'inc-b',
          cameraId: 'cam-b',
          startTs: t0 + 2 * MINUTE_MS,
          lastTs: t0 + 3 * MINUTE_MS,
        }),
        makeIncident({
          id: 'inc-c',
          startTs: t0 + 10 * MINUTE_MS,
          lastTs: t0 + 11 * MINUTE_MS,
          severity: 'info',
        }),
      ]);
      const ids = async (query: Parameters<typeof store.incidents.listIncidents>[0]) =>
        (await store.incidents.listIncidents(query)).map((x) => x.id);
      expect(await ids({})).toEqual(['inc-c', 'inc-b', 'inc-a']);
      expect(await ids({ states: ['new'] })).toEqual(['inc-c', 'inc-b']);
      expect(await ids({ cameras: ['cam-a'] })).toEqual(['inc-c', 'inc-a']);
      expect(await ids({ severities: ['info', 'critical'] })).toEqual(['inc-c', 'inc-a']);
      expect(await ids({ states: ['new'], cameras: ['cam-a'] })).toEqual(['inc-c']);
      // Active in the window: ended after `from` and started before `to`.
      expect(await ids({ from: t0 + 2.5 * MINUTE_MS, to: t0 + 10 * MINUTE_MS })).toEqual(['inc-b']);
      expect(await ids({ limit: 1 })).toEqual(['inc-c']);
    });

    it('records every notification against its incident, newest escalation level kept', async () => {
      const t0 = Date.now() - MINUTE_MS;
      await store.incidents.upsertIncidents([makeIncident({ id: 'inc-n', startTs: t0, lastTs: t0 })]);
      await store.incidents.recordNotification('inc-n', {
        ts: t0 + 1000,
        level: 0,
        levelName: 'On raise',
        channelId: 'hook',
        channelKind: 'webhook',
        status: 'sent',
        attempts: 1,
      });
      const after = await store.incidents.recordNotification('inc-n', {
        ts: t0 + 61_000,
        level: 1,
        levelName: 'Supervisor on duty',
        channelId: 'mail',
        channelKind: 'email',
        status: 'failed',
        attempts: 3,
        error: 'connection refused',
      });
      expect(after?.escalationLevel).toBe(1);
      const stored = await store.incidents.getIncident('inc-n');
      expect(stored?.notifications.map((n) => [n.channelId, n.status])).toEqual([
        ['hook', 'sent'],
        ['mail', 'failed'],
      ]);
      // Activity arriving afterwards keeps the record.
      await store.incidents.upsertIncidents([
        makeIncident({ id: 'inc-n', startTs: t0, lastTs: t0 + 90_000 }),
      ]);
      expect((await store.incidents.getIncident('inc-n'))?.notifications).toHaveLength(2);
    });
  });
}

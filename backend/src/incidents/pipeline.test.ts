import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempPeople } from '../../../test/fixtures/people.js';
import { SessionAuth } from '../api/auth.js';
import { ApiServer } from '../api/server.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { Topics } from '../contract/bus.js';
import { DetectConfig } from '../contract/config/detect.js';
import type { AlertRuleLike } from '../contract/detect-api.js';
import type { VigilAlert, VigilEvent } from '../contract/events.js';
import type { Incident } from '../contract/incidents.js';
import type { AnalysisFrame } from '../contract/media.js';
import { createDetector } from '../detect/detectors/registry.js';
import type { ObjectDetector } from '../contract/detector.js';
import { DetectionService } from '../detect/service.js';
import { EventWriter } from '../store/event-writer.js';
import { SqliteEventStore } from '../store/sqlite-store.js';
import {
  decodeFrames,
  frameAt,
  VTEST_H264,
  videoFramesAvailable,
} from '../../../test/fixtures/video-frames.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { FeedbackStore } from './feedback.js';
import { incidentRoutes } from './routes.js';
import { AlertSettingsStore } from './site-settings.js';
import { AuditRecorder, logWriter } from '../audit/recorder.js';
import { SqliteAuditLog } from '../audit/sqlite-audit-log.js';

const skip = skipWithout(
  'ffmpeg and vtest-h264.mp4',
  videoFramesAvailable(VTEST_H264),
  'sudo apt-get install ffmpeg',
);

const PERSON_RULE: AlertRuleLike = {
  id: 'person',
  name: 'Person on the plaza',
  labels: ['person'],
  cameraIds: ['plaza'],
  minDurationSec: 1,
  severity: 'warning',
  enabled: true,
};

/**
 * The real pipeline of one site: detection (real model) → bus → the store's writer → SQLite, with the incident
 * routes served by a real API server over the same store and detection settings.
 */
class Site {
  readonly bus = new MemoryBus();
  readonly store: SqliteEventStore;
  readonly auditLog: SqliteAuditLog;
  readonly writer: EventWriter;
  readonly events: VigilEvent[] = [];
  readonly alerts: VigilAlert[] = [];
  readonly incidents = new Map<string, Incident>();
  service!: DetectionService;
  api!: ApiServer;
  readonly auth = new SessionAuth();

  constructor(
    readonly dir: string,
    private readonly detector: ObjectDetector,
    private readonly config: Record<string, unknown>,
  ) {
    this.store = new SqliteEventStore({ file: path.join(dir, 'events.db') });
    this.auditLog = new SqliteAuditLog({ file: path.join(dir, 'audit.db') });
    this.writer = new EventWriter({ bus: this.bus, store: this.store, maxDelayMs: 5 });
  }

  async start(): Promise<void> {
    await this.writer.start();
    await this.bus.subscribe<VigilEvent>(Topics.events, (e) => void this.events.push(e), { group: 'test' });
    await this.bus.subscribe<VigilAlert>(Topics.alerts, (a) => void this.alerts.push(a), { group: 'test' });
    await this.bus.subscribe<Incident>(Topics.incidents, (i) => void this.incidents.set(i.id, i), {
      group: 'test',
    });
    // A new detection service per run over the same data folder: settings (rules, suppressions) persist.
    this.service = new DetectionService({
      config: DetectConfig.parse(this.config),
      bus: this.bus,
      dataDir: this.dir,
      detector: this.detector,
    });
    await this.service.start();
    this.api = new ApiServer({
      host: '127.0.0.1',
      port: 0,
      auth: this.auth,
      people: tempPeople(),
      mode: 'local',
      routes: [
        incidentRoutes({
          store: () => this.store,
          settings: () => this.service.settings,
          alertSettings: new AlertSettingsStore(path.join(this.dir, 'alerts.json')),
          feedback: new FeedbackStore(path.join(this.dir, 'feedback')),
          audit: new AuditRecorder(logWriter(() => this.auditLog)),
        }),
      ],
    });
    await this.api.start();
  }

  async feed(frames: readonly AnalysisFrame[]): Promise<void> {
    for (const f of frames) {
      await this.bus.publish(Topics.frames, f.cameraId, f);
      await this.bus.drain();
      await this.service.idle();
    }
    await this.bus.drain();
  }

  /** Ends the run: open events end, open incidents close, everything is written. */
  async finish(): Promise<void> {
    await this.service.dispose();
    await this.bus.drain();
    await this.writer.flush();
  }

  // JSON of many shapes: the assertions check them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async call(method: string, url: string, body?: unknown): Promise<{ status: number; data: any }> {
    const res = await fetch(`${this.api.url}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${this.auth.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      data: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text,
    };
  }

  async dispose(): Promise<void> {
    await this.api?.dispose();
    await this.writer.dispose();
    await this.bus.dispose();
    await this.store.dispose();
    await this.auditLog.dispose();
  }
}

/** The same picture for `seconds` at `fps`: people standing perfectly still. */
function still(frame: AnalysisFrame, seconds: number, fps: number, t0: number): AnalysisFrame[] {
  return Array.from({ length: seconds * fps }, (_, i) => ({
    ...frame,
    cameraId: 'plaza',
    seq: i,
    ts: t0 + (i * 1000) / fps,
  }));
}

describe.skipIf(skip)('incidents on the demo footage (real ffmpeg, real model, SQLite store)', () => {
  let detector: ObjectDetector;
  const dirs: string[] = [];
  const site = async (config: Record<string, unknown> = {}) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-incidents-'));
    dirs.push(dir);
    const s = new Site(dir, detector, config);
    await s.start();
    return s;
  };

  beforeAll(async () => {
    detector = await createDetector('centernet', { backend: 'auto' });
  });
  afterAll(() => {
    detector?.dispose();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  // The target is at most 5 incidents in 5 minutes where per-object alerts gave ~75. The test runs the whole clip
  // once (79.5 s at 2 fps, to keep its time reasonable); the proportional bound is 5 × 80/300 = 1.3, so at most 2
  // incidents. bench/incidents runs the full 5 minutes.
  it('groups a person rule’s hits on the whole clip into at most 2 incidents, losing no person event', async () => {
    const s = await site();
    try {
      await s.service.settings.upsertRule(PERSON_RULE);
      const frames = await decodeFrames(VTEST_H264, { cameraId: 'plaza', width: 640, fps: 2 });
      await s.feed(frames);
      await s.finish();

      const starts = s.events.filter((e) => e.label === 'person' && e.phase === 'start');
      const incidents = [...s.incidents.values()];
      console.info(
        `demo clip ${frames.length} frames: ${starts.length} person events, ${s.alerts.length} per-object alerts, ` +
          `${incidents.length} incidents`,
      );
      expect(starts.length).toBeGreaterThanOrEqual(10);
      expect(s.alerts.length).toBeGreaterThanOrEqual(10);
      expect(incidents.length).toBeGreaterThanOrEqual(1);
      expect(incidents.length).toBeLessThanOrEqual(2);

      // Every person who raised an alert is an object of an incident, and every incident closed.
      const members = new Set(incidents.flatMap((i) => i.eventIds));
      for (const a of s.alerts) expect(members.has(a.eventId), `alert ${a.id} in an incident`).toBe(true);
      const stored = await s.store.incidents.listIncidents({});
      expect(stored.map((i) => i.id).sort()).toEqual(incidents.map((i) => i.id).sort());
      for (const i of stored) {
        expect(i.endTs).toBeDefined();
        expect(i.severity).toBe('warning');
        expect(i.labels).toEqual(['person']);
        expect(i.snapshots.length).toBeGreaterThanOrEqual(1);
        expect(i.snapshots.length).toBeLessThanOrEqual(6);
        // The strip's pictures are the stored snapshots of the incident's events.
        for (const shot of i.snapshots)
          expect(await s.store.readSnapshot(shot.eventId, 'crop')).toBeDefined();
      }
      expect(stored.reduce((n, i) => n + i.objectCount, 0)).toBe(
        new Set(s.alerts.map((a) => a.eventId)).size,
      );

      // Every person event stays searchable.
      const found = await s.store.search({
        from: 0,
        to: Date.UTC(2100, 0),
        cameras: ['plaza'],
        labels: ['person'],
        zones: [],
        terms: [],
        sort: 'oldest',
        limit: 500,
      });
      expect(found.items.map((e) => e.id).sort()).toEqual(starts.map((e) => e.id).sort());

      // The guard's API: list new incidents of the camera, acknowledge one with a note, filter by state.
      const listed = await s.call('GET', '/api/incidents?state=new&camera=plaza');
      expect(listed.data).toHaveLength(stored.length);
      const first = stored[0] as Incident;
      const acked = await s.call('POST', `/api/incidents/${encodeURIComponent(first.id)}/ack`, {
        note: 'seen on the wall',
      });
      expect(acked.data).toMatchObject({
        state: 'acknowledged',
        acknowledgedBy: 'instance-token',
        ackNote: 'seen on the wall',
      });
      expect((await s.call('GET', '/api/incidents?state=new')).data).toHaveLength(stored.length - 1);
      expect((await s.call('GET', '/api/incidents?state=lost')).data).toMatchObject({
        field: 'state.0',
        message: expect.stringContaining('new, acknowledged or resolved'),
      });
    } finally {
      await s.dispose();
    }
  }, 600_000);

  it('stationary people never raise an incident, and never keep one open', async () => {
    const s = await site({
      // Every frame is analysed (no motion gating), so the still people are seen in each one.
      motion: { enabled: false },
      tracking: { stationaryAfterSec: 3 },
      incidents: { quietGapSec: 5 },
    });
    try {
      // Would fire after 5 s of presence, but the people are stationary after 3 s.
      await s.service.settings.upsertRule({ ...PERSON_RULE, id: 'after-5s', minDurationSec: 5 });
      // Fires at once: opens an incident, which the still people must not keep open.
      await s.service.settings.upsertRule({ ...PERSON_RULE, id: 'at-once', minDurationSec: 0 });
      const t0 = Date.UTC(2026, 0, 15, 12, 0, 0);
      const frames = still(await frameAt(VTEST_H264, 20, 640), 20, 1, t0);
      await s.feed(frames);
      const openAtEnd = s.service ? [...s.incidents.values()].filter((i) => i.endTs === undefined) : [];
      await s.finish();

      const people = new Set(s.events.filter((e) => e.label === 'person').map((e) => e.id));
      expect(people.size).toBeGreaterThanOrEqual(3);
      expect(s.events.some((e) => e.stationary)).toBe(true);
      expect(s.alerts.filter((a) => a.ruleId === 'after-5s')).toEqual([]);
      const incidents = [...s.incidents.values()];
      expect(incidents).toHaveLength(1);
      const inc = incidents[0] as Incident;
      // Activity stopped when they became stationary; the incident closed 5 s later while they still stood there.
      expect(inc.lastTs - inc.startTs).toBeLessThanOrEqual(4000);
      expect(inc.endTs).toBe(inc.lastTs);
      expect(openAtEnd).toEqual([]);
    } finally {
      await s.dispose();
    }
  }, 300_000);

  it('"not a person" suppresses that object from then on, keeps its snapshot in the feedback set, and snoozes silence a camera or rule', async () => {
    const config = {
      motion: { enabled: false },
      tracking: { stationaryAfterSec: 600 },
      incidents: { quietGapSec: 5 },
    };
    const frame = await frameAt(VTEST_H264, 20, 640);
    const t0 = Date.UTC(2026, 0, 15, 12, 0, 0);
    const s = await site(config);
    let marked: { eventId: string; label: string; box: number[] };
    let objectsBefore: number;
    try {
      await s.service.settings.upsertRule({ ...PERSON_RULE, minDurationSec: 0 });
      await s.feed(still(frame, 4, 1, t0));
      await s.finish();
      const [inc] = await s.store.incidents.listIncidents({});
      expect(inc).toBeDefined();
      objectsBefore = inc?.objectCount ?? 0;
      expect(objectsBefore).toBeGreaterThanOrEqual(3);
      marked = inc?.snapshots[0] as typeof marked;

      const fp = await s.call('POST', `/api/incidents/${encodeURIComponent(inc?.id ?? '')}/false-positive`, {
        eventId: marked.eventId,
        expiresInMin: 60,
      });
      expect(fp.status).toBe(200);
      expect(fp.data.incident).toMatchObject({ state: 'resolved', resolveNote: 'not a person: suppressed' });
      expect(fp.data.suppression).toMatchObject({
        cameraId: 'plaza',
        label: 'person',
        eventId: marked.eventId,
      });
      expect(fp.data.suppression.expiresTs - Date.now()).toBeGreaterThan(59 * 60_000);
      // The feedback set holds the marked picture, exportable as a labelled example.
      const exported = await s.call('GET', '/api/feedback/export');
      const lines = String(exported.data)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ label: 'not-person', detected: 'person', box: marked.box });
      expect(Buffer.from(lines[0].frameJpegBase64, 'base64').subarray(0, 2)).toEqual(
        Buffer.from([0xff, 0xd8]),
      );
      expect((await s.call('GET', '/api/suppressions')).data).toHaveLength(1);
    } finally {
      await s.dispose();
    }

    // The same scene again (a new detection service over the same settings): the marked object raises nothing,
    // the others still do, and its event is still recorded.
    const again = new Site(s.dir, detector, config);
    await again.start();
    try {
      await again.feed(still(frame, 4, 1, t0 + 3_600_000));
      await again.finish();
      const incidents = [...again.incidents.values()];
      expect(incidents).toHaveLength(1);
      const inc = incidents[0] as Incident;
      expect(inc.objectCount).toBe(objectsBefore - 1);
      const markedAgain = again.events.find(
        (e) => e.phase === 'start' && JSON.stringify(e.box) === JSON.stringify(marked.box),
      );
      expect(markedAgain, 'the marked object is still detected and recorded').toBeDefined();
      expect(inc.eventIds).not.toContain(markedAgain?.id);
      expect(again.alerts.map((a) => a.eventId)).not.toContain(markedAgain?.id);

      // Snooze the camera for 10 minutes: nothing raises, events are still recorded.
      const snooze = await again.call('POST', '/api/snoozes', {
        kind: 'camera',
        target: 'plaza',
        minutes: 10,
      });
      expect(snooze.status).toBe(201);
      expect((await again.call('GET', '/api/snoozes')).data).toMatchObject([
        { kind: 'camera', target: 'plaza' },
      ]);
      expect(
        (await again.call('POST', '/api/snoozes', { kind: 'rule', target: 'person', minutes: 0 })).data,
      ).toMatchObject({
        field: 'minutes',
        message: 'minutes: at least 1',
      });
    } finally {
      await again.dispose();
    }
    const snoozed = new Site(s.dir, detector, config);
    await snoozed.start();
    try {
      // Snooze times are wall-clock: the frames are stamped now.
      await snoozed.feed(still(frame, 4, 1, Date.now()));
      await snoozed.finish();
      expect(snoozed.events.filter((e) => e.phase === 'start').length).toBeGreaterThanOrEqual(3);
      expect(snoozed.alerts).toEqual([]);
      expect(snoozed.incidents.size).toBe(0);
      // Ending the snooze and snoozing the rule instead: still silent.
      expect((await snoozed.call('DELETE', '/api/snoozes/camera/plaza')).status).toBe(204);
      expect(
        (await snoozed.call('POST', '/api/snoozes', { kind: 'rule', target: 'person', minutes: 5 })).status,
      ).toBe(201);
    } finally {
      await snoozed.dispose();
    }
    const ruleSnoozed = new Site(s.dir, detector, config);
    await ruleSnoozed.start();
    try {
      await ruleSnoozed.feed(still(frame, 3, 1, Date.now()));
      await ruleSnoozed.finish();
      expect(ruleSnoozed.alerts).toEqual([]);
      expect(ruleSnoozed.incidents.size).toBe(0);
    } finally {
      await ruleSnoozed.dispose();
    }
  }, 300_000);
});

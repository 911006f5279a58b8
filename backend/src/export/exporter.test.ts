import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeDuration, realSegments } from '../../../test/fixtures/footage.js';
import type { AuditEntry } from '../contract/audit.js';
import type { ContinuityItem } from '../contract/backup.js';
import { findFfmpeg } from '../platform/binaries.js';
import { EvidenceExporter } from './exporter.js';
import { loadOrCreateSigningKey } from './signing.js';
import type { ExportedEvent, SegmentFile, SegmentSource } from './sources.js';
import { trailProblems, verifyEvidence } from './verify.js';
import { trailDocument, trailExportSpan, type Trail, type TrailDocument } from '../contract/investigation.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'backend/src/roles/cli.ts');
const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
const CASE = { reason: 'review of the gate camera', caseNumber: 'C-7' };

/**
 * `vigil verify` as a user runs it on the installation's machine: its own process, no backend started, the
 * application folder (`home`, holding the signing key) given by VIGIL_HOME.
 */
async function vigilVerify(target: string, home: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', CLI, 'verify', target], {
      cwd: ROOT,
      env: { ...process.env, VIGIL_HOME: home },
    });
    return { code: 0, out: r.stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

/** Who looked at camera "front" before the export (the entries as the audit log holds them). */
const history: AuditEntry[] = [
  {
    seq: 1,
    ts: T0,
    actor: 'guard-1',
    action: 'live-start',
    camera: 'front',
    prevHash: '0'.repeat(64),
    hash: 'a'.repeat(64),
  },
  {
    seq: 2,
    ts: T0 + 1,
    actor: 'guard-1',
    action: 'live-start',
    camera: 'back',
    prevHash: 'a'.repeat(64),
    hash: 'b'.repeat(64),
  },
  {
    seq: 3,
    ts: T0 + 2,
    actor: 'inv-2',
    action: 'playback',
    camera: 'front',
    detail: { from: T0, to: T0 + 60_000 },
    prevHash: 'b'.repeat(64),
    hash: 'c'.repeat(64),
  },
];

describe('signed evidence export and `vigil verify`', () => {
  let home: string;
  let exporter: EvidenceExporter;
  const audit: { cameras: readonly string[]; target: string; actor: string }[] = [];
  const holds: { cameraId: string; from: number; to: number }[] = [];

  beforeAll(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-export-'));
    const segs = realSegments();
    // Camera "front": segments 0-3 back to back, then a 20 s gap (camera down), then segments 4-5.
    const front: SegmentFile[] = segs.slice(0, 6).map((p, i) => {
      const start = T0 + i * 10_000 + (i >= 4 ? 20_000 : 0);
      return { path: p, start, end: start + 10_000 };
    });
    // Camera "back": the first 30 s, back to back.
    const back: SegmentFile[] = segs.slice(0, 3).map((p, i) => ({
      path: p,
      start: T0 + i * 10_000,
      end: T0 + (i + 1) * 10_000,
    }));
    const gap: ContinuityItem = {
      cameraId: 'front',
      start: T0 + 40_000,
      end: T0 + 60_000,
      kind: 'gap',
      cause: 'camera down',
      detail: 'RTSP connection refused',
    };
    // The recording index and event store of the other areas are stood in for by these small in-memory
    // implementations of the exporter's interfaces, over real segment files and real JPEG bytes.
    const segments: SegmentSource = {
      segments: async (cam, from, to) =>
        cam === 'front' ? front.filter((s) => s.end > from && s.start < to) : cam === 'back' ? back : [],
      continuity: async (cam, from, to) => (cam === 'front' && gap.end > from && gap.start < to ? [gap] : []),
    };
    const events: ExportedEvent[] = [
      { id: 'ev-1', cameraId: 'front', ts: T0 + 5_000, label: 'person', score: 0.91 },
      { id: 'ev-2', cameraId: 'front', ts: T0 + 65_000, label: 'person', score: 0.8 },
    ];
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    exporter = new EvidenceExporter({
      exportsDir: path.join(home, 'exports'),
      ffmpegPath: findFfmpeg()?.path ?? 'ffmpeg',
      key: loadOrCreateSigningKey(path.join(home, 'keys')),
      segments,
      events: {
        events: async (cams, from, to) =>
          events.filter((e) => cams.includes(e.cameraId) && e.ts >= from && e.ts < to),
        snapshot: async (id) => (id === 'ev-1' ? jpeg : undefined),
      },
      // The audit log: the exporter records each export and packs the cameras' earlier entries into audit.json.
      audit: {
        record: (e) => void audit.push(e),
        history: async (cams) => history.filter((h) => h.camera !== undefined && cams.includes(h.camera)),
      },
      holds: {
        hold: async (h) => {
          holds.push(h);
          return `hold-${holds.length}`;
        },
      },
      installation: 'test site',
    });
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('keeps the private key owner-only and reuses it', () => {
    const file = path.join(home, 'keys', 'evidence-ed25519.pem');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSigningKey(path.join(home, 'keys')).fingerprint).toBe(
      loadOrCreateSigningKey(path.join(home, 'keys')).fingerprint,
    );
  });

  it('exports a folder of playable clips, snapshots, events and a continuity report; an unaltered export verifies', async () => {
    const r = await exporter.export(
      {
        cameraIds: ['front'],
        from: T0 + 3_000,
        to: T0 + 75_000,
        format: 'folder',
        reason: 'theft at the gate',
        caseNumber: '2026-042',
      },
      'investigator',
    );
    // One clip per continuous run: before and after the gap.
    const clips = r.manifest.files.filter((f) => f.kind === 'clip');
    expect(clips).toHaveLength(2);
    const first = path.join(r.location, clips[0]?.path ?? '');
    expect(probeDuration(first)).toBeGreaterThan(35);
    expect(probeDuration(first)).toBeLessThan(41);
    expect(probeDuration(path.join(r.location, clips[1]?.path ?? ''))).toBeGreaterThan(10);
    expect(fs.readFileSync(path.join(r.location, 'continuity/front.txt'), 'utf8')).toMatch(
      /gap .* camera down/,
    );
    expect(JSON.parse(fs.readFileSync(path.join(r.location, 'events.json'), 'utf8'))).toHaveLength(2);
    expect(fs.existsSync(path.join(r.location, 'snapshots/ev-1.jpg'))).toBe(true);
    expect(r.manifest).toMatchObject({
      exportedBy: 'investigator',
      cameras: ['front'],
      reason: 'theft at the gate',
      caseNumber: '2026-042',
    });
    expect(fs.readFileSync(path.join(r.location, 'continuity/front.txt'), 'utf8')).toContain(
      'Case 2026-042: theft at the gate',
    );
    expect(holds).toContainEqual({
      cameraId: 'front',
      from: T0 + 3_000,
      to: T0 + 75_000,
      reason: `evidence export ${r.id}`,
    });
    expect(audit).toContainEqual(
      expect.objectContaining({ cameras: ['front'], target: r.id, actor: 'investigator' }),
    );
    // Who watched and played this camera's footage before it left travels with it, under the signature.
    const travelled = JSON.parse(
      fs.readFileSync(path.join(r.location, 'audit.json'), 'utf8'),
    ) as AuditEntry[];
    expect(travelled.map((e) => [e.seq, e.actor, e.action])).toEqual([
      [1, 'guard-1', 'live-start'],
      [3, 'inv-2', 'playback'],
    ]);
    expect(r.manifest.files).toContainEqual(expect.objectContaining({ path: 'audit.json', kind: 'audit' }));

    const ok = await vigilVerify(r.location, home);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('VERIFIED');

    // Someone removes a viewer from the travelling history: the manifest's signature no longer covers the file.
    fs.writeFileSync(path.join(r.location, 'audit.json'), JSON.stringify(travelled.slice(1), null, 2));
    const bad = await vigilVerify(r.location, home);
    expect(bad.code, bad.out).toBe(1);
    expect(bad.out).toContain('audit.json');
  });

  it('exports several cameras over one range as one signed package with a continuity report per camera', async () => {
    // "front" recorded with a logged camera-down gap; "side" has no footage and nothing logged about why.
    const r = await exporter.export(
      { ...CASE, cameraIds: ['front', 'side'], from: T0 + 3_000, to: T0 + 75_000, format: 'folder' },
      'investigator',
    );
    expect(r.manifest.cameras).toEqual(['front', 'side']);
    const reports = r.manifest.files.filter((f) => f.kind === 'continuity' && f.cameraId);
    expect(reports.map((f) => f.path).sort()).toEqual(['continuity/front.txt', 'continuity/side.txt']);
    const front = fs.readFileSync(path.join(r.location, 'continuity/front.txt'), 'utf8');
    expect(front).toMatch(/1 stretch\(es\) without footage, 20\.0 s/);
    expect(front).toMatch(/gap .* \(20\.0 s\): camera down \(RTSP connection refused\)/);
    const side = fs.readFileSync(path.join(r.location, 'continuity/side.txt'), 'utf8');
    // The whole range of the silent camera is accounted for, its cause named as unknown rather than left out.
    expect(side).toMatch(/gap .* \(72\.0 s\): no footage \(no cause logged\)/);
    expect(r.warnings).toContain('no footage of camera "side" in the range');
    const ok = await vigilVerify(r.location, home);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('VERIFIED');
  });

  it('one altered byte in a clip of a zip export: `vigil verify` fails and names the clip', async () => {
    const r = await exporter.export(
      { ...CASE, cameraIds: ['front'], from: T0, to: T0 + 30_000, format: 'zip' },
      'investigator',
    );
    expect(r.location.endsWith('.zip')).toBe(true);
    expect((await verifyEvidence(r.location)).intact).toBe(true);
    const clip = r.manifest.files.find((f) => f.kind === 'clip');
    // The clip is stored uncompressed in the zip: flip one byte inside its data.
    const zip = fs.readFileSync(r.location);
    const name = Buffer.from(clip?.path ?? '');
    const at = zip.indexOf(name) + name.length + 5000;
    zip[at] = (zip[at] ?? 0) ^ 0x01;
    fs.writeFileSync(r.location, zip);
    const bad = await vigilVerify(r.location, home);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`ALTERED: ${clip?.path}`);
    expect(bad.out).not.toContain('ALTERED: events.json');
  });

  it('names added and missing files, and a manifest edited after signing', async () => {
    const r = await exporter.export(
      { ...CASE, cameraIds: ['front'], from: T0, to: T0 + 20_000, format: 'folder' },
      'investigator',
    );
    fs.writeFileSync(path.join(r.location, 'planted.mp4'), 'x');
    fs.rmSync(path.join(r.location, 'events.json'));
    let report = await verifyEvidence(r.location);
    expect(report).toMatchObject({
      ok: false,
      signatureValid: true,
      added: ['planted.mp4'],
      missing: ['events.json'],
    });

    const mf = path.join(r.location, 'manifest.json');
    fs.writeFileSync(mf, fs.readFileSync(mf, 'utf8').replace('"investigator"', '"someone else"'));
    report = await verifyEvidence(r.location);
    expect(report.signatureValid).toBe(false);
    expect(report.problems.join()).toMatch(/manifest.json does not match its signature/);
  });

  it('exports a trail: its cameras over its confirmed sightings, trail.json and the plan under the signature', async () => {
    const sighting = (eventId: string, cameraId: string, ts: number, confirmed: boolean) => ({
      eventId,
      cameraId,
      label: 'person',
      ts,
      endTs: ts + 2_000,
      confirmed,
    });
    const trail: Trail = {
      id: 'trail-1',
      name: 'Red jacket',
      caseNumber: 'C-9',
      createdBy: 'inv',
      createdAt: T0,
      updatedBy: 'inv',
      updatedAt: T0,
      sightings: [
        sighting('ev-front-1', 'front', T0 + 8_000, true),
        sighting('ev-back-1', 'back', T0 + 14_000, true),
        // Not confirmed: neither exported nor widening the range.
        sighting('ev-front-2', 'front', T0 + 70_000, false),
      ],
    };
    const span = trailExportSpan(trail, 5);
    expect(span).toEqual({ cameraIds: ['front', 'back'], from: T0 + 3_000, to: T0 + 21_000 });
    const plan = Buffer.from('a plan image');
    const placements = [
      { cameraId: 'front', x: 0.25, y: 0.5, heading: 90 },
      { cameraId: 'back', x: 0.75, y: 0.5 },
    ];
    const document = trailDocument(trail, placements, { path: 'sitemap/plan.png', width: 800, height: 600 });
    const r = await exporter.export(
      { ...CASE, ...span!, caseNumber: 'C-9', format: 'folder', trail: { document, plan } },
      'inv',
    );
    expect(r.manifest).toMatchObject({
      cameras: ['front', 'back'],
      trail: { id: 'trail-1', name: 'Red jacket', sightings: 2 },
    });
    expect(r.manifest.files.filter((f) => f.kind === 'clip').map((f) => f.cameraId)).toEqual([
      'front',
      'back',
    ]);
    expect(r.manifest.files).toContainEqual(expect.objectContaining({ path: 'trail.json', kind: 'trail' }));
    expect(fs.readFileSync(path.join(r.location, 'sitemap/plan.png'))).toEqual(plan);
    const written = JSON.parse(fs.readFileSync(path.join(r.location, 'trail.json'), 'utf8')) as TrailDocument;
    expect(written.sightings).toEqual([
      {
        n: 1,
        eventId: 'ev-front-1',
        cameraId: 'front',
        label: 'person',
        ts: T0 + 8_000,
        endTs: T0 + 10_000,
        position: { x: 0.25, y: 0.5, heading: 90 },
      },
      {
        n: 2,
        eventId: 'ev-back-1',
        cameraId: 'back',
        label: 'person',
        ts: T0 + 14_000,
        endTs: T0 + 16_000,
        position: { x: 0.75, y: 0.5 },
      },
    ]);
    expect(written.plan).toEqual({ path: 'sitemap/plan.png', width: 800, height: 600 });
    expect(audit).toContainEqual(expect.objectContaining({ target: r.id, cameras: ['front', 'back'] }));

    const ok = await vigilVerify(r.location, home);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('VERIFIED');

    // The path is rewritten to put the person elsewhere first: verify fails and names trail.json.
    const edited = {
      ...written,
      sightings: [...written.sightings].reverse().map((s, i) => ({ ...s, n: i + 1 })),
    };
    fs.writeFileSync(path.join(r.location, 'trail.json'), JSON.stringify(edited, null, 2));
    const bad = await vigilVerify(r.location, home);
    expect(bad.code, bad.out).toBe(1);
    expect(bad.out).toContain('ALTERED: trail.json');
  });

  it('a trail.json that does not fit its export is named, sighting by sighting', () => {
    const manifest = {
      cameras: ['front'],
      from: T0,
      to: T0 + 10_000,
      trail: { id: 't1', name: 'x', sightings: 2 },
    };
    const doc = {
      format: 'vigil-trail/1',
      id: 't1',
      sightings: [
        { n: 1, eventId: 'a', cameraId: 'front', ts: T0 + 5_000 },
        { n: 3, eventId: 'b', cameraId: 'gate', ts: T0 + 1_000 },
        { n: 3, eventId: 'c', cameraId: 'front', ts: T0 + 60_000 },
      ],
    };
    const problems = trailProblems(manifest as never, Buffer.from(JSON.stringify(doc)));
    expect(problems).toEqual([
      'trail.json sighting 2 is numbered 3',
      'trail.json sighting 2 is on camera "gate", not exported',
      'trail.json sighting 2 is earlier than the sighting before it',
      'trail.json sighting 3 (c) is outside the exported range',
    ]);
    expect(trailProblems(manifest as never, Buffer.from('{'))).toEqual(['trail.json is not valid JSON']);
  });
});

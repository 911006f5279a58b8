import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempPeople } from '../../../test/fixtures/people.js';
import { SessionAuth } from '../api/auth.js';
import { ApiServer } from '../api/server.js';
import type { AuditPage, AuditVerifyReport } from '../contract/audit.js';
import { loadOrCreateSigningKey } from '../export/signing.js';
import { AuditRecorder, logWriter } from './recorder.js';
import { auditRoutes, csvCell } from './routes.js';
import { SqliteAuditLog } from './sqlite-audit-log.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-audit-routes-'));
const log = new SqliteAuditLog({
  file: path.join(dir, 'audit.db'),
  key: loadOrCreateSigningKey(path.join(dir, 'keys')),
  checkpointIntervalMs: 0,
});
const auth = new SessionAuth();
let team: string[] | undefined;
const server = new ApiServer({
  host: '127.0.0.1',
  port: 0,
  auth,
  people: tempPeople(),
  mode: 'local',
  routes: [auditRoutes({ log, visibleActors: () => team, audit: new AuditRecorder(logWriter(() => log)) })],
});

async function get(url: string) {
  return fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${auth.token}` } });
}

beforeAll(async () => {
  await server.start();
  const recorder = new AuditRecorder(logWriter(() => log));
  await recorder.record('ann', 'live-start', { camera: 'dock' });
  await recorder.record('bob', 'playback', { camera: 'gate', detail: { from: 1, to: 2 } });
  // Values a spreadsheet would run as formulas, and text that needs quoting.
  await recorder.record('=HYPERLINK("http://x")', 'search', { detail: { q: '+1, "quoted"\nline' } });
  await recorder.record('ann', 'export', { camera: 'dock', target: '@SUM(A1)', detail: { reason: '-2' } });
});

afterAll(async () => {
  await server.dispose();
  await log.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/audit', () => {
  it('lists newest first with filters and a total; a bad filter is a 400 naming the field', async () => {
    const all = (await (await get('/api/audit')).json()) as AuditPage;
    expect(all.total).toBe(4);
    expect(all.entries.map((e) => e.action)).toEqual(['export', 'search', 'playback', 'live-start']);
    const ann = (await (await get('/api/audit?user=ann&camera=dock&limit=1')).json()) as AuditPage;
    expect(ann).toMatchObject({ total: 2, entries: [{ action: 'export', camera: 'dock' }] });
    const next = (await (await get(`/api/audit?user=ann&before=${ann.entries[0]?.seq}`)).json()) as AuditPage;
    expect(next.entries.map((e) => e.action)).toEqual(['live-start']);
    expect(((await (await get('/api/audit?action=playback')).json()) as AuditPage).total).toBe(1);
    const bad = await get('/api/audit?action=dance');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'action' });
    expect(await (await get('/api/audit?limit=99999')).json()).toMatchObject({ field: 'limit' });
    expect(await (await get('/api/audit?nope=1')).json()).toMatchObject({ field: 'nope' });
  });

  it('narrows every answer to the actors the route allows (a supervisor’s team)', async () => {
    team = ['bob'];
    try {
      const page = (await (await get('/api/audit?user=ann')).json()) as AuditPage;
      expect(page.total).toBe(0);
      const csv = await (await get('/api/audit/export.csv')).text();
      expect(csv.trim().split('\r\n')).toHaveLength(2);
      expect(csv).toContain('bob');
    } finally {
      team = undefined;
    }
  });

  it('exports CSV with a header, quoting, and formula-safe cells', async () => {
    const res = await get('/api/audit/export.csv');
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="vigil-audit-.*\.csv"/);
    const text = await res.text();
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('seq,time,actor,action,camera,target,detail,hash');
    expect(text).toContain(`,'@SUM(A1),`);
    expect(text).toContain(`"'=HYPERLINK(""http://x"")"`);
    // The search detail is JSON (starts with {), quoted because it holds commas, quotes and a newline.
    expect(text).toContain('"{""q"":""+1, \\""quoted\\""\\nline""}"');
    expect(csvCell('-2')).toBe("'-2");
    // The export itself is recorded.
    expect((await log.list({ limit: 1 })).entries[0]).toMatchObject({
      action: 'export',
      target: 'audit log (CSV)',
    });
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('plain')).toBe('plain');
  });

  it('GET /api/audit/verify reports the chain whole and signed', async () => {
    await log.checkpoint();
    const report = (await (await get('/api/audit/verify')).json()) as AuditVerifyReport;
    expect(report).toMatchObject({
      ok: true,
      entries: 6,
      lastSeq: 6,
      signedThrough: 6,
      signaturesChecked: true,
    });
  });
});

describe('AuditRecorder', () => {
  it('a failed write is logged, refuses the request that needed it, and shows in health until writes work again', async () => {
    let fail = true;
    const recorder = new AuditRecorder({
      append: async (r) => {
        if (fail) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        return log.append(r);
      },
    });
    expect(recorder.health()).toEqual({ status: 'ok' });
    await expect(recorder.record('ann', 'search')).rejects.toThrow(/disk is full/);
    await recorder.recordAfter('ann', 'live-stop', { camera: 'dock' });
    expect(recorder.health()).toMatchObject({
      status: 'degraded',
      detail: expect.stringMatching(
        /^2 audit entries could not be written; last at .*: database or disk is full$/,
      ),
    });
    fail = false;
    await recorder.record('ann', 'search');
    expect(recorder.health().status).toBe('ok');
  });
});

describe('GET /api/audit/export.csv of a long log', () => {
  it('pages through every entry, newest first (not cut at one search page)', async () => {
    const big = new SqliteAuditLog({ file: path.join(dir, 'big.db'), checkpointIntervalMs: 0 });
    const bigServer = new ApiServer({
      host: '127.0.0.1',
      port: 0,
      auth,
      people: tempPeople(),
      mode: 'local',
      routes: [auditRoutes({ log: big })],
    });
    try {
      for (let i = 1; i <= 2_500; i++)
        await big.append({ ts: i, actor: 'ann', action: 'view', target: `ev-${i}` });
      await bigServer.start();
      const r = await bigServer.app.inject({
        method: 'GET',
        url: '/api/audit/export.csv?user=ann',
        headers: { authorization: `Bearer ${auth.token}` },
      });
      const lines = r.body.trim().split('\r\n');
      expect(lines).toHaveLength(2_501);
      expect(lines[1]).toMatch(/^2500,/);
      expect(lines.at(-1)).toMatch(/^1,/);
      expect(r.headers['x-total-count']).toBe('2500');
    } finally {
      await bigServer.dispose();
      await big.dispose();
    }
  });
});

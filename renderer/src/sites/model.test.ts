import { describe, expect, it } from 'vitest';
import type { EventSearchResponse, EventSummary } from '../../../backend/src/contract/events-api';
import type { Incident } from '../../../backend/src/contract/index';
import type { CameraStatus } from '../../../backend/src/contract/video-api';
import {
  answerOf,
  defaultLayout,
  mergeIncidents,
  mergeSearch,
  parseSiteCameraKey,
  siteCameraKey,
  syncLayout,
  wallTiles,
  type SiteAnswer,
} from './model';

const north = { id: 'north', name: 'North depot' };
const south = { id: 'south', name: 'South yard' };

const event = (id: string, cameraId: string, startTs: number): EventSummary => ({
  id,
  cameraId,
  cameraName: cameraId.toUpperCase(),
  label: 'person',
  phase: 'end',
  startTs,
  lastTs: startTs + 1000,
  topScore: 0.9,
  box: [0, 0, 1, 1],
  zones: [],
  hasSnapshot: false,
  retained: false,
  tags: [],
});

const camera = (id: string, state: CameraStatus['state'] = 'streaming'): CameraStatus => ({
  id,
  name: `Cam ${id}`,
  enabled: true,
  state,
  since: 0,
  fpsIn: 0,
  fpsOut: 0,
  bytesIn: 0,
  recording: false,
  tags: [],
  location: '',
});

describe('site camera keys', () => {
  it('tell apart the same camera id on two sites and read back', () => {
    expect(siteCameraKey('north', 'gate')).not.toBe(siteCameraKey('south', 'gate'));
    expect(parseSiteCameraKey('north/gate')).toEqual({ siteId: 'north', cameraId: 'gate' });
    // Only the first slash splits: a camera id may hold one.
    expect(parseSiteCameraKey('north/a/b')).toEqual({ siteId: 'north', cameraId: 'a/b' });
    expect(parseSiteCameraKey('gate')).toBeUndefined();
    expect(parseSiteCameraKey('/gate')).toBeUndefined();
    expect(parseSiteCameraKey('north/')).toBeUndefined();
  });
});

describe('mergeSearch', () => {
  it('interleaves both sites newest first, keeps each site total and names the site that did not answer', () => {
    const answers: SiteAnswer<EventSearchResponse>[] = [
      {
        site: north,
        ok: true,
        data: { items: [event('e1', 'gate', 300), event('e2', 'gate', 100)], total: 40 },
      },
      { site: south, ok: true, data: { items: [event('e1', 'gate', 200)], total: 1 } },
      { site: { id: 'east', name: 'East' }, ok: false, error: 'East did not answer (fetch failed)' },
    ];
    const m = mergeSearch(answers);
    expect(m.items.map((e) => `${e.siteName}:${e.id}`)).toEqual([
      'North depot:e1',
      'South yard:e1',
      'North depot:e2',
    ]);
    // The same event id on two sites stays two rows with distinct keys.
    expect(new Set(m.items.map((e) => e.key)).size).toBe(3);
    expect(m.totals).toEqual([
      { siteId: 'north', siteName: 'North depot', total: 40, returned: 2 },
      { siteId: 'south', siteName: 'South yard', total: 1, returned: 1 },
    ]);
    expect(m.total).toBe(41);
    expect(m.failed).toEqual([
      { siteId: 'east', siteName: 'East', error: 'East did not answer (fetch failed)' },
    ]);
  });

  it('counts what a site returned when it gives no total (a later page), and caps the merged list', () => {
    const many = Array.from({ length: 5 }, (_, i) => event(`n${i}`, 'gate', i));
    const m = mergeSearch([{ site: north, ok: true, data: { items: many } }], 3);
    expect(m.totals[0]?.total).toBe(5);
    expect(m.items.map((e) => e.id)).toEqual(['n4', 'n3', 'n2']);
  });
});

describe('answerOf', () => {
  it('reads data on 2xx, the server message on an error, the reason when the site did not answer', () => {
    expect(answerOf(north, { status: 200, json: [1] })).toEqual({ site: north, ok: true, data: [1] });
    expect(answerOf(north, { status: 401, json: { error: 'unauthorized', message: 'bad token' } })).toEqual({
      site: north,
      ok: false,
      error: 'HTTP 401: bad token',
    });
    expect(answerOf(north, { status: 0, error: 'connection refused' })).toEqual({
      site: north,
      ok: false,
      error: 'connection refused',
    });
  });
});

describe('mergeIncidents', () => {
  const incident = (id: string, over: Partial<Incident> = {}): Incident => ({
    id,
    cameraId: 'gate',
    startTs: 1000,
    lastTs: 1000,
    severity: 'warning',
    ruleIds: ['r'],
    ruleNames: ['Person at the gate'],
    labels: ['person'],
    eventIds: ['e'],
    objectCount: 1,
    snapshots: [],
    state: 'new',
    notifications: [],
    updatedTs: 1000,
    ...over,
  });

  it('puts the incidents of every site on one desk in the order of a site desk, each named with its site', () => {
    const desk = mergeIncidents([
      {
        site: north,
        ok: true,
        data: [
          incident('inc-1', { severity: 'critical', startTs: 100 }),
          incident('inc-2', { state: 'acknowledged', severity: 'critical', acknowledgedBy: 'ana' }),
          incident('inc-3', { state: 'resolved' }),
        ],
      },
      {
        site: south,
        ok: true,
        // The same incident id on another site is another incident.
        data: [incident('inc-1', { startTs: 900 }), incident('inc-4', { escalationLevel: 1, startTs: 50 })],
      },
      { site: { id: 'east', name: 'East' }, ok: false, error: 'HTTP 403: not allowed to handle alerts' },
    ]);
    // New before acknowledged; escalated first; then severity; then newest. Resolved is not on the desk.
    expect(desk.items.map((i) => i.key)).toEqual([
      'south/inc-4',
      'north/inc-1',
      'south/inc-1',
      'north/inc-2',
    ]);
    expect(desk.items.map((i) => i.siteName)).toEqual([
      'South yard',
      'North depot',
      'South yard',
      'North depot',
    ]);
    expect(desk.failed).toEqual([
      { siteId: 'east', siteName: 'East', error: 'HTTP 403: not allowed to handle alerts' },
    ]);
  });
});

describe('wallTiles', () => {
  const cams = new Map([
    ['north', [camera('gate'), camera('dock', 'reconnecting')]],
    ['south', [camera('gate')]],
  ]);
  const online = [
    { ...north, state: 'online' as const },
    { ...south, state: 'online' as const },
  ];

  it('the default layout takes a camera of each site first', () => {
    expect(defaultLayout(cams)).toEqual(['north/gate', 'south/gate', 'north/dock']);
    expect(defaultLayout(cams, 2)).toEqual(['north/gate', 'south/gate']);
  });

  it('a site that drops keeps its tiles in place, marked offline with its last known names', () => {
    const layout = ['north/gate', 'south/gate', 'north/dock'];
    const before = wallTiles(layout, online, cams);
    expect(before.map((t) => [t.key, t.name, t.state])).toEqual([
      ['north/gate', 'Cam gate', 'streaming'],
      ['south/gate', 'Cam gate', 'streaming'],
      ['north/dock', 'Cam dock', 'reconnecting'],
    ]);
    const known = new Map(before.map((t) => [t.key, t.name]));
    const northDown = [
      { ...north, state: 'offline' as const, detail: 'not reachable; retrying in 2 s' },
      online[1]!,
    ];
    const after = wallTiles(layout, northDown, new Map([['south', cams.get('south')!]]), known);
    expect(after.map((t) => [t.key, t.name, t.state])).toEqual([
      ['north/gate', 'Cam gate', 'offline'],
      ['south/gate', 'Cam gate', 'streaming'],
      ['north/dock', 'Cam dock', 'offline'],
    ]);
    expect(after[0]?.reason).toBe('North depot is offline: not reachable; retrying in 2 s');
  });

  it('a camera its site no longer lists says so; an unknown key is skipped', () => {
    const t = wallTiles(['south/gone', 'junk'], online, cams);
    expect(t.map((x) => [x.key, x.state, x.reason])).toEqual([
      ['south/gone', 'missing', 'South yard no longer has this camera'],
    ]);
  });

  it('a site added later joins the wall after the tiles there; a removed site leaves; an offline one stays', () => {
    const northOnly = syncLayout([], ['north'], new Map([['north', cams.get('north')!]]));
    expect(northOnly).toEqual(['north/gate', 'north/dock']);
    const both = syncLayout(northOnly, ['north', 'south'], cams);
    expect(both).toEqual(['north/gate', 'north/dock', 'south/gate']);
    // South is offline: no cameras from it this round, its tile stays.
    expect(syncLayout(both, ['north', 'south'], new Map([['north', cams.get('north')!]]))).toEqual(both);
    expect(syncLayout(both, ['south'], cams)).toEqual(['south/gate']);
    // A full wall takes no more tiles (and loses none).
    expect(syncLayout(northOnly, ['north', 'south'], cams, 2)).toEqual(['north/gate', 'north/dock']);
  });
});

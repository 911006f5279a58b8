import crypto from 'node:crypto';
import type { LiveCountedEvent } from '../contract/cache.js';
import type { LiveStatsResponse } from '../contract/events-api.js';
import { HOUR_MS, MINUTE_MS, type EventQuery } from '../contract/store.js';

/** How long live counters of a minute are kept, in seconds. */
export const LIVE_TTL_SECONDS = 2 * 3600;
const SEP = '\u001f';

/** Generation scopes an answer depends on: each camera of the query, or "all" for a query over every camera. */
export function generationScopes(q: EventQuery): string[] {
  return q.cameras.length ? q.cameras.map((c) => `cam:${c}`) : ['all'];
}

/** Scopes a write to these cameras makes stale. */
export function invalidatedScopes(cameraIds: Iterable<string>): string[] {
  return ['all', ...[...new Set(cameraIds)].map((c) => `cam:${c}`)];
}

/** Key of an answer: the query, and the generations (and epoch) it was computed under. */
export function answerKey(kind: string, generations: unknown[], q: EventQuery): string {
  const hash = crypto
    .createHash('sha1')
    .update(JSON.stringify([generations, q]))
    .digest('base64url');
  return `${kind}:${hash}`;
}

/** The minute and counter field of each event the live counters count (started at most an hour before `now`). */
export function liveIncrements(
  events: readonly LiveCountedEvent[],
  now: number,
): Array<{ minuteTs: number; field: string }> {
  const recent = now - HOUR_MS;
  return events
    .filter((e) => e.startTs >= recent)
    .map((e) => ({
      minuteTs: Math.floor(e.startTs / MINUTE_MS) * MINUTE_MS,
      field: e.cameraId + SEP + e.label,
    }));
}

/** Counter fields and counts of a store's live stats, to rebuild a minute's counters from. */
export function liveFields(live: LiveStatsResponse): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [cam, labels] of Object.entries(live.perCamera))
    for (const [label, n] of Object.entries(labels)) out.push([cam + SEP + label, n]);
  return out;
}

/** Live stats of a minute from its counter fields. */
export function liveStatsFrom(minuteTs: number, fields: Iterable<[string, number]>): LiveStatsResponse {
  const perCamera: Record<string, Record<string, number>> = {};
  let total = 0;
  for (const [field, n] of fields) {
    const [cam = '', label = ''] = field.split(SEP);
    (perCamera[cam] ??= {})[label] = n;
    total += n;
  }
  return { minuteTs, total, perCamera, source: 'cache' };
}

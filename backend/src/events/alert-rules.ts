import type { AlertRule, AlertRuleLike, AlertSchedule } from '../contract/detect-api.js';
import { normaliseAlertRule } from '../contract/detect-api.js';
import type { VigilAlert } from '../contract/events.js';
import type { Snooze, Suppression } from '../contract/incidents.js';
import type { Box } from '../contract/media.js';
import { boxCentre } from '../detect/geometry.js';
import type { Track } from '../detect/tracker.js';

/** "HH:MM" → minutes since midnight. */
function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h as number) * 60 + (m as number);
}

/** Is the schedule active at `ts` (local time of this machine)? A window with `to` before `from` wraps midnight. */
export function scheduleActive(schedule: AlertSchedule | undefined, ts: number): boolean {
  if (!schedule) return true;
  const d = new Date(ts);
  const now = d.getHours() * 60 + d.getMinutes();
  const from = minutes(schedule.from);
  const to = minutes(schedule.to);
  let inWindow: boolean;
  let day = d.getDay();
  if (from === to) inWindow = true;
  else if (from < to) inWindow = now >= from && now < to;
  else {
    inWindow = now >= from || now < to;
    // After midnight, the window belongs to the day it started on (Friday 22:00–06:00 covers Saturday 03:00).
    if (now < to) day = (day + 6) % 7;
  }
  return inWindow && (!schedule.days || schedule.days.length === 0 || schedule.days.includes(day));
}

/** What a rule is checked against besides the track itself. */
export interface RuleContext {
  /** The camera's tracks at this frame (for minCount). */
  tracks: readonly Track[];
  snoozes: readonly Snooze[];
  suppressions: readonly Suppression[];
}

const NO_CONTEXT: RuleContext = { tracks: [], snoozes: [], suppressions: [] };

/** Whether the box's centre lies in the region. */
function centreIn(box: Box, region: Box): boolean {
  const [x, y] = boxCentre(box);
  return x >= region[0] && x <= region[2] && y >= region[1] && y <= region[3];
}

/** The suppression that silences this object now, if any (same camera and label, centre in the region, unexpired). */
export function suppressionFor(
  track: Pick<Track, 'cameraId' | 'label' | 'box'>,
  suppressions: readonly Suppression[],
  ts: number,
): Suppression | undefined {
  return suppressions.find(
    (s) =>
      s.cameraId === track.cameraId &&
      s.label === track.label &&
      (s.expiresTs === undefined || s.expiresTs > ts) &&
      centreIn(track.box, s.region),
  );
}

/** Whether a camera or rule is snoozed at `ts`. */
export function snoozed(
  snoozes: readonly Snooze[],
  kind: Snooze['kind'],
  target: string,
  ts: number,
): boolean {
  return snoozes.some((s) => s.kind === kind && s.target === target && s.untilTs > ts);
}

/**
 * Evaluates alert rules against tracked objects. A rule fires at most once per (rule, event): a person standing in
 * the zone for a minute raises one alert, not one per frame. Stationary objects (parked cars), suppressed known
 * false positives, and snoozed cameras and rules never fire.
 */
export class AlertRuleEngine {
  /** Alerts already raised, by alert id. Bounded: ids of ended events are dropped by `forget`. */
  readonly #fired = new Set<string>();
  /** When each (rule, track) condition started to hold. */
  readonly #since = new Map<string, number>();
  #rules: AlertRule[] = [];

  constructor(rules: AlertRuleLike[] = []) {
    this.setRules(rules);
  }

  setRules(rules: AlertRuleLike[]): void {
    this.#rules = rules.map(normaliseAlertRule);
  }

  rule(id: string): AlertRule | undefined {
    return this.#rules.find((r) => r.id === id);
  }

  /** Whether the object counts for the rule now, apart from how long it has been there. */
  #objectMatches(rule: AlertRule, track: Track, ts: number, ctx: RuleContext): boolean {
    return (
      rule.labels.includes(track.label) &&
      (rule.cameraIds.length === 0 || rule.cameraIds.includes(track.cameraId)) &&
      track.confirmed &&
      !track.stationary &&
      (!rule.zone || track.zonesNow.includes(rule.zone)) &&
      !suppressionFor(track, ctx.suppressions, ts)
    );
  }

  /** Checks one confirmed track at time `ts`; returns the alerts it raises now. */
  evaluate(track: Track, ts: number, ctx: RuleContext = NO_CONTEXT): VigilAlert[] {
    const out: VigilAlert[] = [];
    for (const rule of this.#rules) {
      if (!rule.enabled || !rule.labels.includes(track.label)) continue;
      if (rule.cameraIds.length && !rule.cameraIds.includes(track.cameraId)) continue;
      const alertId = `${rule.id}:${track.id}`;
      if (this.#fired.has(alertId)) continue;
      const key = alertId;
      const holds =
        this.#objectMatches(rule, track, ts, ctx) &&
        scheduleActive(rule.schedule, ts) &&
        !snoozed(ctx.snoozes, 'camera', track.cameraId, ts) &&
        !snoozed(ctx.snoozes, 'rule', rule.id, ts);
      if (!holds) {
        this.#since.delete(key);
        continue;
      }
      // The condition started when the object entered the zone (or appeared), not when we first checked.
      const started =
        this.#since.get(key) ?? (rule.zone ? (track.zoneSince.get(rule.zone) ?? ts) : track.firstTs);
      this.#since.set(key, started);
      if (ts - started < rule.minDurationSec * 1000) continue;
      if (
        rule.zone &&
        rule.dwellSec > 0 &&
        ts - (track.zoneSince.get(rule.zone) ?? ts) < rule.dwellSec * 1000
      )
        continue;
      if (rule.minCount > 1) {
        const count = ctx.tracks.filter((t) => this.#objectMatches(rule, t, ts, ctx)).length;
        if (count < rule.minCount) continue;
      }
      this.#fired.add(alertId);
      this.#since.delete(key);
      out.push({
        id: alertId,
        ruleId: rule.id,
        ruleName: rule.name,
        eventId: track.id,
        cameraId: track.cameraId,
        label: track.label,
        ...(rule.zone ? { zone: rule.zone } : {}),
        severity: rule.severity,
        state: 'new',
        raisedTs: ts,
      });
    }
    return out;
  }

  /** Drops the state kept for an ended track. */
  forget(trackId: string): void {
    for (const id of [...this.#fired]) if (id.endsWith(`:${trackId}`)) this.#fired.delete(id);
    for (const id of [...this.#since.keys()]) if (id.endsWith(`:${trackId}`)) this.#since.delete(id);
  }
}

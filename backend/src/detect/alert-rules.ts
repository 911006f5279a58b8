import type { AlertRule, AlertSchedule } from '../contract/detect-api.js';
import type { VigilAlert } from '../contract/events.js';
import type { Track } from './tracker.js';

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

/**
 * Evaluates alert rules against tracked objects. A rule fires at most once per (rule, event): a person standing in
 * the zone for a minute raises one alert, not one per frame. Stationary objects (parked cars) never fire.
 */
export class AlertRuleEngine {
  /** Alerts already raised, by alert id. Bounded: ids of ended events are dropped by `forget`. */
  readonly #fired = new Set<string>();
  /** When each (rule, track) condition started to hold. */
  readonly #since = new Map<string, number>();

  constructor(private rules: AlertRule[] = []) {}

  setRules(rules: AlertRule[]): void {
    this.rules = rules;
  }

  /** Checks one confirmed track at time `ts`; returns the alerts it raises now. */
  evaluate(track: Track, ts: number): VigilAlert[] {
    const out: VigilAlert[] = [];
    for (const rule of this.rules) {
      if (!rule.enabled || rule.label !== track.label) continue;
      if (rule.cameraId && rule.cameraId !== track.cameraId) continue;
      const alertId = `${rule.id}:${track.id}`;
      if (this.#fired.has(alertId)) continue;
      const key = alertId;
      const holds =
        !track.stationary &&
        track.confirmed &&
        (!rule.zone || track.zonesNow.includes(rule.zone)) &&
        scheduleActive(rule.schedule, ts);
      if (!holds) {
        this.#since.delete(key);
        continue;
      }
      // The condition started when the object entered the zone (or appeared), not when we first checked.
      const started =
        this.#since.get(key) ?? (rule.zone ? (track.zoneSince.get(rule.zone) ?? ts) : track.firstTs);
      this.#since.set(key, started);
      if (ts - started < rule.minDurationSec * 1000) continue;
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

import { createHash } from 'node:crypto';
import type { AlertRule } from '../contract/detect-api.js';
import type { VigilAlert } from '../contract/events.js';
import { bestSnapshots, maxSeverity, MAX_INCIDENT_EVENTS, type Incident } from '../contract/incidents.js';
import type { Box } from '../contract/media.js';

export interface IncidentGrouperOptions {
  /** An incident closes when nothing happened in it for this long. */
  quietGapSec: number;
  /** Snapshots kept in an incident's strip. */
  maxSnapshots: number;
}

/** Best sighting of an object, for the incident's strip. */
export interface ShotInfo {
  ts: number;
  score: number;
  box: Box;
}

/** An object (track) as the grouper sees it. */
export interface GroupedObject {
  id: string;
  cameraId: string;
  label: string;
  stationary: boolean;
}

interface OpenIncident {
  incident: Incident;
  /** Activity changed since last published. */
  dirty: boolean;
}

/** The grouping key: one open incident per camera, and per zone when a rule names one. */
function keyOf(cameraId: string, zone: string | undefined): string {
  return `${cameraId}\u0000${zone ?? ''}`;
}

/** Deterministic incident id: replaying the same footage gives the same incidents. */
export function incidentId(cameraId: string, zone: string | undefined, startTs: number): string {
  const z = zone ? `-${createHash('sha1').update(zone).digest('hex').slice(0, 8)}` : '';
  return `inc-${cameraId}-${startTs}${z}`;
}

/**
 * Groups rule hits into incidents, per camera (and zone): a hit joins the open incident of its key, or opens one;
 * a member object seen moving keeps it open; it closes after `quietGapSec` without either. Stationary objects
 * neither open nor extend an incident. After an incident closes, each of its rules with a cooldown opens no new
 * incident on that key for the cooldown. Pure: the caller publishes what it returns.
 */
export class IncidentGrouper {
  readonly #open = new Map<string, OpenIncident>();
  /** Rule + key → time until which the rule opens no new incident. */
  readonly #cooldownUntil = new Map<string, number>();
  /** Object id → keys of the open incidents it belongs to. */
  readonly #members = new Map<string, Set<string>>();

  constructor(private readonly options: IncidentGrouperOptions) {}

  /** Open incidents (for tests and health). */
  get open(): Incident[] {
    return [...this.#open.values()].map((o) => o.incident);
  }

  /**
   * A rule hit. Returns the incident to publish now (opened, or changed: a new object, rule or severity), or
   * undefined when the hit changes nothing or the rule is cooling down.
   */
  hit(
    alert: VigilAlert,
    rule: AlertRule,
    object: GroupedObject,
    shot: ShotInfo | undefined,
  ): Incident | undefined {
    if (object.stationary) return undefined;
    const key = keyOf(alert.cameraId, rule.zone);
    const ts = alert.raisedTs;
    let open = this.#open.get(key);
    if (!open) {
      if ((this.#cooldownUntil.get(`${rule.id}\u0000${key}`) ?? -Infinity) > ts) return undefined;
      open = {
        incident: {
          id: incidentId(alert.cameraId, rule.zone, ts),
          cameraId: alert.cameraId,
          ...(rule.zone ? { zone: rule.zone } : {}),
          startTs: ts,
          lastTs: ts,
          severity: rule.severity,
          ruleIds: [],
          ruleNames: [],
          labels: [],
          eventIds: [],
          objectCount: 0,
          snapshots: [],
          state: 'new',
          notifications: [],
          updatedTs: ts,
        },
        dirty: true,
      };
      this.#open.set(key, open);
    }
    const i = open.incident;
    const before = `${i.eventIds.length}|${i.ruleIds.length}|${i.labels.length}|${i.severity}|${i.objectCount}`;
    i.lastTs = Math.max(i.lastTs, ts);
    i.updatedTs = Math.max(i.updatedTs, ts);
    i.severity = maxSeverity(i.severity, rule.severity);
    if (!i.ruleIds.includes(rule.id)) {
      i.ruleIds.push(rule.id);
      i.ruleNames.push(rule.name);
    }
    if (!i.labels.includes(object.label)) i.labels.push(object.label);
    if (!i.eventIds.includes(object.id)) {
      i.objectCount++;
      if (i.eventIds.length < MAX_INCIDENT_EVENTS) i.eventIds.push(object.id);
    }
    let members = this.#members.get(object.id);
    if (!members) this.#members.set(object.id, (members = new Set()));
    members.add(key);
    if (shot) this.#addShot(i, object, shot);
    open.dirty = true;
    const after = `${i.eventIds.length}|${i.ruleIds.length}|${i.labels.length}|${i.severity}|${i.objectCount}`;
    return before !== after || i.objectCount === 1 ? structuredClone(i) : undefined;
  }

  /** A sighting of an object: a moving member keeps its incidents open; a better shot joins the strip. */
  seen(object: GroupedObject, ts: number, shot: ShotInfo | undefined): void {
    const keys = this.#members.get(object.id);
    if (!keys) return;
    for (const key of keys) {
      const open = this.#open.get(key);
      if (!open) continue;
      if (!object.stationary && ts > open.incident.lastTs) {
        open.incident.lastTs = ts;
        open.incident.updatedTs = Math.max(open.incident.updatedTs, ts);
        open.dirty = true;
      }
      if (shot && this.#addShot(open.incident, object, shot)) open.dirty = true;
    }
  }

  #addShot(i: Incident, object: GroupedObject, shot: ShotInfo): boolean {
    const before = i.snapshots.find((s) => s.eventId === object.id)?.score;
    if (before !== undefined && before >= shot.score) return false;
    i.snapshots = bestSnapshots(
      i.snapshots,
      [{ eventId: object.id, label: object.label, ts: shot.ts, score: shot.score, box: shot.box }],
      this.options.maxSnapshots,
    );
    return true;
  }

  /** The object ended: it no longer keeps anything open. */
  forget(objectId: string): void {
    this.#members.delete(objectId);
  }

  /**
   * Time moved on for a camera: returns the incidents that closed (quiet for the gap; endTs set) and those whose
   * activity changed since they were last published (the caller publishes them at its own pace).
   */
  tick(
    cameraId: string,
    ts: number,
    rules: (id: string) => AlertRule | undefined,
  ): { closed: Incident[]; changed: Incident[] } {
    const closed: Incident[] = [];
    const changed: Incident[] = [];
    for (const [key, open] of this.#open) {
      const i = open.incident;
      if (i.cameraId !== cameraId) continue;
      if (ts - i.lastTs > this.options.quietGapSec * 1000) {
        closed.push(this.#close(key, open, i.lastTs, rules));
      } else if (open.dirty) changed.push(structuredClone(i));
    }
    return { closed, changed };
  }

  /** Marks an incident's current state as published. */
  published(id: string): void {
    for (const open of this.#open.values()) if (open.incident.id === id) open.dirty = false;
  }

  /** Closes every open incident (camera stopped, shutdown) at its last activity. */
  closeAll(rules: (id: string) => AlertRule | undefined): Incident[] {
    return [...this.#open].map(([key, open]) => this.#close(key, open, open.incident.lastTs, rules));
  }

  #close(
    key: string,
    open: OpenIncident,
    endTs: number,
    rules: (id: string) => AlertRule | undefined,
  ): Incident {
    this.#open.delete(key);
    const i = open.incident;
    i.endTs = endTs;
    i.updatedTs = Math.max(i.updatedTs, endTs);
    for (const ruleId of i.ruleIds) {
      const cooldown = rules(ruleId)?.cooldownSec ?? 0;
      if (cooldown > 0) this.#cooldownUntil.set(`${ruleId}\u0000${key}`, endTs + cooldown * 1000);
    }
    for (const [obj, keys] of this.#members) {
      keys.delete(key);
      if (!keys.size) this.#members.delete(obj);
    }
    return structuredClone(i);
  }
}

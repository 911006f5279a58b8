import type Database from 'better-sqlite3';
import { DAY_MS, HOUR_MS } from '../contract/store.js';

const UNITS = [
  ['hour', HOUR_MS],
  ['day', DAY_MS],
] as const;

/** Separates the parts of a counter key; cannot occur in a camera id, label or zone a client sends. */
const SEP = '\u0000';

/**
 * Changes to the hourly and daily event counters made by one write transaction, summed per counter row and written
 * at its end: a batch of events from one hour touches a few dozen counter rows, so each is written once instead
 * of once per event and zone.
 */
export class CounterDeltas {
  readonly #events = new Map<string, number>();
  readonly #zones = new Map<string, number>();

  /** Counts (`n` = 1) or uncounts (-1) an event, and once in each of `zones`, at the hour of `startTs`. */
  event(startTs: number, cameraId: string, label: string, zones: readonly string[], n: 1 | -1): void {
    const key = this.key(startTs, cameraId, label);
    this.#events.set(key, (this.#events.get(key) ?? 0) + n);
    for (const z of zones) this.zone(key, z, n);
  }

  /** Counts an event once more in a zone it entered; `eventKey` as returned by `key`. */
  zone(eventKey: string, zone: string, n: 1 | -1): void {
    const key = `${eventKey}${SEP}${zone}`;
    this.#zones.set(key, (this.#zones.get(key) ?? 0) + n);
  }

  /** The key of an event's counter row at the hour of `startTs`. */
  key(startTs: number, cameraId: string, label: string): string {
    return `${Math.floor(startTs / HOUR_MS) * HOUR_MS}${SEP}${cameraId}${SEP}${label}`;
  }

  /** Adds the summed changes to the counter tables and forgets them. */
  write(statements: CounterStatements): void {
    for (const [unit, ms] of UNITS) {
      for (const [deltas, kind] of [
        [this.#events, 'events'],
        [this.#zones, 'zones'],
      ] as const) {
        // The daily rows sum the hourly changes of their day.
        let rows = deltas;
        if (unit !== 'hour') {
          rows = new Map<string, number>();
          for (const [key, n] of deltas) {
            const cut = key.indexOf(SEP);
            const day = `${Math.floor(Number(key.slice(0, cut)) / ms) * ms}${key.slice(cut)}`;
            rows.set(day, (rows.get(day) ?? 0) + n);
          }
        }
        const values: unknown[] = [];
        let count = 0;
        for (const [key, n] of rows) {
          if (n === 0) continue;
          values.push(...key.split(SEP), n);
          if (++count === CHUNK) {
            statements.run(unit, kind, count, values);
            values.length = 0;
            count = 0;
          }
        }
        if (count) statements.run(unit, kind, count, values);
      }
    }
    this.#events.clear();
    this.#zones.clear();
  }
}

/** Most counter rows added by one statement. */
const CHUNK = 64;

/** Statements that add to counter rows, several rows each, prepared once per connection and row count. */
export class CounterStatements {
  readonly #cache = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** Adds `values` (the key columns then n, of `rows` rows) to the counters of one unit and kind. */
  run(unit: 'hour' | 'day', kind: 'events' | 'zones', rows: number, values: unknown[]): void {
    const cacheKey = `${unit}:${kind}:${rows}`;
    let stmt = this.#cache.get(cacheKey);
    if (!stmt) {
      const table = kind === 'events' ? `event_${unit}_counts` : `event_zone_${unit}_counts`;
      const key = kind === 'events' ? `${unit}, camera_id, label` : `${unit}, camera_id, label, zone`;
      const row = kind === 'events' ? '(?, ?, ?, ?)' : '(?, ?, ?, ?, ?)';
      stmt = this.db.prepare(
        `INSERT INTO ${table} (${key}, n) VALUES ${Array<string>(rows).fill(row).join(', ')}
         ON CONFLICT (${key}) DO UPDATE SET n = n + excluded.n`,
      );
      this.#cache.set(cacheKey, stmt);
    }
    stmt.run(values);
  }
}

/**
 * Counts every event again, replacing the hourly and daily counters. For rows written into `events` by something
 * other than the store (a restore merging a backup): only the store's own writes keep the counters.
 */
export function recountEvents(db: Database.Database): void {
  db.exec(`
    DELETE FROM event_hour_counts;
    DELETE FROM event_zone_hour_counts;
    DELETE FROM event_day_counts;
    DELETE FROM event_zone_day_counts;
    INSERT INTO event_hour_counts (hour, camera_id, label, n)
      SELECT (start_ts / ${HOUR_MS}) * ${HOUR_MS} AS b, camera_id, label, count(*) FROM events
      GROUP BY b, camera_id, label;
    INSERT INTO event_zone_hour_counts (hour, camera_id, label, zone, n)
      SELECT (e.start_ts / ${HOUR_MS}) * ${HOUR_MS} AS b, e.camera_id, e.label, z.zone, count(*)
      FROM event_zones z JOIN events e ON e.rid = z.event_rid GROUP BY b, e.camera_id, e.label, z.zone;
    INSERT INTO event_day_counts (day, camera_id, label, n)
      SELECT (hour / ${DAY_MS}) * ${DAY_MS} AS d, camera_id, label, sum(n) FROM event_hour_counts
      GROUP BY d, camera_id, label;
    INSERT INTO event_zone_day_counts (day, camera_id, label, zone, n)
      SELECT (hour / ${DAY_MS}) * ${DAY_MS} AS d, camera_id, label, zone, sum(n) FROM event_zone_hour_counts
      GROUP BY d, camera_id, label, zone;
  `);
}

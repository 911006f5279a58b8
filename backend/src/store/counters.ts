import type Database from 'better-sqlite3';
import { DAY_MS, HOUR_MS } from '../contract/store.js';

const UNITS = [
  ['hour', HOUR_MS],
  ['day', DAY_MS],
] as const;

/** Separates the parts of a counter key; cannot occur in a camera id, label or zone a client sends. */
const SEP = '\u0000';

/** One counter row's change. */
interface Delta {
  cameraId: string;
  label: string;
  zone: string | undefined;
  n: number;
}

/** Changes by time bucket (start of the hour or day), then by camera, label and zone. */
type Deltas = Map<number, Map<string, Delta>>;

function add(
  deltas: Deltas,
  at: number,
  cameraId: string,
  label: string,
  zone: string | undefined,
  n: number,
) {
  let bucket = deltas.get(at);
  if (!bucket) deltas.set(at, (bucket = new Map()));
  const key = zone === undefined ? `${cameraId}${SEP}${label}` : `${cameraId}${SEP}${label}${SEP}${zone}`;
  const d = bucket.get(key);
  if (d) d.n += n;
  else bucket.set(key, { cameraId, label, zone, n });
}

/**
 * Changes to the hourly and daily event counters made by one write transaction, summed per counter row and written
 * at its end: a batch of events from one hour touches a few dozen counter rows, so each is written once instead
 * of once per event and zone.
 */
export class CounterDeltas {
  readonly #events: Deltas = new Map();
  readonly #zones: Deltas = new Map();

  /** Counts (`n` = 1) or uncounts (-1) an event, and once in each of `zones`, at the hour of `startTs`. */
  event(startTs: number, cameraId: string, label: string, zones: readonly string[], n: 1 | -1): void {
    const at = Math.floor(startTs / HOUR_MS) * HOUR_MS;
    add(this.#events, at, cameraId, label, undefined, n);
    for (const z of zones) add(this.#zones, at, cameraId, label, z, n);
  }

  /** Counts an event once more in a zone it entered. */
  zone(startTs: number, cameraId: string, label: string, zone: string): void {
    add(this.#zones, Math.floor(startTs / HOUR_MS) * HOUR_MS, cameraId, label, zone, 1);
  }

  /** Adds the summed changes to the counter tables and forgets them. */
  write(statements: CounterStatements): void {
    for (const [unit, ms] of UNITS) {
      for (const [hourly, kind] of [
        [this.#events, 'events'],
        [this.#zones, 'zones'],
      ] as const) {
        // The daily rows sum the hourly changes of their day.
        let deltas = hourly;
        if (unit !== 'hour') {
          deltas = new Map();
          for (const [at, bucket] of hourly)
            for (const d of bucket.values())
              add(deltas, Math.floor(at / ms) * ms, d.cameraId, d.label, d.zone, d.n);
        }
        const values: unknown[] = [];
        let count = 0;
        for (const [at, bucket] of deltas)
          for (const d of bucket.values()) {
            if (d.n === 0) continue;
            if (d.zone === undefined) values.push(at, d.cameraId, d.label, d.n);
            else values.push(at, d.cameraId, d.label, d.zone, d.n);
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

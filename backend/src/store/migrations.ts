import type Database from 'better-sqlite3';

/**
 * Versioned schema of the event database. Each step moves the database from version (index) to (index + 1) in
 * one transaction; `PRAGMA user_version` records where a database stands. Append steps, never edit old ones.
 */
export const MIGRATIONS: ReadonlyArray<(db: Database.Database) => void> = [
  // 1: events, their zones, alerts.
  (db) =>
    db.exec(`
      CREATE TABLE events (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        camera_id TEXT NOT NULL,
        camera_name TEXT NOT NULL,
        label TEXT NOT NULL,
        phase TEXT NOT NULL,
        start_ts INTEGER NOT NULL,
        last_ts INTEGER NOT NULL,
        end_ts INTEGER,
        top_score REAL NOT NULL,
        box TEXT NOT NULL,
        zones TEXT NOT NULL,
        path TEXT NOT NULL,
        stationary INTEGER NOT NULL DEFAULT 0,
        snapshot_ts INTEGER,
        snapshot_score REAL,
        has_crop INTEGER NOT NULL DEFAULT 0,
        has_frame INTEGER NOT NULL DEFAULT 0,
        updated_ts INTEGER NOT NULL
      );
      CREATE INDEX events_start ON events (start_ts, id);
      CREATE INDEX events_camera_start ON events (camera_id, start_ts);
      CREATE INDEX events_label_start ON events (label, start_ts);
      CREATE TABLE event_zones (
        zone TEXT NOT NULL,
        event_rid INTEGER NOT NULL REFERENCES events (rid),
        PRIMARY KEY (zone, event_rid)
      ) WITHOUT ROWID;
      CREATE INDEX event_zones_event ON event_zones (event_rid);
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        raised_ts INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX alerts_raised ON alerts (raised_ts);
      CREATE INDEX alerts_state_raised ON alerts (state, raised_ts);
    `),
  // 2: investigator annotations, free-text index (filled from existing events), saved searches, audit log.
  (db) => {
    db.exec(`
      ALTER TABLE events ADD COLUMN retained INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE events ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE events ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';
      CREATE INDEX events_retained_start ON events (start_ts) WHERE retained = 1;
      CREATE INDEX events_snapshot_start ON events (start_ts) WHERE has_crop = 1 OR has_frame = 1;
      -- Contentless (the text is rebuilt from the row when needed) and without positions (only word and prefix
      -- matches are ever asked): a small index that is cheap to write.
      CREATE VIRTUAL TABLE events_fts USING fts5 (
        body, content = '', contentless_delete = 1, detail = none, tokenize = 'unicode61 remove_diacritics 2'
      );
      CREATE TABLE saved_searches (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        query TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_ts INTEGER NOT NULL
      );
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT
      );
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    `);
    db.exec(`
      INSERT INTO events_fts (rowid, body)
      SELECT rid, label || ' ' || camera_id || ' ' || camera_name || ' ' ||
        (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(events.zones))
      FROM events;
    `);
  },
  // 3: covering indices. Time-ordered listing (keyset on start, id), facets and histograms, and per-camera
  // searches count and filter by label and score without reading event rows. Label alone is rarely selective
  // enough to deserve its own index.
  (db) =>
    db.exec(`
      DROP INDEX events_start;
      DROP INDEX events_camera_start;
      DROP INDEX events_label_start;
      CREATE INDEX events_start_cover ON events (start_ts, id, label, camera_id, top_score);
      CREATE INDEX events_camera_cover ON events (camera_id, start_ts, id, label, top_score);
    `),
  // 4: counts per hour and per day, by (camera, label) and by (camera, label, zone), kept by triggers in the
  // transaction that writes the event, so facets and histograms over days read a few thousand counters instead of
  // every event. Triggers (rather than store code) keep them right for every writer, a backup restore's merge
  // included; the UNIQUE constraint (not a primary key) lets that merge skip rows whose counters the triggers made.
  (db) => {
    for (const [unit, ms] of [
      ['hour', 3_600_000],
      ['day', 86_400_000],
    ] as const)
      db.exec(countersSql(unit, ms));
  },
  // 5: the counters are kept by the store's writes, summed per batch (see counters.ts): the triggers ran a program
  // per event and per zone row and cost more than writing the event itself. A restore recounts what it merged.
  // Counter rows live in their key's B-tree (WITHOUT ROWID), so adding to one is a single lookup.
  (db) => {
    for (const unit of ['hour', 'day'] as const) {
      db.exec(`
        DROP TRIGGER event_${unit}_counts_insert;
        DROP TRIGGER event_${unit}_counts_delete;
        DROP TRIGGER event_${unit}_counts_move;
        DROP TRIGGER event_zone_${unit}_counts_insert;
        DROP TRIGGER event_zone_${unit}_counts_delete;
      `);
      for (const [table, key] of [
        [`event_${unit}_counts`, `${unit}, camera_id, label`],
        [`event_zone_${unit}_counts`, `${unit}, camera_id, label, zone`],
      ] as const)
        db.exec(`
          CREATE TABLE ${table}_v5 (
            ${key
              .split(', ')
              .map((c) => `${c} ${c === unit ? 'INTEGER' : 'TEXT'} NOT NULL`)
              .join(', ')},
            n INTEGER NOT NULL,
            PRIMARY KEY (${key})
          ) WITHOUT ROWID;
          INSERT INTO ${table}_v5 (${key}, n) SELECT ${key}, n FROM ${table} WHERE n != 0;
          DROP TABLE ${table};
          ALTER TABLE ${table}_v5 RENAME TO ${table};
        `);
    }
  },
  // 6: incidents (grouped rule hits with their state). The incident is kept whole as JSON; the columns are what
  // the list filters and orders on.
  (db) =>
    db.exec(`
      CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        camera_id TEXT NOT NULL,
        severity TEXT NOT NULL,
        state TEXT NOT NULL,
        start_ts INTEGER NOT NULL,
        last_ts INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX incidents_start ON incidents (start_ts, id);
      CREATE INDEX incidents_state_start ON incidents (state, start_ts);
    `),
  // 7: the box of the object on the snapshot's own frame (JSON), so the box drawn on a snapshot is the one of that
  // frame. Older rows have none; readers fall back to the path point of the snapshot's time.
  (db) => db.exec('ALTER TABLE events ADD COLUMN snapshot_box TEXT'),
];

/** Counter tables of one time unit, filled from the events present, and the triggers that keep them. */
function countersSql(unit: 'hour' | 'day', ms: number): string {
  const t = `event_${unit}_counts`;
  const z = `event_zone_${unit}_counts`;
  const at = (row: 'new' | 'old' | '') => `(${row ? `${row}.` : ''}start_ts / ${ms}) * ${ms}`;
  return `
      CREATE TABLE ${t} (
        ${unit} INTEGER NOT NULL,
        camera_id TEXT NOT NULL,
        label TEXT NOT NULL,
        n INTEGER NOT NULL,
        UNIQUE (${unit}, camera_id, label)
      );
      CREATE TABLE ${z} (
        ${unit} INTEGER NOT NULL,
        camera_id TEXT NOT NULL,
        label TEXT NOT NULL,
        zone TEXT NOT NULL,
        n INTEGER NOT NULL,
        UNIQUE (${unit}, camera_id, label, zone)
      );
      INSERT INTO ${t} (${unit}, camera_id, label, n)
        SELECT ${at('')} AS b, camera_id, label, count(*) FROM events GROUP BY b, camera_id, label;
      INSERT INTO ${z} (${unit}, camera_id, label, zone, n)
        SELECT (e.start_ts / ${ms}) * ${ms} AS b, e.camera_id, e.label, z.zone, count(*)
        FROM event_zones z JOIN events e ON e.rid = z.event_rid GROUP BY b, e.camera_id, e.label, z.zone;
      CREATE TRIGGER ${t}_insert AFTER INSERT ON events BEGIN
        INSERT INTO ${t} (${unit}, camera_id, label, n) VALUES (${at('new')}, new.camera_id, new.label, 1)
          ON CONFLICT (${unit}, camera_id, label) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER ${t}_delete AFTER DELETE ON events BEGIN
        UPDATE ${t} SET n = n - 1 WHERE ${unit} = ${at('old')} AND camera_id = old.camera_id AND label = old.label;
      END;
      -- A merge moves an event only when its start moves to another ${unit} (camera and label never change, but a
      -- change is counted the same way); its zones move with it.
      CREATE TRIGGER ${t}_move AFTER UPDATE OF start_ts, camera_id, label ON events
      WHEN ${at('old')} != ${at('new')} OR old.camera_id != new.camera_id OR old.label != new.label
      BEGIN
        UPDATE ${t} SET n = n - 1 WHERE ${unit} = ${at('old')} AND camera_id = old.camera_id AND label = old.label;
        INSERT INTO ${t} (${unit}, camera_id, label, n) VALUES (${at('new')}, new.camera_id, new.label, 1)
          ON CONFLICT (${unit}, camera_id, label) DO UPDATE SET n = n + 1;
        UPDATE ${z} SET n = n - 1
          WHERE ${unit} = ${at('old')} AND camera_id = old.camera_id AND label = old.label
            AND zone IN (SELECT zone FROM event_zones WHERE event_rid = new.rid);
        INSERT INTO ${z} (${unit}, camera_id, label, zone, n)
          SELECT ${at('new')}, new.camera_id, new.label, zone, 1 FROM event_zones WHERE event_rid = new.rid AND true
          ON CONFLICT (${unit}, camera_id, label, zone) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER ${z}_insert AFTER INSERT ON event_zones BEGIN
        INSERT INTO ${z} (${unit}, camera_id, label, zone, n)
          SELECT ${at('')}, camera_id, label, new.zone, 1 FROM events WHERE rid = new.event_rid AND true
          ON CONFLICT (${unit}, camera_id, label, zone) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER ${z}_delete AFTER DELETE ON event_zones BEGIN
        UPDATE ${z} SET n = n - 1
          WHERE (${unit}, camera_id, label) = (SELECT ${at('')}, camera_id, label FROM events WHERE rid = old.event_rid)
            AND zone = old.zone;
      END;
    `;
}

/** Schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** A database written by a newer Vigil: opening it could corrupt it, so it is refused. */
export class NewerSchemaError extends Error {
  constructor(file: string, found: number) {
    super(
      `The event database ${file} has schema version ${found}, but this Vigil only knows versions up to ${SCHEMA_VERSION}. ` +
        'It was written by a newer Vigil: upgrade Vigil, or point store.file at another database.',
    );
    this.name = 'NewerSchemaError';
  }
}

/** Brings a database to `target` (default: the latest version). Returns the version it started from. */
export function migrate(db: Database.Database, file: string, target = SCHEMA_VERSION): number {
  const found = db.pragma('user_version', { simple: true }) as number;
  if (found > SCHEMA_VERSION) throw new NewerSchemaError(file, found);
  for (let v = found; v < target; v++) {
    db.transaction(() => {
      MIGRATIONS[v]?.(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return found;
}

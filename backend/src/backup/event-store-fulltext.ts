import type { FullTextRebuild } from './engine.js';

/**
 * Refills the event store's contentless free-text index (events_fts) for events a restore added. The text mirrors
 * the store's own: label, camera id and name, zones, tags and note texts.
 */
export const eventStoreFullTextRebuild: FullTextRebuild = (db, ftsTable, parentTable, rowids) => {
  if (ftsTable !== 'events_fts' || parentTable !== 'events') return;
  const insert = db.prepare(`
    INSERT INTO events_fts (rowid, body)
    SELECT rid, label || ' ' || camera_id || ' ' || camera_name
      || ' ' || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(events.zones))
      || ' ' || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(events.tags))
      || ' ' || (SELECT coalesce(group_concat(json_extract(value, '$.text'), ' '), '') FROM json_each(events.notes))
    FROM events WHERE rid = ?`);
  for (const rid of rowids) insert.run(rid);
};

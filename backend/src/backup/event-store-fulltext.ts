import { recountEvents } from '../store/counters.js';
import { reindexEventsFullText } from '../store/sqlite-store.js';
import type { FullTextRebuild } from './engine.js';

/**
 * Refills the event store's contentless free-text index (events_fts) for events a restore added, through the
 * store's own indexing so the text always matches what the store writes, and recounts the hourly and daily
 * counters, which only the store's own writes keep.
 */
export const eventStoreFullTextRebuild: FullTextRebuild = (db, ftsTable, parentTable, rowids) => {
  if (ftsTable !== 'events_fts' || parentTable !== 'events') return;
  reindexEventsFullText(db, rowids);
  recountEvents(db);
};

import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import type { SavedSearch, SavedSearchBody } from '../contract/events-api.js';
import type { SavedSearchStore } from '../contract/store.js';

/** Saved searches in the event database (table `saved_searches`). */
export class SqliteSavedSearchStore implements SavedSearchStore {
  constructor(private readonly db: Database.Database) {}

  async createSavedSearch(body: SavedSearchBody, actor: string, now = Date.now()): Promise<SavedSearch> {
    const s: SavedSearch = {
      id: crypto.randomUUID(),
      name: body.name,
      query: body.query,
      createdBy: actor,
      createdTs: now,
    };
    this.db
      .prepare('INSERT INTO saved_searches (id, name, query, created_by, created_ts) VALUES (?, ?, ?, ?, ?)')
      .run(s.id, s.name, JSON.stringify(s.query), s.createdBy, s.createdTs);
    return s;
  }

  async listSavedSearches(): Promise<SavedSearch[]> {
    return this.db
      .prepare<[], { id: string; name: string; query: string; created_by: string; created_ts: number }>(
        'SELECT * FROM saved_searches ORDER BY name COLLATE NOCASE, created_ts',
      )
      .all()
      .map((r) => ({
        id: r.id,
        name: r.name,
        query: JSON.parse(r.query) as Record<string, string>,
        createdBy: r.created_by,
        createdTs: r.created_ts,
      }));
  }

  async deleteSavedSearch(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM saved_searches WHERE id = ?').run(id).changes > 0;
  }
}

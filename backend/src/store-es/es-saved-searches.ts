import crypto from 'node:crypto';
import { errors, type Client } from '@elastic/elasticsearch';
import type { SavedSearch, SavedSearchBody } from '../contract/events-api.js';
import type { SavedSearchStore } from '../contract/store.js';

/** Saved searches in Elasticsearch: one document per search in `<prefix>-saved-searches` (template in es-store.ts). */
export class EsSavedSearchStore implements SavedSearchStore {
  constructor(
    private readonly es: Client,
    private readonly index: string,
  ) {}

  async createSavedSearch(body: SavedSearchBody, actor: string, now = Date.now()): Promise<SavedSearch> {
    const s: SavedSearch = {
      id: crypto.randomUUID(),
      name: body.name,
      query: body.query,
      createdBy: actor,
      createdTs: now,
    };
    await this.es.index({
      index: this.index,
      id: s.id,
      document: s,
      refresh: 'wait_for',
    });
    return s;
  }

  async listSavedSearches(): Promise<SavedSearch[]> {
    const res = await this.es.search<SavedSearch>({
      index: this.index,
      ignore_unavailable: true,
      size: 1000,
      sort: [{ createdTs: { order: 'asc' } }],
    });
    return res.hits.hits.map((h) => h._source as SavedSearch);
  }

  async deleteSavedSearch(id: string): Promise<boolean> {
    try {
      const res = await this.es.delete({ index: this.index, id, refresh: 'wait_for' });
      return res.result === 'deleted';
    } catch (err) {
      if (err instanceof errors.ResponseError && err.statusCode === 404) return false;
      throw err;
    }
  }
}

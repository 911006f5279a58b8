import fs from 'node:fs';
import path from 'node:path';
import { NamedLayout, type WallLayout } from '../contract/layouts-api.js';
import { createLogger } from '../platform/log.js';

/** A site keeps at most this many named layouts (a bound on the settings file, not a working limit). */
export const MAX_LAYOUTS = 200;

/** Raised for a request the operator can fix (too many layouts); the message says what to do. */
export class LayoutLimitError extends Error {}

/**
 * Named wall layouts of the site, persisted as one small JSON file under the data folder (like the zones and alert
 * rules). Writes go to a temporary file that is renamed into place, so a crash never leaves half a file; entries
 * that no longer parse are skipped on load, not fatal.
 */
export class LayoutStore {
  readonly #log = createLogger('layouts.store');
  #layouts = new Map<string, NamedLayout>();

  constructor(readonly file: string) {}

  load(): void {
    if (!fs.existsSync(this.file)) return;
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch (err) {
      // Kept aside rather than overwritten by the next save: nothing the operator saved is lost.
      const aside = `${this.file}.damaged-${Date.now()}`;
      fs.renameSync(this.file, aside);
      this.#log.warn(
        { err, file: this.file, keptAs: aside },
        'layouts file is not JSON; starting without saved layouts',
      );
      return;
    }
    const list = Array.isArray((raw as { layouts?: unknown })?.layouts)
      ? (raw as { layouts: unknown[] }).layouts
      : [];
    for (const entry of list) {
      const parsed = NamedLayout.safeParse(entry);
      if (parsed.success) this.#layouts.set(parsed.data.name, parsed.data);
      else this.#log.warn({ file: this.file }, 'skipped a saved layout that does not parse');
    }
  }

  /** Every saved layout, by name. */
  list(): NamedLayout[] {
    return [...this.#layouts.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): NamedLayout | undefined {
    return this.#layouts.get(name);
  }

  /** Saves (or replaces) the layout called `name`. */
  save(name: string, layout: WallLayout, now = Date.now()): NamedLayout {
    if (!this.#layouts.has(name) && this.#layouts.size >= MAX_LAYOUTS)
      throw new LayoutLimitError(`At most ${MAX_LAYOUTS} layouts can be saved; delete one first.`);
    const entry: NamedLayout = { name, layout, updatedAt: now };
    this.#layouts.set(name, entry);
    this.#write();
    return entry;
  }

  /** Deletes a layout; false when there was none of that name. */
  remove(name: string): boolean {
    if (!this.#layouts.delete(name)) return false;
    this.#write();
    return true;
  }

  #write(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ version: 1, layouts: this.list() }, null, 2));
    fs.renameSync(tmp, this.file);
  }
}

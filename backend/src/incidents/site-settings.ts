import fs from 'node:fs';
import path from 'node:path';
import {
  AlertSiteSettingsSchema,
  type AlertSiteSettings,
  type AlertSiteSettingsInput,
} from '../contract/incidents.js';
import { createLogger } from '../platform/log.js';

/**
 * The site's alert settings (sound, notification channels, escalation levels) in one small JSON file under the
 * data folder, so every window and browser of the site sees the same ones and they survive a reload. Secrets are
 * never in it: channels name the environment variables that hold them.
 */
export class AlertSettingsStore {
  readonly #log = createLogger('incidents.settings');
  #settings: AlertSiteSettings = AlertSiteSettingsSchema.parse({});
  readonly #listeners: Array<(s: AlertSiteSettings) => void> = [];

  constructor(readonly file: string) {}

  /** Reads the file; a damaged file is logged and the defaults are used (the file is kept for inspection). */
  load(): void {
    if (!fs.existsSync(this.file)) return;
    const parsed = AlertSiteSettingsSchema.safeParse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
    if (parsed.success) this.#settings = parsed.data;
    else
      this.#log.error(
        { file: this.file, issue: parsed.error.issues[0]?.message },
        'alert settings unreadable',
      );
  }

  get(): AlertSiteSettings {
    return this.#settings;
  }

  onChange(listener: (s: AlertSiteSettings) => void): void {
    this.#listeners.push(listener);
  }

  /** Validates and stores new settings (temporary file, then rename). Throws the zod error on bad input. */
  set(input: AlertSiteSettingsInput): AlertSiteSettings {
    const settings = AlertSiteSettingsSchema.parse(input);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(settings, null, 2));
    fs.renameSync(tmp, this.file);
    this.#settings = settings;
    for (const l of this.#listeners) l(settings);
    return settings;
  }
}

/** The alert settings kept in `file`, read. */
export function loadedAlertSettings(file: string): AlertSettingsStore {
  const store = new AlertSettingsStore(file);
  store.load();
  return store;
}

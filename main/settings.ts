import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { createMainLogger } from './log.js';

const log = createMainLogger('main.settings');

const Bounds = z.strictObject({ x: z.int(), y: z.int(), width: z.int().min(1), height: z.int().min(1) });

/** A wall window remembered for one display arrangement. */
export const WallPlacement = z.strictObject({
  displayId: z.int().describe('Screen API id of the display'),
  kiosk: z.boolean().default(true).describe('Kiosk mode (full screen, no window chrome)'),
});
export type WallPlacement = z.infer<typeof WallPlacement>;

/** A further site the desktop connects to (its API token is in the OS secret store, under `site:<id>`). */
export const SiteEntry = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/)
    .describe('Stable id of the site'),
  name: z.string().min(1).max(100).describe('Name shown in the site switcher'),
  url: z.string().max(2048).describe('Origin of the site API'),
});
export type SiteEntry = z.infer<typeof SiteEntry>;

/**
 * The desktop settings file (settings.json in the user data folder). It holds no secrets: the remote token lives
 * in the OS secret store (see secret-store.ts), and the strict schema rejects any unknown key.
 */
export const DesktopSettings = z.strictObject({
  mode: z
    .enum(['local', 'remote'])
    .default('local')
    .describe('Run the bundled backend, or connect to a cluster'),
  remoteUrl: z.string().default('').describe('Origin of the remote Vigil API (remote mode)'),
  kibanaUrl: z.string().default('').describe('Origin of Kibana, allowed in frames and links'),
  externalLinks: z
    .array(z.string())
    .default([])
    .describe('Further http(s) origins whose links open in the system browser'),
  configPath: z.string().default('').describe('Backend configuration file (local mode); empty: the default'),
  walls: z
    .record(z.string(), z.array(WallPlacement))
    .default({})
    .describe('Wall windows per display arrangement key'),
  sites: z
    .array(SiteEntry)
    .max(50)
    .default([])
    .describe('Sites shown together: the wall, the alert desk and the search of every site'),
  mainWindow: z
    .record(z.string(), Bounds)
    .default({})
    .describe('Main window bounds per display arrangement key'),
});
export type DesktopSettings = z.infer<typeof DesktopSettings>;

/** Loads and saves settings.json. A damaged file is set aside (settings.json.bad) and the defaults are used. */
export class SettingsStore {
  readonly file: string;
  #value: DesktopSettings;

  constructor(dir: string) {
    this.file = path.join(dir, 'settings.json');
    this.#value = this.#load();
  }

  get value(): DesktopSettings {
    return this.#value;
  }

  #load(): DesktopSettings {
    if (!fs.existsSync(this.file)) return DesktopSettings.parse({});
    try {
      return DesktopSettings.parse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
    } catch (err) {
      log.warn(
        { err, file: this.file },
        'settings file unreadable: kept as settings.json.bad, using defaults',
      );
      try {
        fs.renameSync(this.file, `${this.file}.bad`);
      } catch {
        // Nothing more to save.
      }
      return DesktopSettings.parse({});
    }
  }

  /** Applies a change and writes the file atomically (a crash mid-write leaves the old file). */
  update(change: (s: DesktopSettings) => void): DesktopSettings {
    const next = structuredClone(this.#value);
    change(next);
    this.#value = DesktopSettings.parse(next);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.#value, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
    return this.#value;
  }
}

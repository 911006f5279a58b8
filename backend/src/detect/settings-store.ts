import fs from 'node:fs';
import path from 'node:path';
import type { AlertRule, CameraZones } from '../contract/detect-api.js';

/**
 * Zones, masks and alert rules as detection reads them and the settings routes change them. Reads are
 * synchronous (the detection path reads zones for every frame); a change resolves once it is durable.
 */
export interface DetectSettings {
  /** Reads the current settings; called once before detection starts. */
  load(): Promise<void>;
  /** Called after every change, whoever made it. */
  onChange(listener: () => void): void;
  zones(cameraId: string): CameraZones;
  setZones(cameraId: string, zones: CameraZones): Promise<void>;
  alertRules(): AlertRule[];
  upsertRule(rule: AlertRule): Promise<void>;
  /** False when there is no such rule. */
  deleteRule(id: string): Promise<boolean>;
  dispose(): Promise<void>;
}

interface SettingsFile {
  version: 1;
  zones: Record<string, CameraZones>;
  alertRules: AlertRule[];
}

/** Settings held in memory, with listeners; the two implementations differ in where a change is made durable. */
export class SettingsState {
  data: SettingsFile = { version: 1, zones: {}, alertRules: [] };
  readonly #listeners: Array<() => void> = [];

  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  changed(): void {
    for (const l of this.#listeners) l();
  }

  zones(cameraId: string): CameraZones {
    return this.data.zones[cameraId] ?? { zones: [], masks: [] };
  }

  setZones(cameraId: string, zones: CameraZones): void {
    this.data.zones[cameraId] = zones;
  }

  upsertRule(rule: AlertRule): void {
    const i = this.data.alertRules.findIndex((r) => r.id === rule.id);
    if (i >= 0) this.data.alertRules[i] = rule;
    else this.data.alertRules.push(rule);
  }

  deleteRule(id: string): boolean {
    const before = this.data.alertRules.length;
    this.data.alertRules = this.data.alertRules.filter((r) => r.id !== id);
    return this.data.alertRules.length !== before;
  }
}

/**
 * The settings of a single site, persisted as one small JSON file under the data folder. Writes go to a temporary
 * file first and are renamed into place, so a crash never leaves half a file.
 */
export class DetectSettingsStore implements DetectSettings {
  readonly #state = new SettingsState();

  constructor(readonly file: string) {}

  async load(): Promise<void> {
    this.loadSync();
  }

  /** Reads the file (synchronously: it is small and read once). */
  loadSync(): void {
    if (!fs.existsSync(this.file)) return;
    const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<SettingsFile>;
    this.#state.data = { version: 1, zones: parsed.zones ?? {}, alertRules: parsed.alertRules ?? [] };
  }

  onChange(listener: () => void): void {
    this.#state.onChange(listener);
  }

  zones(cameraId: string): CameraZones {
    return this.#state.zones(cameraId);
  }

  async setZones(cameraId: string, zones: CameraZones): Promise<void> {
    this.#state.setZones(cameraId, zones);
    this.#save();
  }

  alertRules(): AlertRule[] {
    return this.#state.data.alertRules;
  }

  async upsertRule(rule: AlertRule): Promise<void> {
    this.#state.upsertRule(rule);
    this.#save();
  }

  async deleteRule(id: string): Promise<boolean> {
    if (!this.#state.deleteRule(id)) return false;
    this.#save();
    return true;
  }

  async dispose(): Promise<void> {}

  #save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.#state.data, null, 2));
    fs.renameSync(tmp, this.file);
    this.#state.changed();
  }
}

import fs from 'node:fs';
import path from 'node:path';
import type { AlertRule, CameraZones } from '../contract/detect-api.js';

interface SettingsFile {
  version: 1;
  zones: Record<string, CameraZones>;
  alertRules: AlertRule[];
}

/**
 * Zones, masks and alert rules, persisted as one small JSON file under the data folder. Writes go to a temporary
 * file first and are renamed into place, so a crash never leaves half a file.
 */
export class DetectSettingsStore {
  #data: SettingsFile = { version: 1, zones: {}, alertRules: [] };
  #listeners: Array<() => void> = [];

  constructor(readonly file: string) {}

  load(): void {
    if (!fs.existsSync(this.file)) return;
    const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<SettingsFile>;
    this.#data = { version: 1, zones: parsed.zones ?? {}, alertRules: parsed.alertRules ?? [] };
  }

  /** Called after every change. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  zones(cameraId: string): CameraZones {
    return this.#data.zones[cameraId] ?? { zones: [], masks: [] };
  }

  setZones(cameraId: string, zones: CameraZones): void {
    this.#data.zones[cameraId] = zones;
    this.#save();
  }

  alertRules(): AlertRule[] {
    return this.#data.alertRules;
  }

  upsertRule(rule: AlertRule): void {
    const i = this.#data.alertRules.findIndex((r) => r.id === rule.id);
    if (i >= 0) this.#data.alertRules[i] = rule;
    else this.#data.alertRules.push(rule);
    this.#save();
  }

  deleteRule(id: string): boolean {
    const before = this.#data.alertRules.length;
    this.#data.alertRules = this.#data.alertRules.filter((r) => r.id !== id);
    if (this.#data.alertRules.length === before) return false;
    this.#save();
    return true;
  }

  #save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.#data, null, 2));
    fs.renameSync(tmp, this.file);
    for (const l of this.#listeners) l();
  }
}

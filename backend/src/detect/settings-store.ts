import fs from 'node:fs';
import path from 'node:path';
import type { AlertRule, AlertRuleLike, CameraZones } from '../contract/detect-api.js';
import { normaliseAlertRule } from '../contract/detect-api.js';
import type { Snooze, Suppression } from '../contract/incidents.js';

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
  upsertRule(rule: AlertRuleLike): Promise<void>;
  /** False when there is no such rule. */
  deleteRule(id: string): Promise<boolean>;
  /** Snoozes, expired ones included until they are replaced or removed (readers compare untilTs with now). */
  snoozes(): Snooze[];
  setSnooze(snooze: Snooze): Promise<void>;
  /** False when there was no such snooze. */
  deleteSnooze(kind: Snooze['kind'], target: string): Promise<boolean>;
  suppressions(): Suppression[];
  addSuppression(suppression: Suppression): Promise<void>;
  /** False when there is no such suppression. */
  deleteSuppression(id: string): Promise<boolean>;
  dispose(): Promise<void>;
}

interface SettingsFile {
  version: 1;
  zones: Record<string, CameraZones>;
  alertRules: AlertRule[];
  snoozes: Snooze[];
  suppressions: Suppression[];
}

/** Settings held in memory, with listeners; the two implementations differ in where a change is made durable. */
export class SettingsState {
  data: SettingsFile = { version: 1, zones: {}, alertRules: [], snoozes: [], suppressions: [] };
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

  upsertRule(like: AlertRuleLike): void {
    const rule = normaliseAlertRule(like);
    const i = this.data.alertRules.findIndex((r) => r.id === rule.id);
    if (i >= 0) this.data.alertRules[i] = rule;
    else this.data.alertRules.push(rule);
  }

  deleteRule(id: string): boolean {
    const before = this.data.alertRules.length;
    this.data.alertRules = this.data.alertRules.filter((r) => r.id !== id);
    return this.data.alertRules.length !== before;
  }

  setSnooze(snooze: Snooze): void {
    this.deleteSnooze(snooze.kind, snooze.target);
    this.data.snoozes.push(snooze);
  }

  deleteSnooze(kind: Snooze['kind'], target: string): boolean {
    const before = this.data.snoozes.length;
    this.data.snoozes = this.data.snoozes.filter((x) => !(x.kind === kind && x.target === target));
    return this.data.snoozes.length !== before;
  }

  addSuppression(suppression: Suppression): void {
    this.deleteSuppression(suppression.id);
    this.data.suppressions.push(suppression);
  }

  deleteSuppression(id: string): boolean {
    const before = this.data.suppressions.length;
    this.data.suppressions = this.data.suppressions.filter((x) => x.id !== id);
    return this.data.suppressions.length !== before;
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
    this.#state.data = {
      version: 1,
      zones: parsed.zones ?? {},
      alertRules: (parsed.alertRules ?? []).map((r) => normaliseAlertRule(r as AlertRuleLike)),
      snoozes: parsed.snoozes ?? [],
      suppressions: parsed.suppressions ?? [],
    };
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

  async upsertRule(rule: AlertRuleLike): Promise<void> {
    this.#state.upsertRule(rule);
    this.#save();
  }

  snoozes(): Snooze[] {
    return this.#state.data.snoozes;
  }

  async setSnooze(snooze: Snooze): Promise<void> {
    this.#state.setSnooze(snooze);
    this.#save();
  }

  async deleteSnooze(kind: Snooze['kind'], target: string): Promise<boolean> {
    if (!this.#state.deleteSnooze(kind, target)) return false;
    this.#save();
    return true;
  }

  suppressions(): Suppression[] {
    return this.#state.data.suppressions;
  }

  async addSuppression(suppression: Suppression): Promise<void> {
    this.#state.addSuppression(suppression);
    this.#save();
  }

  async deleteSuppression(id: string): Promise<boolean> {
    if (!this.#state.deleteSuppression(id)) return false;
    this.#save();
    return true;
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

import crypto from 'node:crypto';
import type { Bus, Subscription } from '../contract/bus.js';
import { Topics } from '../contract/bus.js';
import type { AlertRule, AlertRuleLike, CameraZones, DetectSettingsChange } from '../contract/detect-api.js';
import { normaliseAlertRule } from '../contract/detect-api.js';
import type { Snooze, Suppression } from '../contract/incidents.js';
import { settingsKey } from '../contract/detect-api.js';
import { createLogger } from '../platform/log.js';
import { SettingsState, type DetectSettings } from './settings-store.js';

/**
 * Zones and alert rules shared by every detect and api instance of a cluster, kept on the compacted settings topic
 * (`vigil.settings.v1`, one key per camera's zones and per rule). Each instance replays the topic from the start
 * in a consumer group of its own before it answers or detects anything, then follows it: a change made through
 * any api instance reaches every detect instance, and an instance started later reads the current settings.
 * A change resolves once the brokers have acknowledged it, and is applied at once on the instance that made it.
 */
export class SharedDetectSettings implements DetectSettings {
  readonly #log = createLogger('detect.settings');
  readonly #state = new SettingsState();
  #subscription: Subscription | undefined;

  constructor(
    private readonly bus: Bus,
    /** Names this reader's group (a random suffix is added: every reader reads every change). */
    private readonly reader: string,
  ) {}

  async load(): Promise<void> {
    const group = `${this.reader}.settings.${crypto.randomBytes(4).toString('hex')}`;
    this.#subscription = await this.bus.subscribe<DetectSettingsChange>(
      Topics.settings,
      (change) => {
        this.#apply(change);
      },
      { group, replay: true },
    );
    this.#log.info(
      {
        cameras: Object.keys(this.#state.data.zones).length,
        alertRules: this.#state.data.alertRules.length,
      },
      'detection settings read from the settings topic',
    );
  }

  #apply(change: DetectSettingsChange): void {
    switch (change.kind) {
      case 'zones':
        this.#state.setZones(change.cameraId, change.zones);
        break;
      case 'alert-rule':
        this.#state.upsertRule(change.rule);
        break;
      case 'alert-rule-deleted':
        this.#state.deleteRule(change.id);
        break;
      case 'snooze':
        this.#state.setSnooze(change.snooze);
        break;
      case 'snooze-deleted':
        this.#state.deleteSnooze(change.snoozeKind, change.target);
        break;
      case 'suppression':
        this.#state.addSuppression(change.suppression);
        break;
      case 'suppression-deleted':
        this.#state.deleteSuppression(change.id);
        break;
    }
    this.#state.changed();
  }

  async #publish(change: DetectSettingsChange): Promise<void> {
    await this.bus.publish(Topics.settings, settingsKey(change), change);
    this.#apply(change);
  }

  onChange(listener: () => void): void {
    this.#state.onChange(listener);
  }

  zones(cameraId: string): CameraZones {
    return this.#state.zones(cameraId);
  }

  setZones(cameraId: string, zones: CameraZones): Promise<void> {
    return this.#publish({ kind: 'zones', cameraId, zones, ts: Date.now() });
  }

  alertRules(): AlertRule[] {
    return this.#state.data.alertRules;
  }

  upsertRule(rule: AlertRuleLike): Promise<void> {
    return this.#publish({ kind: 'alert-rule', rule: normaliseAlertRule(rule), ts: Date.now() });
  }

  snoozes(): Snooze[] {
    return this.#state.data.snoozes;
  }

  setSnooze(snooze: Snooze): Promise<void> {
    return this.#publish({ kind: 'snooze', snooze, ts: Date.now() });
  }

  async deleteSnooze(kind: Snooze['kind'], target: string): Promise<boolean> {
    if (!this.#state.data.snoozes.some((x) => x.kind === kind && x.target === target)) return false;
    await this.#publish({ kind: 'snooze-deleted', snoozeKind: kind, target, ts: Date.now() });
    return true;
  }

  suppressions(): Suppression[] {
    return this.#state.data.suppressions;
  }

  addSuppression(suppression: Suppression): Promise<void> {
    return this.#publish({ kind: 'suppression', suppression, ts: Date.now() });
  }

  async deleteSuppression(id: string): Promise<boolean> {
    if (!this.#state.data.suppressions.some((x) => x.id === id)) return false;
    await this.#publish({ kind: 'suppression-deleted', id, ts: Date.now() });
    return true;
  }

  async deleteRule(id: string): Promise<boolean> {
    if (!this.#state.data.alertRules.some((r) => r.id === id)) return false;
    await this.#publish({ kind: 'alert-rule-deleted', id, ts: Date.now() });
    return true;
  }

  async dispose(): Promise<void> {
    await this.#subscription?.dispose();
    this.#subscription = undefined;
  }
}

import type {
  Incident,
  IncidentNotification,
  IncidentNotificationPayload,
  IncidentStore,
} from '../contract/incidents.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { sendWithRetries, type ChannelSendOptions } from './channels.js';
import type { AlertSettings } from './site-settings.js';
import type { AuditRecorder } from '../audit/recorder.js';

export interface EscalationServiceOptions {
  incidents: () => IncidentStore;
  settings: AlertSettings;
  /** Told of each incident after a notification was recorded on it (live clients). */
  onChanged?: (incident: Incident) => void;
  /** How often unacknowledged incidents are checked, ms. */
  intervalMs?: number;
  /** Wait before the first retry of a failed channel, ms (doubles each retry). */
  backoffMs?: number;
  channel?: ChannelSendOptions;
  /** Records each escalation past the first level (actor `system`). */
  audit?: AuditRecorder;
  /**
   * Claims the right to notify an incident at a level, when several instances escalate the same incidents (the
   * cluster's events replicas): only the instance whose claim succeeds notifies. Absent: this instance is the only
   * one (the local app).
   */
  claim?: (incidentId: string, level: number) => Promise<boolean>;
  now?: () => number;
}

/** The payload channels send for an incident at a level. */
export function notificationPayload(
  incident: Incident,
  level: number,
  levelName: string,
  now: number,
): IncidentNotificationPayload {
  const i = incident;
  return {
    type: 'vigil.incident',
    level,
    levelName,
    incident: {
      id: i.id,
      cameraId: i.cameraId,
      ...(i.zone ? { zone: i.zone } : {}),
      startTs: i.startTs,
      lastTs: i.lastTs,
      severity: i.severity,
      ruleNames: i.ruleNames,
      labels: i.labels,
      objectCount: i.objectCount,
      state: i.state,
    },
    sentTs: now,
  };
}

/**
 * The escalation chain: an incident still new `afterSec` after it was raised is notified through the channels of
 * the next level (level 0 with afterSec 0: when it is raised). Levels are sets of channels an administrator
 * configures, so a recipient such as "the supervisor on duty" is one more channel kind. Every try is recorded
 * against the incident; a failed channel is retried with back-off, recorded as failed and shown in health.
 */
export class EscalationService implements Service {
  readonly name = 'escalation';
  readonly #log = createLogger('incidents.escalation');
  readonly #busy = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #lastFailure: { ts: number; text: string } | undefined;
  #sent = 0;
  #failed = 0;

  constructor(private readonly options: EscalationServiceOptions) {}

  async start(): Promise<void> {
    this.#timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Checks every new incident once; resolves when the notifications it started are recorded. */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => (this.#ticking = undefined));
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    const levels = this.options.settings.get().escalation;
    if (!levels.length) return;
    const now = (this.options.now ?? Date.now)();
    let open: Incident[];
    try {
      open = await this.options.incidents().listIncidents({ states: ['new'], limit: 500 });
    } catch (err) {
      this.#log.warn({ err }, 'could not list incidents to escalate');
      return;
    }
    const work: Array<Promise<void>> = [];
    for (const incident of open) {
      const next = (incident.escalationLevel ?? -1) + 1;
      const level = levels[next];
      if (!level || now - incident.startTs < level.afterSec * 1000 || this.#busy.has(incident.id)) continue;
      this.#busy.add(incident.id);
      work.push(
        this.#claimed(incident.id, next)
          .then(async (ours) => {
            if (ours) await this.#notify(incident, next);
          })
          .finally(() => this.#busy.delete(incident.id)),
      );
    }
    await Promise.all(work);
  }

  /** Whether this instance notifies the level (another instance holding the claim does; a failed claim retries). */
  async #claimed(incidentId: string, level: number): Promise<boolean> {
    if (!this.options.claim) return true;
    try {
      return await this.options.claim(incidentId, level);
    } catch (err) {
      this.#log.warn({ err, incident: incidentId, level }, 'could not claim the escalation; trying again');
      return false;
    }
  }

  async #notify(incident: Incident, levelIndex: number): Promise<void> {
    const settings = this.options.settings.get();
    const level = settings.escalation[levelIndex];
    if (!level) return;
    const now = (this.options.now ?? Date.now)();
    const payload = notificationPayload(incident, levelIndex, level.name, now);
    const outcomes = await Promise.all(
      level.channelIds.map(async (id) => {
        const channel = settings.channels.find((c) => c.id === id);
        if (!channel)
          return { id, kind: 'desktop' as const, ok: false, attempts: 0, error: `no channel "${id}"` };
        const r = await sendWithRetries(
          channel,
          payload,
          {
            retries: settings.retries,
            ...(this.options.backoffMs !== undefined ? { backoffMs: this.options.backoffMs } : {}),
          },
          this.options.channel,
        );
        return { id, kind: channel.kind, ...r };
      }),
    );
    let stored: Incident | undefined;
    for (const o of outcomes) {
      const n: IncidentNotification = {
        ts: (this.options.now ?? Date.now)(),
        level: levelIndex,
        levelName: level.name,
        channelId: o.id,
        channelKind: o.kind,
        status: o.ok ? 'sent' : 'failed',
        attempts: o.attempts,
        ...(o.error ? { error: o.error } : {}),
      };
      if (o.ok) this.#sent++;
      else {
        this.#failed++;
        this.#lastFailure = { ts: n.ts, text: `${o.id}: ${o.error ?? 'failed'}` };
        this.#log.warn({ incident: incident.id, channel: o.id, error: o.error }, 'notification failed');
      }
      stored = (await this.options.incidents().recordNotification(incident.id, n)) ?? stored;
    }
    if (stored) this.options.onChanged?.(stored);
    if (levelIndex > 0)
      await this.options.audit?.recordAfter('system', 'escalate', {
        camera: incident.cameraId,
        target: incident.id,
        detail: { level: levelIndex, levelName: level.name, sent: outcomes.filter((o) => o.ok).length },
      });
  }

  health(): ServiceHealth {
    const recent = this.#lastFailure && (this.options.now ?? Date.now)() - this.#lastFailure.ts < 3_600_000;
    return recent
      ? { status: 'degraded', detail: `a notification failed: ${this.#lastFailure?.text}` }
      : { status: 'ok', detail: `${this.#sent} notifications sent, ${this.#failed} failed` };
  }

  async dispose(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }
}

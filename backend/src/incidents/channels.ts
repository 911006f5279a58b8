import crypto from 'node:crypto';
import mqtt from 'mqtt';
import nodemailer from 'nodemailer';
import {
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  type IncidentNotificationPayload,
  type NotificationChannel,
} from '../contract/incidents.js';
import { ClusterSetupError, readSecret } from '../platform/secrets.js';

/** A channel could not deliver; the message says why in words and never carries a secret. */
export class ChannelError extends Error {
  override name = 'ChannelError';
}

/**
 * Reads a secret through the one secret reader; a missing one is a clear failure of this send (never an unsigned or
 * anonymous one), recorded on the incident like any other channel failure.
 */
function secretFrom(env: NodeJS.ProcessEnv, name: string | undefined, what: string): string | undefined {
  try {
    return readSecret(what, name, env);
  } catch (err) {
    if (err instanceof ClusterSetupError)
      throw new ChannelError(`the environment variable ${name} (${what}) is not set`, { cause: err });
    throw err;
  }
}

/**
 * The signature of a webhook body: HMAC-SHA256 over "<timestamp>.<body>" with the channel's key, hex, prefixed
 * "sha256=". Signing the timestamp with the body lets a receiver refuse replays of an old delivery.
 */
export function webhookSignature(key: string, timestamp: string, body: string): string {
  return `sha256=${crypto.createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Checks a webhook delivery as a receiver would (constant-time compare). */
export function verifyWebhookSignature(
  key: string,
  timestamp: string,
  body: string,
  signature: string,
): boolean {
  const expected = Buffer.from(webhookSignature(key, timestamp, body));
  const got = Buffer.from(signature);
  return expected.length === got.length && crypto.timingSafeEqual(expected, got);
}

/** The name under which the backend's secret store keeps a channel's secret (signing key or password). */
export function channelSecretName(channelId: string): string {
  return `alert-channel/${channelId}/secret`;
}

export interface ChannelSendOptions {
  env?: NodeJS.ProcessEnv;
  /** Where secrets entered in the settings are kept; a kept secret comes before a named environment variable. */
  secrets?: { get(name: string): string | undefined };
  /** Per attempt, ms. */
  timeoutMs?: number;
  /** Desktop notifications (and sound) go to the open windows through this. */
  desktop?: (payload: IncidentNotificationPayload) => void;
  /** How many supervisors on duty (of a team, when given) have a window open to be notified in. */
  supervisorsOnDuty?: (team?: string) => number;
}

function subject(p: IncidentNotificationPayload): string {
  const i = p.incident;
  const what = i.labels.join(', ') || 'activity';
  return `[Vigil ${i.severity}] ${p.levelName}: ${i.objectCount} x ${what} on ${i.cameraId}${i.zone ? ` / ${i.zone}` : ''}`;
}

/** Sends one notification through one channel, once. Throws ChannelError (or the client's error) on failure. */
export async function sendThroughChannel(
  channel: NotificationChannel,
  payload: IncidentNotificationPayload,
  options: ChannelSendOptions = {},
): Promise<void> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const body = JSON.stringify(payload);
  switch (channel.kind) {
    case 'desktop': {
      if (!options.desktop) throw new ChannelError('no window is connected to show desktop notifications');
      options.desktop(payload);
      return;
    }
    case 'supervisors': {
      // The incident, with this notification recorded, reaches every window; supervisors' windows show it.
      if (!options.supervisorsOnDuty?.(channel.team))
        throw new ChannelError(
          `no supervisor${channel.team ? ` of team ${channel.team}` : ''} is signed in to receive it`,
        );
      return;
    }
    case 'webhook': {
      const key =
        options.secrets?.get(channelSecretName(channel.id)) ??
        secretFrom(env, channel.secretEnv, 'webhook signing key');
      // Never an unsigned delivery: a receiver could not tell it from a forged one.
      if (!key) throw new ChannelError('no signing secret is set for this webhook');
      const timestamp = String(payload.sentTs);
      let res: Response;
      try {
        res = await fetch(channel.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [WEBHOOK_TIMESTAMP_HEADER]: timestamp,
            [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(key, timestamp, body),
          },
          body,
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        throw new ChannelError(`the webhook could not be reached (${cause})`);
      }
      await res.body?.cancel();
      if (!res.ok) throw new ChannelError(`the webhook answered HTTP ${res.status}`);
      return;
    }
    case 'mqtt': {
      const username = channel.username || secretFrom(env, channel.usernameEnv, 'MQTT user name');
      const password =
        options.secrets?.get(channelSecretName(channel.id)) ??
        secretFrom(env, channel.passwordEnv, 'MQTT password');
      let client: mqtt.MqttClient | undefined;
      try {
        client = await mqtt.connectAsync(channel.url, {
          ...(username ? { username } : {}),
          ...(password ? { password } : {}),
          connectTimeout: timeoutMs,
          // One attempt per send; retries are the caller's, with their own back-off.
          reconnectPeriod: 0,
          clientId: `vigil-${crypto.randomBytes(6).toString('hex')}`,
        });
        // QoS 1: the broker acknowledges the message (PUBACK) before this resolves.
        await client.publishAsync(channel.topic, body, { qos: 1 });
      } catch (err) {
        throw new ChannelError(`the MQTT broker did not take the message (${(err as Error).message})`);
      } finally {
        await client?.endAsync().catch(() => {});
      }
      return;
    }
    case 'email': {
      const user = channel.username || secretFrom(env, channel.usernameEnv, 'SMTP user name');
      const pass =
        options.secrets?.get(channelSecretName(channel.id)) ??
        secretFrom(env, channel.passwordEnv, 'SMTP password');
      const transport = nodemailer.createTransport({
        host: channel.host,
        port: channel.port,
        secure: channel.secure,
        ...(user && pass ? { auth: { user, pass } } : {}),
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      });
      try {
        const i = payload.incident;
        await transport.sendMail({
          from: channel.from,
          to: channel.to,
          subject: subject(payload),
          text:
            `${subject(payload)}\n\nIncident ${i.id}\nCamera: ${i.cameraId}${i.zone ? `\nZone: ${i.zone}` : ''}\n` +
            `Rules: ${i.ruleNames.join(', ')}\nStarted: ${new Date(i.startTs).toISOString()}\n` +
            `State: ${i.state}\n`,
          attachments: [{ filename: 'incident.json', content: body, contentType: 'application/json' }],
        });
      } catch (err) {
        throw new ChannelError(`the SMTP server did not take the message (${(err as Error).message})`);
      } finally {
        transport.close();
      }
      return;
    }
  }
}

export interface RetryOptions {
  /** Tries after the first. */
  retries: number;
  /** Wait before the first retry, ms; doubles each time. */
  backoffMs?: number;
}

/** Sends with retries; resolves with the outcome (never throws). */
export async function sendWithRetries(
  channel: NotificationChannel,
  payload: IncidentNotificationPayload,
  retry: RetryOptions,
  options: ChannelSendOptions = {},
): Promise<{ ok: boolean; attempts: number; error?: string }> {
  let wait = retry.backoffMs ?? 1000;
  let lastError = '';
  for (let attempt = 1; attempt <= retry.retries + 1; attempt++) {
    try {
      await sendThroughChannel(channel, payload, options);
      return { ok: true, attempts: attempt };
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      if (attempt <= retry.retries) {
        await new Promise((r) => setTimeout(r, wait));
        wait *= 2;
      }
    }
  }
  return { ok: false, attempts: retry.retries + 1, error: lastError.slice(0, 500) };
}

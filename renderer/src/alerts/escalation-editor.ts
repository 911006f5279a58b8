import type {
  AlertSiteSettings,
  ChannelTestResult,
  Incident,
  NotificationChannel,
  NotificationChannelKind,
} from '../../../backend/src/contract';

/** Channel kinds in the order the editor offers them, with their names in words. */
export const CHANNEL_KINDS: ReadonlyArray<{ kind: NotificationChannelKind; label: string }> = [
  { kind: 'desktop', label: 'Desktop notification' },
  { kind: 'supervisors', label: 'Supervisors on duty' },
  { kind: 'webhook', label: 'Webhook (signed)' },
  { kind: 'mqtt', label: 'MQTT' },
  { kind: 'email', label: 'E-mail' },
];

/** A channel as the editor holds it: every field as typed, for every kind (fields of other kinds are ignored). */
export interface ChannelDraft {
  /** Stable while editing (React key); not sent. */
  key: string;
  /** The id levels refer to; fixed once saved, derived from the name before. */
  id: string;
  saved: boolean;
  kind: NotificationChannelKind;
  name: string;
  team: string;
  url: string;
  topic: string;
  host: string;
  port: string;
  secure: boolean;
  from: string;
  /** Recipients, separated by commas or new lines. */
  to: string;
  username: string;
  /** Environment variables kept from channels set up that way (not edited here, sent back as they were). */
  secretEnv?: string;
  usernameEnv?: string;
  passwordEnv?: string;
  /** Whether the backend keeps a secret for it (a signing secret or password). */
  secretSet: boolean;
  /** A new secret to send; undefined keeps the one the backend has. */
  secret?: string;
}

/** A level as the editor holds it. */
export interface LevelDraft {
  key: string;
  name: string;
  /** Minutes after the incident was raised, as typed. */
  afterMin: string;
  /** The chosen channels by their editor key, so a channel still being named keeps its place in the level. */
  channelKeys: string[];
}

let nextKey = 0;
const newKey = () => `k${++nextKey}`;

/** A fresh channel of a kind, with the usual defaults (SMTP submission port, a topic under vigil/). */
export function newChannel(kind: NotificationChannelKind): ChannelDraft {
  return {
    key: newKey(),
    id: '',
    saved: false,
    kind,
    name: '',
    team: '',
    url: kind === 'mqtt' ? 'mqtt://' : kind === 'webhook' ? 'https://' : '',
    topic: kind === 'mqtt' ? 'vigil/incidents' : '',
    host: '',
    port: '587',
    secure: false,
    from: '',
    to: '',
    username: '',
    secretSet: false,
  };
}

/** The editor's copy of a saved channel. */
export function channelDraftOf(c: NotificationChannel): ChannelDraft {
  const d = { ...newChannel(c.kind), id: c.id, saved: true, name: c.name, url: '', topic: '' };
  switch (c.kind) {
    case 'desktop':
      return d;
    case 'supervisors':
      return { ...d, team: c.team ?? '' };
    case 'webhook':
      return {
        ...d,
        url: c.url,
        secretSet: Boolean(c.secretSet),
        ...(c.secretEnv ? { secretEnv: c.secretEnv } : {}),
      };
    case 'mqtt':
      return {
        ...d,
        url: c.url,
        topic: c.topic,
        username: c.username ?? '',
        secretSet: Boolean(c.secretSet),
        ...(c.usernameEnv ? { usernameEnv: c.usernameEnv } : {}),
        ...(c.passwordEnv ? { passwordEnv: c.passwordEnv } : {}),
      };
    case 'email':
      return {
        ...d,
        host: c.host,
        port: String(c.port),
        secure: c.secure,
        from: c.from,
        to: c.to.join(', '),
        username: c.username ?? '',
        secretSet: Boolean(c.secretSet),
        ...(c.usernameEnv ? { usernameEnv: c.usernameEnv } : {}),
        ...(c.passwordEnv ? { passwordEnv: c.passwordEnv } : {}),
      };
  }
}

/** The editor's copy of a saved level (its delay in minutes), its channels looked up among the editor's. */
export function levelDraftOf(
  l: AlertSiteSettings['escalation'][number],
  channels: readonly ChannelDraft[],
): LevelDraft {
  const channelKeys = l.channelIds.flatMap((id) => channels.find((c) => c.id === id)?.key ?? []);
  return { key: newKey(), name: l.name, afterMin: String(l.afterSec / 60), channelKeys };
}

/** A new level: a few minutes after the last one, no channel yet. */
export function newLevel(levels: readonly LevelDraft[]): LevelDraft {
  const last = Number(levels[levels.length - 1]?.afterMin);
  const afterMin = levels.length === 0 ? 0 : Number.isFinite(last) ? Math.floor(last) + 5 : 5;
  return { key: newKey(), name: `Level ${levels.length + 1}`, afterMin: String(afterMin), channelKeys: [] };
}

/**
 * The id of a new channel: its name in lower case with dashes ("Ops desk" → "ops-desk"), made unique among `taken`,
 * within the 40 characters the backend allows.
 */
export function channelIdFor(name: string, taken: readonly string[]): string {
  const base =
    name
      .normalize('NFKD')
      // Accents go (é → e) rather than splitting a word.
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 34) || 'channel';
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}`;
  return id;
}

/** Gives each unsaved channel an id from its name (saved ones keep theirs), so levels can refer to it. */
export function withIds(channels: readonly ChannelDraft[]): ChannelDraft[] {
  const taken = channels.filter((c) => c.saved).map((c) => c.id);
  return channels.map((c) => {
    if (c.saved) return c;
    const id = channelIdFor(c.name, taken);
    taken.push(id);
    return { ...c, id };
  });
}

const recipients = (to: string) =>
  to
    .split(/[,;\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const HTTP_URL = /^https?:\/\/[^\s/]+[^\s]*$/;
const MQTT_URL = /^(mqtts?|wss?):\/\/[^\s/]+[^\s]*$/;

/** Field errors in words, keyed `channels.<i>.<field>`, `escalation.<i>.<field>` (the backend's own paths). */
export type EditorErrors = Record<string, string>;

/** Checks the channels and levels before saving; the backend checks again and its answer lands on the same key. */
export function validateEscalation(
  channels: readonly ChannelDraft[],
  levels: readonly LevelDraft[],
): EditorErrors {
  const errors: EditorErrors = {};
  const names = new Set<string>();
  channels.forEach((c, i) => {
    const at = (field: string, message: string) => (errors[`channels.${i}.${field}`] ??= message);
    const name = c.name.trim();
    if (!name) at('name', 'Give the channel a name');
    else if (name.length > 80) at('name', 'Use at most 80 characters for the name');
    else if (names.has(name.toLowerCase())) at('name', 'Another channel has this name');
    names.add(name.toLowerCase());
    if (c.kind === 'webhook') {
      if (!HTTP_URL.test(c.url.trim())) at('url', 'Enter a URL starting with https:// or http://');
      // A new secret replaces the kept one; an emptied "replace" field leaves none.
      if (!c.secretEnv && !(c.secret !== undefined ? c.secret : c.secretSet))
        at('secret', 'Enter a signing secret (the receiver checks each message with it)');
    }
    if (c.kind === 'webhook' || c.kind === 'mqtt' || c.kind === 'email')
      if (c.secret !== undefined && c.secret.length > 500)
        at('secret', 'Use at most 500 characters for the secret');
    if (c.kind === 'mqtt') {
      if (!MQTT_URL.test(c.url.trim()))
        at('url', 'Enter a broker address starting with mqtt:// or mqtts:// (e.g. mqtt://broker:1883)');
      const topic = c.topic.trim();
      if (!topic) at('topic', 'Enter a topic, e.g. vigil/incidents');
      else if (/[#+\s]/.test(topic)) at('topic', 'A topic to publish on has no #, + or spaces');
    }
    if (c.kind === 'email') {
      if (!c.host.trim()) at('host', 'Enter the SMTP server’s host name');
      const port = Number(c.port);
      if (!/^\d+$/.test(c.port.trim()) || port < 1 || port > 65535)
        at('port', 'Enter a port from 1 to 65535 (usually 587, or 465 with TLS)');
      if (!EMAIL.test(c.from.trim())) at('from', 'Enter the sender address, e.g. vigil@example.com');
      const to = recipients(c.to);
      if (!to.length) at('to', 'Enter at least one recipient');
      else if (to.length > 20) at('to', 'Enter at most 20 recipients');
      else {
        const bad = to.find((a) => !EMAIL.test(a));
        if (bad) at('to', `"${bad}" is not an e-mail address`);
      }
    }
    if (c.kind === 'supervisors' && c.team.trim().length > 64)
      at('team', 'Use at most 64 characters for the team');
  });
  const keys = new Set(channels.map((c) => c.key));
  let previous: number | undefined;
  levels.forEach((l, i) => {
    const at = (field: string, message: string) => (errors[`escalation.${i}.${field}`] ??= message);
    if (!l.name.trim()) at('name', `Give level ${i + 1} a name`);
    const text = l.afterMin.trim();
    const min = Number(text);
    if (text === '' || !Number.isFinite(min) || min < 0 || min > 1440)
      at('afterSec', 'Enter the minutes from 0 to 1440 (0: as soon as the incident is raised)');
    else {
      if (previous !== undefined && min * 60 <= previous)
        at('afterSec', `Level ${i + 1} must come after level ${i}`);
      previous = Math.round(min * 60);
    }
    if (!l.channelKeys.some((k) => keys.has(k))) at('channelIds', 'Choose at least one channel');
  });
  return errors;
}

/** The channel as the backend takes it; a secret only when the administrator entered a new one. */
export function channelOf(c: ChannelDraft): NotificationChannel {
  const base = { id: c.id, name: c.name.trim() };
  const secret = c.secret !== undefined ? { secret: c.secret } : {};
  const username = c.username.trim() ? { username: c.username.trim() } : {};
  const envs = {
    ...(c.usernameEnv ? { usernameEnv: c.usernameEnv } : {}),
    ...(c.passwordEnv ? { passwordEnv: c.passwordEnv } : {}),
  };
  switch (c.kind) {
    case 'desktop':
      return { ...base, kind: 'desktop' };
    case 'supervisors':
      return { ...base, kind: 'supervisors', ...(c.team.trim() ? { team: c.team.trim() } : {}) };
    case 'webhook':
      return {
        ...base,
        kind: 'webhook',
        url: c.url.trim(),
        ...(c.secretEnv ? { secretEnv: c.secretEnv } : {}),
        ...secret,
      };
    case 'mqtt':
      return {
        ...base,
        kind: 'mqtt',
        url: c.url.trim(),
        topic: c.topic.trim(),
        ...username,
        ...envs,
        ...secret,
      };
    case 'email':
      return {
        ...base,
        kind: 'email',
        host: c.host.trim(),
        port: Number(c.port),
        secure: c.secure,
        from: c.from.trim(),
        to: recipients(c.to),
        ...username,
        ...envs,
        ...secret,
      };
  }
}

/** The settings body of a PUT /api/alert-settings from the editor's channels and levels. */
export function settingsOf(
  current: AlertSiteSettings,
  channels: readonly ChannelDraft[],
  levels: readonly LevelDraft[],
): AlertSiteSettings {
  const named = withIds(channels);
  return {
    ...current,
    channels: named.map(channelOf),
    escalation: levels.map((l) => ({
      name: l.name.trim(),
      afterSec: Math.round(Number(l.afterMin) * 60),
      channelIds: l.channelKeys.flatMap((k) => named.find((c) => c.key === k)?.id ?? []),
    })),
  };
}

/** "after 0 minutes" reads as "when raised". */
export function delayText(afterMin: string): string {
  const m = Number(afterMin);
  if (!Number.isFinite(m) || afterMin.trim() === '') return 'after … minutes';
  if (m === 0) return 'as soon as an incident is raised';
  return `after ${m} minute${m === 1 ? '' : 's'} unacknowledged`;
}

/** The last delivery through one channel: a test or a notification of an incident. */
export interface LastDelivery {
  ok: boolean;
  ts: number;
  error?: string;
  /** "test" or the level's name. */
  via: string;
}

/**
 * The latest delivery of each channel, from the notifications recorded on incidents and the tests sent from this
 * editor, whichever is newer.
 */
export function lastDeliveries(
  incidents: readonly Incident[],
  tests: readonly ChannelTestResult[],
): Map<string, LastDelivery> {
  const out = new Map<string, LastDelivery>();
  const offer = (id: string, d: LastDelivery) => {
    const old = out.get(id);
    if (!old || d.ts >= old.ts) out.set(id, d);
  };
  for (const i of incidents)
    for (const n of i.notifications)
      offer(n.channelId, {
        ok: n.status === 'sent',
        ts: n.ts,
        via: n.levelName,
        ...(n.error ? { error: n.error } : {}),
      });
  for (const t of tests)
    offer(t.channelId, { ok: t.ok, ts: t.ts, via: 'test', ...(t.error ? { error: t.error } : {}) });
  return out;
}

import { describe, expect, it } from 'vitest';
import { AlertSiteSettingsSchema, type Incident } from '../../../backend/src/contract';
import {
  channelDraftOf,
  channelIdFor,
  lastDeliveries,
  levelDraftOf,
  newChannel,
  newLevel,
  settingsOf,
  validateEscalation,
  type ChannelDraft,
} from './escalation-editor';

const webhook = (over: Partial<ChannelDraft> = {}): ChannelDraft => ({
  ...newChannel('webhook'),
  name: 'Control room',
  url: 'https://desk.example/hook',
  secret: 'signing-key',
  ...over,
});

describe('escalation editor: validation in words, next to each field', () => {
  it('asks for an http(s) URL, a signing secret and a name', () => {
    const errors = validateEscalation([webhook({ name: ' ', url: 'ftp://desk', secret: undefined })], []);
    expect(errors).toEqual({
      'channels.0.name': 'Give the channel a name',
      'channels.0.url': 'Enter a URL starting with https:// or http://',
      'channels.0.secret': 'Enter a signing secret (the receiver checks each message with it)',
    });
    // A secret the backend already keeps needs no new one; "replace" with an empty field does.
    expect(validateEscalation([webhook({ secret: undefined, secretSet: true })], [])).toEqual({});
    expect(validateEscalation([webhook({ secret: '', secretSet: true })], [])['channels.0.secret']).toMatch(
      /^Enter a signing secret/,
    );
  });

  it('checks each kind’s own fields: broker and topic, SMTP host, port, sender and recipients', () => {
    const mqtt = { ...newChannel('mqtt'), name: 'Broker', url: 'http://broker', topic: 'site/#' };
    const mail = {
      ...newChannel('email'),
      name: 'Mail',
      port: '70000',
      from: 'vigil',
      to: 'a@b.example, nope',
    };
    expect(validateEscalation([mqtt, mail], [])).toEqual({
      'channels.0.url': 'Enter a broker address starting with mqtt:// or mqtts:// (e.g. mqtt://broker:1883)',
      'channels.0.topic': 'A topic to publish on has no #, + or spaces',
      'channels.1.host': 'Enter the SMTP server’s host name',
      'channels.1.port': 'Enter a port from 1 to 65535 (usually 587, or 465 with TLS)',
      'channels.1.from': 'Enter the sender address, e.g. vigil@example.com',
      'channels.1.to': '"nope" is not an e-mail address',
    });
  });

  it('wants levels in order, each with at least one channel', () => {
    const hook = webhook();
    const first = { ...newLevel([]), channelKeys: [hook.key] };
    const second = { ...newLevel([first]), afterMin: '0', channelKeys: [] };
    expect(first.afterMin).toBe('0');
    expect(validateEscalation([hook], [first, second])).toEqual({
      'escalation.1.afterSec': 'Level 2 must come after level 1',
      'escalation.1.channelIds': 'Choose at least one channel',
    });
    expect(validateEscalation([hook], [{ ...first, afterMin: 'soon' }])['escalation.0.afterSec']).toBe(
      'Enter the minutes from 0 to 1440 (0: as soon as the incident is raised)',
    );
    // A channel removed from the editor no longer counts for the level.
    expect(validateEscalation([], [first])['escalation.0.channelIds']).toBe('Choose at least one channel');
  });
});

describe('escalation editor: what it sends', () => {
  it('builds settings the backend accepts: ids from names, minutes as seconds, a secret only when entered', () => {
    const hook = webhook({ name: 'Ops desk' });
    const mail = {
      ...newChannel('email'),
      name: 'Ops desk',
      host: 'smtp.example',
      from: 'vigil@example.com',
      to: 'a@example.com;\nb@example.com',
    };
    const levels = [
      { ...newLevel([]), channelKeys: [hook.key] },
      { ...newLevel([]), name: 'Supervisor', afterMin: '2.5', channelKeys: [mail.key, hook.key] },
    ];
    const body = settingsOf(AlertSiteSettingsSchema.parse({}), [hook, mail], levels);
    expect(body.channels).toEqual([
      {
        id: 'ops-desk',
        name: 'Ops desk',
        kind: 'webhook',
        url: 'https://desk.example/hook',
        secret: 'signing-key',
      },
      {
        id: 'ops-desk-2',
        name: 'Ops desk',
        kind: 'email',
        host: 'smtp.example',
        port: 587,
        secure: false,
        from: 'vigil@example.com',
        to: ['a@example.com', 'b@example.com'],
      },
    ]);
    expect(body.escalation).toEqual([
      { name: 'Level 1', afterSec: 0, channelIds: ['ops-desk'] },
      { name: 'Supervisor', afterSec: 150, channelIds: ['ops-desk-2', 'ops-desk'] },
    ]);
    expect(AlertSiteSettingsSchema.safeParse(body).success).toBe(true);
  });

  it('round-trips a saved channel without its secret, keeping environment variable names', () => {
    const saved = {
      id: 'hook',
      name: 'Hook',
      kind: 'webhook' as const,
      url: 'https://x.example',
      secretEnv: 'HOOK_KEY',
      secretSet: false,
    };
    const draft = channelDraftOf(saved);
    const level = levelDraftOf({ name: 'L', afterSec: 60, channelIds: ['hook', 'gone'] }, [draft]);
    expect(level).toMatchObject({ afterMin: '1', channelKeys: [draft.key] });
    const body = settingsOf(AlertSiteSettingsSchema.parse({}), [draft], [level]);
    expect(body.channels).toEqual([
      { id: 'hook', name: 'Hook', kind: 'webhook', url: 'https://x.example', secretEnv: 'HOOK_KEY' },
    ]);
    expect(body.escalation[0]?.channelIds).toEqual(['hook']);
  });

  it('makes ids the backend allows, unique among the taken ones', () => {
    expect(channelIdFor('Contrôle — Salle 1', [])).toBe('controle-salle-1');
    expect(channelIdFor('!!!', ['channel'])).toBe('channel-2');
  });
});

describe('escalation editor: last delivery per channel', () => {
  it('takes the newest of the incident notifications and the tests, with the reason of a failure', () => {
    const incident = {
      notifications: [
        {
          ts: 10,
          level: 0,
          levelName: 'On raise',
          channelId: 'hook',
          channelKind: 'webhook',
          status: 'sent',
          attempts: 1,
        },
        {
          ts: 30,
          level: 1,
          levelName: 'Supervisor',
          channelId: 'mail',
          channelKind: 'email',
          status: 'failed',
          attempts: 4,
          error: 'the SMTP server did not take the message (ECONNREFUSED)',
        },
      ],
    } as unknown as Incident;
    const d = lastDeliveries([incident], [{ channelId: 'hook', ok: false, ts: 20, error: 'HTTP 500' }]);
    expect(d.get('hook')).toEqual({ ok: false, ts: 20, via: 'test', error: 'HTTP 500' });
    expect(d.get('mail')).toMatchObject({
      ok: false,
      via: 'Supervisor',
      error: expect.stringContaining('SMTP'),
    });
    expect(d.has('desk')).toBe(false);
  });
});

import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type {
  AlertSiteSettings,
  ChannelTestResult,
  NotificationChannelKind,
} from '../../../backend/src/contract';
import { api, path, Routes } from '../lib/api-client';
import { formatTime } from '../lib/format';
import { loadAlertSettings, setAlertSettings, useAlertSettings, useIncidents } from '../lib/store';
import {
  CHANNEL_KINDS,
  channelDraftOf,
  channelOf,
  delayText,
  lastDeliveries,
  levelDraftOf,
  newChannel,
  newLevel,
  settingsOf,
  validateEscalation,
  withIds,
  type ChannelDraft,
  type EditorErrors,
  type LastDelivery,
  type LevelDraft,
} from './escalation-editor';

const kindLabel = (kind: NotificationChannelKind) =>
  CHANNEL_KINDS.find((k) => k.kind === kind)?.label ?? kind;
const SECRET_LABEL: Partial<Record<NotificationChannelKind, string>> = {
  webhook: 'Signing secret',
  mqtt: 'Password',
  email: 'Password',
};

/** The backend names the field of a refusal (`escalation.0.channelIds.1`): the editor's key for it. */
function errorKey(field: string): string {
  return field
    .replace(/^(escalation\.\d+\.channelIds)\.\d+$/, '$1')
    .replace(/^(channels\.\d+\.to)\.\d+$/, '$1');
}

function FieldError({ errors, at }: { errors: EditorErrors; at: string }) {
  return errors[at] ? (
    <div className="field-error" role="alert" data-field={at}>
      {errors[at]}
    </div>
  ) : null;
}

function Delivery({ last }: { last: LastDelivery | undefined }) {
  if (!last) return <span className="muted small delivery">Nothing sent yet</span>;
  const when = formatTime(last.ts, true);
  return last.ok ? (
    <span className="small delivery ok-text" data-delivery="ok">
      Last: delivered ({last.via}), {when}
    </span>
  ) : (
    <span className="small delivery failed" data-delivery="failed">
      Last: failed ({last.via}), {when}: {last.error ?? 'no answer'}
    </span>
  );
}

/**
 * The site's notification channels and escalation chain, as an administrator edits them: a card per channel with
 * the fields of its kind (secrets write-only), "Send test" per channel, and the ordered levels ("after N minutes
 * unacknowledged → notify these channels"), each mistake named next to its field.
 */
export function EscalationEditor() {
  const settings = useAlertSettings();
  const incidents = useIncidents();
  const [channels, setChannels] = useState<ChannelDraft[] | undefined>();
  const [levels, setLevels] = useState<LevelDraft[]>([]);
  const [errors, setErrors] = useState<EditorErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [addKind, setAddKind] = useState<NotificationChannelKind>('webhook');
  const [tests, setTests] = useState<ChannelTestResult[]>([]);
  const [testing, setTesting] = useState<string | undefined>();

  useEffect(() => {
    void loadAlertSettings();
  }, []);
  const loaded = settings !== undefined;
  useEffect(() => {
    if (settings && !channels) {
      const drafts = settings.channels.map(channelDraftOf);
      setChannels(drafts);
      setLevels(settings.escalation.map((l) => levelDraftOf(l, drafts)));
    }
    // Filled once, when the settings first arrive; later edits are the administrator's.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded]);
  // What each saved channel looks like, to tell an edited one (test it after saving) from a saved one.
  const savedForm = useMemo(
    () =>
      new Map((settings?.channels ?? []).map((c) => [c.id, JSON.stringify(channelOf(channelDraftOf(c)))])),
    [settings],
  );
  const deliveries = useMemo(() => lastDeliveries(incidents, tests), [incidents, tests]);
  if (!settings || !channels) return null;

  const named = withIds(channels);
  const dirty = (c: ChannelDraft) => !c.saved || savedForm.get(c.id) !== JSON.stringify(channelOf(c));
  const edit = (key: string, change: Partial<ChannelDraft>) =>
    setChannels(channels.map((c) => (c.key === key ? { ...c, ...change } : c)));
  const editLevel = (key: string, change: Partial<LevelDraft>) =>
    setLevels(levels.map((l) => (l.key === key ? { ...l, ...change } : l)));

  const removeChannel = (c: ChannelDraft) => {
    setChannels(channels.filter((x) => x.key !== c.key));
    setLevels(levels.map((l) => ({ ...l, channelKeys: l.channelKeys.filter((x) => x !== c.key) })));
  };

  const saveSound = async (sound: boolean) => {
    const r = await api.put<AlertSiteSettings>(Routes.incidents.alertSettings, { ...settings, sound });
    if (r.ok) setAlertSettings(r.data);
    setMessage(r.ok ? 'Saved for the whole site.' : r.message);
  };

  const save = async () => {
    const local = validateEscalation(named, levels);
    setErrors(local);
    if (Object.keys(local).length) {
      setMessage('Not saved: correct the fields marked in red.');
      return;
    }
    const r = await api.put<AlertSiteSettings>(
      Routes.incidents.alertSettings,
      settingsOf(settings, channels, levels),
    );
    if (r.ok) {
      setAlertSettings(r.data);
      // The same cards and levels, now saved (keys kept, so nothing on screen jumps).
      const drafts = r.data.channels.map((c, i) => ({
        ...channelDraftOf(c),
        key: named[i]?.key ?? `saved-${c.id}`,
      }));
      setChannels(drafts);
      setLevels(
        r.data.escalation.map((l, i) => ({
          ...levelDraftOf(l, drafts),
          key: levels[i]?.key ?? `level-${i}`,
        })),
      );
      setMessage('Saved for the whole site.');
    } else {
      const key = r.field ? errorKey(r.field) : undefined;
      const text = r.field ? r.message.replace(/^[\w.]+: /, '') : r.message;
      if (key) setErrors({ [key]: text.charAt(0).toUpperCase() + text.slice(1) });
      setMessage(`Not saved: ${r.message}`);
    }
  };

  const sendTest = async (c: ChannelDraft) => {
    setTesting(c.key);
    const r = await api.post<ChannelTestResult>(path(Routes.incidents.channelTest, { id: c.id }));
    setTesting(undefined);
    setTests((t) => [...t, r.ok ? r.data : { channelId: c.id, ok: false, ts: Date.now(), error: r.message }]);
  };

  const field = (c: ChannelDraft, i: number, name: string, label: string, input: ReactNode): ReactNode => (
    <>
      <label htmlFor={`${c.key}-${name}`}>{label}</label>
      <div>
        {input}
        <FieldError errors={errors} at={`channels.${i}.${name}`} />
      </div>
    </>
  );
  const text = (
    c: ChannelDraft,
    i: number,
    name: 'name' | 'team' | 'url' | 'topic' | 'host' | 'port' | 'from' | 'username',
    label: string,
    placeholder?: string,
  ) =>
    field(
      c,
      i,
      name,
      label,
      <input
        id={`${c.key}-${name}`}
        value={c[name]}
        placeholder={placeholder}
        aria-invalid={errors[`channels.${i}.${name}`] ? true : undefined}
        onChange={(e) => edit(c.key, { [name]: e.target.value })}
      />,
    );

  const secretField = (c: ChannelDraft, i: number) => {
    const label = SECRET_LABEL[c.kind];
    if (!label) return null;
    const editing = !c.secretSet || c.secret !== undefined;
    return field(
      c,
      i,
      'secret',
      label,
      editing ? (
        <span className="secret-edit">
          <input
            id={`${c.key}-secret`}
            type="password"
            autoComplete="new-password"
            value={c.secret ?? ''}
            aria-invalid={errors[`channels.${i}.secret`] ? true : undefined}
            onChange={(e) => edit(c.key, { secret: e.target.value })}
          />
          {c.secretSet ? (
            <button type="button" className="small" onClick={() => edit(c.key, { secret: undefined })}>
              Keep the current one
            </button>
          ) : null}
          <span className="muted small">
            {c.kind === 'webhook'
              ? 'Kept encrypted on the backend; the receiver checks each message’s HMAC-SHA256 with it.'
              : c.secretSet
                ? 'Leave empty to sign in without a password.'
                : 'Optional. Kept encrypted on the backend.'}
          </span>
        </span>
      ) : (
        <span className="secret-set">
          <span className="badge" id={`${c.key}-secret`}>
            set
          </span>{' '}
          <button type="button" className="small" onClick={() => edit(c.key, { secret: '' })}>
            Replace
          </button>
          {c.kind === 'webhook' ? null : <span className="muted small"> never shown again</span>}
        </span>
      ),
    );
  };

  return (
    <section aria-label="Site alert settings" className="escalation-editor">
      <h2>Escalation and notification</h2>
      <label className="check">
        <input type="checkbox" checked={settings.sound} onChange={(e) => void saveSound(e.target.checked)} />{' '}
        sound for new incidents (every window of the site)
      </label>

      <h3>Notification channels</h3>
      {channels.length === 0 ? <p className="muted small">No channel yet: add one below.</p> : null}
      <ul className="channel-list">
        {channels.map((c, i) => {
          const id = named[i]?.id ?? c.id;
          const changed = dirty(c);
          return (
            <li key={c.key} className="channel-card panel" data-channel={id}>
              <div className="channel-head">
                <strong>{c.name.trim() || 'New channel'}</strong>{' '}
                <span className="badge">{kindLabel(c.kind)}</span>{' '}
                {changed ? <span className="muted small">unsaved</span> : null}
                <span className="spacer" />
                <button
                  type="button"
                  className="small"
                  disabled={changed || testing === c.key}
                  title={changed ? 'Save first: the test uses the saved channel' : undefined}
                  onClick={() => void sendTest(c)}
                >
                  {testing === c.key ? 'Sending…' : 'Send test'}
                </button>{' '}
                <button
                  type="button"
                  className="small"
                  aria-label={`Remove channel ${c.name.trim() || i + 1}`}
                  onClick={() => removeChannel(c)}
                >
                  Remove
                </button>
              </div>
              <div className="channel-status">
                {c.saved ? <Delivery last={deliveries.get(c.id)} /> : null}
                {changed && c.saved ? <span className="muted small"> · save to test the changes</span> : null}
              </div>
              <div className="rule-form">
                {text(c, i, 'name', 'Name', 'e.g. Control room webhook')}
                {c.kind === 'supervisors' ? text(c, i, 'team', 'Team', 'every team when empty') : null}
                {c.kind === 'webhook' ? text(c, i, 'url', 'URL', 'https://receiver.example/vigil') : null}
                {c.kind === 'mqtt' ? (
                  <>
                    {text(c, i, 'url', 'Broker', 'mqtt://broker.example:1883')}
                    {text(c, i, 'topic', 'Topic')}
                    {text(c, i, 'username', 'User name', 'none')}
                  </>
                ) : null}
                {c.kind === 'email' ? (
                  <>
                    {text(c, i, 'host', 'SMTP host', 'smtp.example.com')}
                    {field(
                      c,
                      i,
                      'port',
                      'Port',
                      <span className="group">
                        <input
                          id={`${c.key}-port`}
                          className="narrow"
                          inputMode="numeric"
                          value={c.port}
                          aria-invalid={errors[`channels.${i}.port`] ? true : undefined}
                          onChange={(e) => edit(c.key, { port: e.target.value })}
                        />
                        <label className="check">
                          <input
                            type="checkbox"
                            checked={c.secure}
                            onChange={(e) =>
                              edit(c.key, {
                                secure: e.target.checked,
                                ...(c.port === '587' && e.target.checked ? { port: '465' } : {}),
                                ...(c.port === '465' && !e.target.checked ? { port: '587' } : {}),
                              })
                            }
                          />{' '}
                          TLS from the start
                        </label>
                      </span>,
                    )}
                    {text(c, i, 'from', 'From', 'vigil@example.com')}
                    {field(
                      c,
                      i,
                      'to',
                      'To',
                      <textarea
                        id={`${c.key}-to`}
                        rows={2}
                        value={c.to}
                        placeholder="one or more addresses, separated by commas"
                        aria-invalid={errors[`channels.${i}.to`] ? true : undefined}
                        onChange={(e) => edit(c.key, { to: e.target.value })}
                      />,
                    )}
                    {text(c, i, 'username', 'User name', 'none')}
                  </>
                ) : null}
                {secretField(c, i)}
                {c.secretEnv || c.passwordEnv ? (
                  <>
                    <span className="muted small">Environment</span>
                    <span className="muted small">
                      secret from the backend’s environment variable {c.secretEnv ?? c.passwordEnv}
                    </span>
                  </>
                ) : null}
              </div>
            </li>
          );
        })}
      </ul>
      <div className="group add-channel">
        <label htmlFor="add-channel-kind">New channel</label>
        <select
          id="add-channel-kind"
          value={addKind}
          onChange={(e) => setAddKind(e.target.value as NotificationChannelKind)}
        >
          {CHANNEL_KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => setChannels([...channels, newChannel(addKind)])}>
          Add channel
        </button>
      </div>

      <h3>Escalation chain</h3>
      <p className="muted small">
        Each level notifies its channels when an incident is still unacknowledged that many minutes after it
        was raised. Level 1 at 0 minutes notifies as soon as an incident is raised.
      </p>
      {levels.length === 0 ? <p className="muted small">No level: incidents notify no one.</p> : null}
      <ol className="level-list">
        {levels.map((l, i) => (
          <li key={l.key} className="level-card panel" aria-label={`Level ${i + 1}`}>
            <div className="level-row">
              <strong>Level {i + 1}</strong>
              <input
                aria-label={`Level ${i + 1} name`}
                className="level-name"
                value={l.name}
                onChange={(e) => editLevel(l.key, { name: e.target.value })}
              />
              <span>after</span>
              <input
                aria-label={`Level ${i + 1} minutes`}
                className="narrow"
                inputMode="decimal"
                value={l.afterMin}
                aria-invalid={errors[`escalation.${i}.afterSec`] ? true : undefined}
                onChange={(e) => editLevel(l.key, { afterMin: e.target.value })}
              />
              <span>minutes unacknowledged → notify:</span>
              <span className="spacer" />
              <button
                type="button"
                className="small"
                aria-label={`Remove level ${i + 1}`}
                onClick={() => setLevels(levels.filter((x) => x.key !== l.key))}
              >
                Remove
              </button>
            </div>
            <FieldError errors={errors} at={`escalation.${i}.name`} />
            <FieldError errors={errors} at={`escalation.${i}.afterSec`} />
            <div className="choices" role="group" aria-label={`Level ${i + 1} channels`}>
              {named.length === 0 ? <span className="muted small">add a channel first</span> : null}
              {named.map((c) => (
                <label key={c.key} className="check">
                  <input
                    type="checkbox"
                    checked={l.channelKeys.includes(c.key)}
                    onChange={() =>
                      editLevel(l.key, {
                        channelKeys: l.channelKeys.includes(c.key)
                          ? l.channelKeys.filter((x) => x !== c.key)
                          : [...l.channelKeys, c.key],
                      })
                    }
                  />{' '}
                  {c.name.trim() || 'New channel'}
                </label>
              ))}
            </div>
            <FieldError errors={errors} at={`escalation.${i}.channelIds`} />
            <div className="muted small">{delayText(l.afterMin)}</div>
          </li>
        ))}
      </ol>
      <button type="button" onClick={() => setLevels([...levels, newLevel(levels)])}>
        Add level
      </button>
      <div className="save-row">
        <button type="button" className="primary" onClick={() => void save()}>
          Save channels and escalation
        </button>{' '}
        {message ? <span role="status">{message}</span> : null}
      </div>
    </section>
  );
}

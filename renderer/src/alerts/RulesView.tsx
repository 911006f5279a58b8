import { useEffect, useState } from 'react';
import type { AlertRule, CameraZones } from '../../../backend/src/contract';
import { api, path, Routes } from '../lib/api-client';
import { useCameras } from '../lib/store';
import { EscalationEditor } from './EscalationEditor';

const LABELS = ['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

interface Draft {
  id?: string;
  name: string;
  labels: string[];
  cameraIds: string[];
  zone: string;
  minDurationSec: string;
  dwellSec: string;
  minCount: string;
  cooldownSec: string;
  scheduleOn: boolean;
  from: string;
  to: string;
  days: number[];
  severity: AlertRule['severity'];
  enabled: boolean;
}

const EMPTY: Draft = {
  name: '',
  labels: ['person'],
  cameraIds: [],
  zone: '',
  minDurationSec: '0',
  dwellSec: '0',
  minCount: '1',
  cooldownSec: '0',
  scheduleOn: false,
  from: '22:00',
  to: '06:00',
  days: [],
  severity: 'warning',
  enabled: true,
};

function draftOf(r: AlertRule): Draft {
  return {
    id: r.id,
    name: r.name,
    labels: r.labels,
    cameraIds: r.cameraIds,
    zone: r.zone ?? '',
    minDurationSec: String(r.minDurationSec),
    dwellSec: String(r.dwellSec),
    minCount: String(r.minCount),
    cooldownSec: String(r.cooldownSec),
    scheduleOn: Boolean(r.schedule),
    from: r.schedule?.from ?? '22:00',
    to: r.schedule?.to ?? '06:00',
    days: r.schedule?.days ?? [],
    severity: r.severity,
    enabled: r.enabled,
  };
}

/** Checks a draft before sending it; the backend checks again and its answer lands next to the same field. */
export function validateRule(d: Draft): Record<string, string> {
  const errors: Record<string, string> = {};
  const num = (key: keyof Draft, min: number, max: number, what: string) => {
    const v = Number(d[key]);
    if (String(d[key]).trim() === '' || !Number.isFinite(v)) errors[key] = `${what}: enter a number`;
    else if (v < min || v > max) errors[key] = `${what}: from ${min} to ${max}`;
  };
  if (!d.name.trim()) errors.name = 'give the rule a name';
  if (!d.labels.length) errors.labels = 'choose at least one label';
  num('minDurationSec', 0, 86_400, 'minimum duration');
  num('dwellSec', 0, 86_400, 'dwell time');
  num('minCount', 1, 50, 'minimum object count');
  num('cooldownSec', 0, 86_400, 'cooldown');
  if (!errors.dwellSec && Number(d.dwellSec) > 0 && !d.zone)
    errors.dwellSec = 'a dwell time needs a zone to dwell in';
  if (!errors.minCount && !Number.isInteger(Number(d.minCount)))
    errors.minCount = 'a whole number of objects';
  return errors;
}

function bodyOf(d: Draft) {
  return {
    name: d.name.trim(),
    labels: d.labels,
    cameraIds: d.cameraIds,
    ...(d.zone ? { zone: d.zone } : {}),
    minDurationSec: Number(d.minDurationSec),
    dwellSec: Number(d.dwellSec),
    minCount: Number(d.minCount),
    cooldownSec: Number(d.cooldownSec),
    ...(d.scheduleOn
      ? { schedule: { from: d.from, to: d.to, ...(d.days.length ? { days: d.days } : {}) } }
      : {}),
    severity: d.severity,
    enabled: d.enabled,
  };
}

/** The rule editor and the site's alert settings (escalation levels, channels, sound). */
export function RulesView() {
  const { list: cameras } = useCameras();
  const [rules, setRules] = useState<AlertRule[]>([]);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | undefined>();
  const [zones, setZones] = useState<string[]>([]);

  const load = async () => {
    const r = await api.get<AlertRule[]>(Routes.detect.alertRules);
    if (r.ok) setRules(r.data);
  };
  useEffect(() => {
    void load();
  }, []);
  // Zones offered: those of the chosen cameras (all cameras when none is chosen).
  const zoneCameras = (draft.cameraIds.length ? draft.cameraIds : cameras.map((c) => c.id)).join(',');
  useEffect(() => {
    const ids = zoneCameras ? zoneCameras.split(',') : [];
    void Promise.all(ids.map((id) => api.get<CameraZones>(path(Routes.detect.zones, { id })))).then((rs) =>
      setZones([...new Set(rs.flatMap((r) => (r.ok ? r.data.zones.map((z) => z.name) : [])))]),
    );
  }, [zoneCameras]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft({ ...draft, [key]: value });
  const toggle = (key: 'labels' | 'cameraIds', value: string) =>
    set(key, draft[key].includes(value) ? draft[key].filter((x) => x !== value) : [...draft[key], value]);

  const save = async () => {
    const local = validateRule(draft);
    setErrors(local);
    setSaved(undefined);
    if (Object.keys(local).length) return;
    const r = draft.id
      ? await api.put<AlertRule>(path(Routes.detect.alertRule, { id: draft.id }), bodyOf(draft))
      : await api.post<AlertRule>(Routes.detect.alertRules, bodyOf(draft));
    if (r.ok) {
      setSaved(`Saved "${r.data.name}".`);
      setDraft(draftOf(r.data));
      await load();
    } else {
      // The backend names the field ("dwellSec: …"): show the message next to it.
      const m = /^([A-Za-z]+)(?:\.[\w.]+)?: (.*)$/.exec(r.message);
      setErrors(m ? { [m[1] as string]: m[2] as string } : { form: r.message });
    }
  };

  const remove = async (r: AlertRule) => {
    const res = await api.del(path(Routes.detect.alertRule, { id: r.id }));
    if (res.ok) {
      if (draft.id === r.id) setDraft(EMPTY);
      await load();
    }
  };

  const err = (key: string) =>
    errors[key] ? (
      <div className="field-error" role="alert" data-field={key}>
        {errors[key]}
      </div>
    ) : null;

  return (
    <div className="rules-view">
      <section aria-label="Rules">
        <h2>Rules</h2>
        <ul className="rules-list">
          {rules.map((r) => (
            <li key={r.id}>
              <button className="link" onClick={() => (setDraft(draftOf(r)), setErrors({}))}>
                {r.name}
              </button>{' '}
              <span className="muted small">
                {r.labels.join(', ')} · {r.severity}
                {r.enabled ? '' : ' · off'}
              </span>{' '}
              <button className="small" onClick={() => void remove(r)} aria-label={`Delete ${r.name}`}>
                Delete
              </button>
            </li>
          ))}
        </ul>
        <button onClick={() => (setDraft(EMPTY), setErrors({}), setSaved(undefined))}>New rule</button>
      </section>
      <section aria-label="Rule editor">
        <h2>{draft.id ? 'Edit rule' : 'New rule'}</h2>
        <form
          className="rule-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <label htmlFor="rule-name">Name</label>
          <input id="rule-name" value={draft.name} onChange={(e) => set('name', e.target.value)} />
          {err('name')}
          <span>Labels</span>
          <div className="choices" role="group" aria-label="Labels">
            {LABELS.map((l) => (
              <label key={l} className="check">
                <input
                  type="checkbox"
                  checked={draft.labels.includes(l)}
                  onChange={() => toggle('labels', l)}
                />{' '}
                {l}
              </label>
            ))}
          </div>
          {err('labels')}
          <span>Cameras</span>
          <div className="choices" role="group" aria-label="Cameras">
            {cameras.map((c) => (
              <label key={c.id} className="check">
                <input
                  type="checkbox"
                  checked={draft.cameraIds.includes(c.id)}
                  onChange={() => toggle('cameraIds', c.id)}
                />{' '}
                {c.name ?? c.id}
              </label>
            ))}
            <span className="muted small">{draft.cameraIds.length ? '' : 'none chosen: every camera'}</span>
          </div>
          {err('cameraIds')}
          <label htmlFor="rule-zone">Zone</label>
          <select id="rule-zone" value={draft.zone} onChange={(e) => set('zone', e.target.value)}>
            <option value="">anywhere in the picture</option>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
          {err('zone')}
          <label htmlFor="rule-min-duration">Minimum duration (s)</label>
          <input
            id="rule-min-duration"
            inputMode="decimal"
            value={draft.minDurationSec}
            onChange={(e) => set('minDurationSec', e.target.value)}
          />
          {err('minDurationSec')}
          <label htmlFor="rule-dwell">Dwell in zone (s)</label>
          <input
            id="rule-dwell"
            inputMode="decimal"
            value={draft.dwellSec}
            onChange={(e) => set('dwellSec', e.target.value)}
          />
          {err('dwellSec')}
          <label htmlFor="rule-count">Minimum objects</label>
          <input
            id="rule-count"
            inputMode="numeric"
            value={draft.minCount}
            onChange={(e) => set('minCount', e.target.value)}
          />
          {err('minCount')}
          <label htmlFor="rule-cooldown">Cooldown (s)</label>
          <input
            id="rule-cooldown"
            inputMode="decimal"
            value={draft.cooldownSec}
            onChange={(e) => set('cooldownSec', e.target.value)}
          />
          {err('cooldownSec')}
          <span>Schedule</span>
          <div className="choices">
            <label className="check">
              <input
                type="checkbox"
                checked={draft.scheduleOn}
                onChange={(e) => set('scheduleOn', e.target.checked)}
              />{' '}
              only
            </label>
            {draft.scheduleOn ? (
              <>
                <input
                  aria-label="From"
                  type="time"
                  value={draft.from}
                  onChange={(e) => set('from', e.target.value)}
                />
                <input
                  aria-label="To"
                  type="time"
                  value={draft.to}
                  onChange={(e) => set('to', e.target.value)}
                />
                {DAYS.map((d, i) => (
                  <label key={d} className="check small">
                    <input
                      type="checkbox"
                      checked={draft.days.includes(i)}
                      onChange={() =>
                        set(
                          'days',
                          draft.days.includes(i) ? draft.days.filter((x) => x !== i) : [...draft.days, i],
                        )
                      }
                    />{' '}
                    {d}
                  </label>
                ))}
              </>
            ) : (
              <span className="muted small">always</span>
            )}
          </div>
          {err('schedule')}
          <label htmlFor="rule-severity">Severity</label>
          <select
            id="rule-severity"
            value={draft.severity}
            onChange={(e) => set('severity', e.target.value as Draft['severity'])}
          >
            <option value="info">info</option>
            <option value="warning">warning</option>
            <option value="critical">critical</option>
          </select>
          <span>Enabled</span>
          <label className="check">
            <input
              type="checkbox"
              checked={draft.enabled}
              onChange={(e) => set('enabled', e.target.checked)}
            />{' '}
            raises incidents
          </label>
          <span />
          <div>
            <button type="submit" className="primary">
              Save rule
            </button>{' '}
            {saved ? <span role="status">{saved}</span> : null}
          </div>
          {err('form')}
        </form>
        <EscalationEditor />
      </section>
    </div>
  );
}

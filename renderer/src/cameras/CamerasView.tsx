import { useState } from 'react';
import { api, path, Routes } from '../lib/api-client';
import { reloadCameras, useCameras } from '../lib/store';
import type { CameraDetail, CameraStatus, ProbeResponse } from '../../../backend/src/contract';
import { ZoneEditor } from './ZoneEditor';
import {
  CAMERA_ID_PATTERN,
  cameraFormError,
  type CameraFormError,
  type CameraFormField,
} from './form-errors';

type SourceKind = 'rtsp' | 'url' | 'file';

interface Draft {
  id: string;
  name: string;
  kind: SourceKind;
  url: string;
  /** User name for the camera (RTSP and URL sources). */
  username: string;
  /** A new password; empty keeps the stored one. Never filled from the backend, which never sends it. */
  password: string;
  /** Whether the backend keeps a password for the main stream. */
  passwordSet: boolean;
  enabled: boolean;
  location: string;
  isNew: boolean;
  /** Declared in the configuration file: shown read-only, since the file's settings win at every start. */
  setInConfigFile: boolean;
  /** The stored configuration being edited: fields the form does not show are sent back unchanged. */
  config?: CameraDetail['config'];
}

function sourceOf(d: Draft): Record<string, unknown> {
  const previous = d.config?.main as Record<string, unknown> | undefined;
  if (d.kind === 'file')
    return { kind: 'file', path: d.url, loop: previous?.kind === 'file' ? previous.loop : true };
  const source: Record<string, unknown> = { kind: d.kind, url: d.url };
  if (d.kind === 'rtsp' && previous?.kind === 'rtsp' && previous.transport)
    source.transport = previous.transport;
  if (previous?.kind === d.kind && previous.passwordEnv) source.passwordEnv = previous.passwordEnv;
  if (d.username) source.username = d.username;
  if (d.password) source.password = d.password;
  return source;
}

function draftFrom(c: CameraStatus & { config?: CameraDetail['config'] }): Draft {
  const main = c.config?.main;
  const network = main?.kind === 'rtsp' || main?.kind === 'url';
  return {
    id: c.id,
    name: c.name,
    kind: main?.kind === 'testPattern' || !main ? 'rtsp' : main.kind,
    url: network ? main.url : main?.kind === 'file' ? main.path : '',
    username: network ? (main.username ?? '') : '',
    password: '',
    passwordSet: network ? Boolean(main.passwordSet) : false,
    enabled: c.enabled,
    location: c.location ?? '',
    isNew: false,
    setInConfigFile: Boolean(c.setInConfigFile),
    config: c.config,
  };
}

const EMPTY: Draft = {
  id: '',
  name: '',
  kind: 'rtsp',
  url: 'rtsp://',
  username: '',
  password: '',
  passwordSet: false,
  enabled: true,
  location: '',
  isNew: true,
  setInConfigFile: false,
};

/** Why a camera of the configuration file cannot be changed here. */
const SET_IN_FILE_NOTE =
  'Set in the configuration file: change it there and restart Vigil; the file wins at every start. Zones stay editable here.';

export function CamerasView() {
  const { list, error } = useCameras();
  const [draft, setDraft] = useState<Draft | undefined>();
  const [probe, setProbe] = useState<{ busy: boolean; result?: ProbeResponse; error?: string }>({
    busy: false,
  });
  const [saveMsg, setSaveMsg] = useState<string | undefined>();
  /** The last save's error, beside the field it names (or beside Save when it names none of the form's). */
  const [saveError, setSaveError] = useState<CameraFormError | undefined>();
  const [zonesFor, setZonesFor] = useState<string | undefined>();

  const edit = async (c: CameraStatus) => {
    const r = await api.get<CameraDetail>(path(Routes.video.camera, { id: c.id }));
    setDraft(draftFrom(r.ok ? { ...c, ...r.data } : c));
    setProbe({ busy: false });
    setSaveMsg(undefined);
    setSaveError(undefined);
  };

  const test = async () => {
    if (!draft) return;
    setProbe({ busy: true });
    const r = await api.post<ProbeResponse>(Routes.video.probe, {
      source: sourceOf(draft),
      ...(draft.isNew ? {} : { cameraId: draft.id }),
    });
    if (r.ok) setProbe({ busy: false, result: r.data });
    else
      setProbe({
        busy: false,
        error: r.notAvailable ? 'Testing a camera: not available on this backend.' : r.message,
      });
  };

  const save = async () => {
    if (!draft) return;
    const body = {
      ...(draft.config ?? {}),
      id: draft.id,
      name: draft.name,
      enabled: draft.enabled,
      main: sourceOf(draft),
      location: draft.location,
    };
    const r = draft.isNew
      ? await api.post(Routes.video.cameras, body)
      : await api.put(path(Routes.video.camera, { id: draft.id }), body);
    if (r.ok) {
      setSaveMsg('Saved.');
      setSaveError(undefined);
      setDraft(undefined);
      void reloadCameras();
    } else
      setSaveError(
        r.notAvailable
          ? { text: 'Changing cameras: not available on this backend.' }
          : cameraFormError(r.message, r.field),
      );
  };

  const remove = async (id: string) => {
    if (!window.confirm(`Remove camera ${id}? Its recordings stay until retention deletes them.`)) return;
    const r = await api.del(path(Routes.video.camera, { id }));
    setSaveMsg(r.ok ? 'Removed.' : r.message);
    void reloadCameras();
  };

  /** Edits one field of the draft; an error shown beside that field goes, since the value it was about has changed. */
  const change = (field: CameraFormField, patch: Partial<Draft>) => {
    if (!draft) return;
    setDraft({ ...draft, ...patch });
    if (saveError?.field === field) setSaveError(undefined);
  };
  /** The attributes that tie an input to the error beside it. */
  const errorProps = (field: CameraFormField) =>
    saveError?.field === field
      ? { 'aria-invalid': true as const, 'aria-describedby': `camera-${field}-error` }
      : {};
  const errorAt = (field: CameraFormField) =>
    saveError?.field === field ? (
      <div id={`camera-${field}-error`} className="field-error" role="alert">
        {saveError.text}
      </div>
    ) : null;

  return (
    <div className="cameras-view">
      <section className="panel" aria-label="Camera list">
        <div className="row">
          <h3>Cameras</h3>
          <button
            className="primary"
            onClick={() => {
              setDraft(EMPTY);
              setProbe({ busy: false });
              setSaveError(undefined);
            }}
          >
            Add camera
          </button>
        </div>
        {error ? <div className="unavailable">{error}</div> : null}
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Id</th>
              <th>State</th>
              <th>Resolution</th>
              <th>Location</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td className="muted">
                  {c.id}
                  {c.setInConfigFile ? (
                    <>
                      {' '}
                      <span className="badge" title={SET_IN_FILE_NOTE}>
                        config file
                      </span>
                    </>
                  ) : null}
                </td>
                <td>
                  <span className={`badge state-${c.state}`}>{c.state}</span>{' '}
                  <span className="muted small">{c.reason ?? ''}</span>
                </td>
                <td>{c.width ? `${c.width}×${c.height} ${c.codec ?? ''}` : '–'}</td>
                <td>{c.location}</td>
                <td className="actions">
                  <button onClick={() => void edit(c)}>{c.setInConfigFile ? 'View' : 'Edit'}</button>
                  <button onClick={() => setZonesFor(c.id)}>Zones</button>
                  {c.setInConfigFile ? null : <button onClick={() => void remove(c.id)}>Remove</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {saveMsg ? <div className="muted">{saveMsg}</div> : null}
      </section>
      {draft ? (
        <section className="panel" aria-label="Camera settings">
          <h3>{draft.isNew ? 'New camera' : draft.setInConfigFile ? draft.name : `Edit ${draft.name}`}</h3>
          {draft.setInConfigFile ? (
            <p className="muted" role="note">
              {SET_IN_FILE_NOTE}
            </p>
          ) : null}
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <fieldset className="plain" disabled={draft.setInConfigFile}>
              <div className="field">
                <label>
                  Id
                  <input
                    value={draft.id}
                    disabled={!draft.isNew}
                    pattern={CAMERA_ID_PATTERN}
                    title='Lower-case letters, digits, "-" and "_", at most 63 characters'
                    required
                    {...errorProps('id')}
                    onChange={(e) => change('id', { id: e.target.value })}
                  />
                </label>
                {errorAt('id')}
              </div>
              <div className="field">
                <label>
                  Name
                  <input
                    value={draft.name}
                    required
                    {...errorProps('name')}
                    onChange={(e) => change('name', { name: e.target.value })}
                  />
                </label>
                {errorAt('name')}
              </div>
              <label>
                Source
                <select
                  value={draft.kind}
                  onChange={(e) => change('url', { kind: e.target.value as SourceKind })}
                >
                  <option value="rtsp">RTSP camera</option>
                  <option value="url">Other URL (HTTP, HLS, RTMP, SRT…)</option>
                  <option value="file">File</option>
                </select>
              </label>
              <div className="field">
                <label>
                  {draft.kind === 'file' ? 'Path' : 'URL'}
                  <input
                    value={draft.url}
                    required
                    maxLength={draft.kind === 'file' ? 4096 : 2048}
                    {...errorProps('url')}
                    onChange={(e) => change('url', { url: e.target.value })}
                  />
                </label>
                {errorAt('url')}
              </div>
              {draft.kind !== 'file' ? (
                <>
                  <div className="field">
                    <label>
                      User name
                      <input
                        value={draft.username}
                        autoComplete="off"
                        maxLength={256}
                        {...errorProps('username')}
                        onChange={(e) => change('username', { username: e.target.value })}
                      />
                    </label>
                    {errorAt('username')}
                  </div>
                  <div className="field">
                    <label>
                      Password{' '}
                      <span className="muted small">
                        {draft.passwordSet ? 'set — leave blank to keep it' : 'not set'}
                      </span>
                      <input
                        type="password"
                        value={draft.password}
                        autoComplete="new-password"
                        maxLength={1024}
                        placeholder={draft.passwordSet ? '••••••••' : ''}
                        {...errorProps('password')}
                        onChange={(e) => change('password', { password: e.target.value })}
                      />
                    </label>
                    {errorAt('password')}
                  </div>
                </>
              ) : null}
              <div className="field">
                <label>
                  Location
                  <input
                    value={draft.location}
                    {...errorProps('location')}
                    onChange={(e) => change('location', { location: e.target.value })}
                  />
                </label>
                {errorAt('location')}
              </div>
              <label className="check">
                <input
                  type="checkbox"
                  checked={draft.enabled}
                  onChange={(e) => setDraft({ ...draft, enabled: e.target.checked })}
                />{' '}
                Enabled
              </label>
            </fieldset>
            <div className="row">
              <button type="button" onClick={() => void test()} disabled={probe.busy}>
                {probe.busy ? 'Testing…' : 'Test'}
              </button>
              {draft.setInConfigFile ? null : (
                <button type="submit" className="primary">
                  Save
                </button>
              )}
              <button type="button" onClick={() => setDraft(undefined)}>
                Cancel
              </button>
            </div>
            {saveError && !saveError.field ? (
              <div className="field-error" role="alert">
                {saveError.text}
              </div>
            ) : null}
          </form>
          <div className="probe" aria-live="polite">
            {probe.error ? <div className="unavailable">{probe.error}</div> : null}
            {probe.result?.ok === false ? (
              <div className="unavailable">Camera test failed: {probe.result.reason}</div>
            ) : null}
            {probe.result?.ok ? (
              <>
                <div className="ok-text">
                  Connected: {probe.result.codec} {probe.result.width}×{probe.result.height} at{' '}
                  {probe.result.fps} fps
                </div>
                <img
                  className="probe-img"
                  alt="Snapshot from the camera"
                  src={`data:image/jpeg;base64,${probe.result.snapshotJpegBase64}`}
                />
              </>
            ) : null}
          </div>
        </section>
      ) : null}
      {zonesFor ? (
        <ZoneEditor key={zonesFor} cameraId={zonesFor} onClose={() => setZonesFor(undefined)} />
      ) : null}
    </div>
  );
}

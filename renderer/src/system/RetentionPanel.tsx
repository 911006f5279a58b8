import { useState } from 'react';
import type { CameraStatus, RetentionResponse } from '../../../backend/src/contract';
import { api, path, Routes, type ApiResult } from '../lib/api-client';
import { formatBytes, formatDays, formatSpan } from '../lib/format';
import { useApi } from '../lib/hooks';
import { Unavailable } from '../lib/Unavailable';

function ageWords(days: number): string {
  return days > 0 ? `${days} day${days === 1 ? '' : 's'}` : 'no age limit';
}

/**
 * How long footage is kept, globally and per camera, with the forecast: the bytes each camera records a day, and
 * how many days of footage the video store holds at that rate.
 */
export function RetentionPanel({ cameras }: { cameras: CameraStatus[] }) {
  const { result, reload } = useApi<RetentionResponse>(Routes.video.retention, 60_000);
  const [globalDays, setGlobalDays] = useState<string | undefined>();
  const [cameraDays, setCameraDays] = useState<Record<string, string>>({});
  const [note, setNote] = useState<{ ok: boolean; text: string } | undefined>();

  const done = (r: ApiResult<RetentionResponse>, what: string) => {
    setNote(r.ok ? { ok: true, text: `${what} saved.` } : { ok: false, text: r.message });
    if (r.ok) {
      setGlobalDays(undefined);
      setCameraDays({});
      reload();
    }
  };
  if (!result?.ok) return <Unavailable result={result} what="Retention" />;
  const r = result.data;
  const f = r.forecast;
  const fits = f.bytesNeeded <= f.capacityBytes;
  const ids = [...new Set([...cameras.map((c) => c.id), ...Object.keys(f.perCamera)])];
  const nameOf = (id: string) => cameras.find((c) => c.id === id)?.name ?? id;

  return (
    <div className="retention">
      <p className="small" aria-label="Forecast">
        {f.bytesPerDay > 0 ? (
          <>
            The cameras record {formatBytes(f.bytesPerDay)} a day (measured over {formatSpan(f.measuredMs)} of
            footage). Recordings may take {formatBytes(f.capacityBytes)} of the disk, which holds about{' '}
            <strong>{formatDays(f.daysThatFit ?? 0)}</strong> of footage at this rate.{' '}
            {f.bytesNeeded > 0 ? (
              fits ? (
                <span className="ok-text">
                  Keeping footage as set below needs {formatBytes(f.bytesNeeded)}: it fits.
                </span>
              ) : (
                <span className="error-text">
                  Keeping footage as set below needs {formatBytes(f.bytesNeeded)}: it does not fit, so the
                  oldest footage will go after about {formatDays(f.daysThatFit ?? 0)}.
                </span>
              )
            ) : null}
          </>
        ) : (
          <>No recordings yet to measure the rate from; the forecast follows the first recorded segments.</>
        )}
        {r.maxBytes > 0 ? ` Budget for recordings: ${formatBytes(r.maxBytes)}.` : ''} At least{' '}
        {r.minFreePercent} % of the disk is kept free.
      </p>
      <form
        className="row"
        aria-label="Global retention"
        onSubmit={(e) => {
          e.preventDefault();
          void api
            .put<RetentionResponse>(Routes.video.retention, {
              maxAgeDays: Number(globalDays ?? r.maxAgeDays),
            })
            .then((res) => done(res, 'Retention'));
        }}
      >
        <label>
          Keep footage for{' '}
          <input
            className="tiny"
            type="number"
            min={0}
            max={36500}
            step="any"
            required
            value={globalDays ?? String(r.maxAgeDays)}
            onChange={(e) => setGlobalDays(e.target.value)}
          />{' '}
          days
        </label>
        <span className="muted small">0: no age limit · every camera without its own limit</span>
        <button type="submit" className="primary" disabled={globalDays === undefined}>
          Save
        </button>
      </form>
      <table aria-label="Retention per camera">
        <thead>
          <tr>
            <th>Camera</th>
            <th>Records a day</th>
            <th>Keeps</th>
            <th>Needs</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {ids.map((id) => {
            const c = f.perCamera[id];
            const own = r.perCameraMaxAgeDays[id];
            const value = cameraDays[id] ?? (own !== undefined ? String(own) : '');
            const save = (maxAgeDays: number | null) =>
              void api
                .put<RetentionResponse>(path(Routes.video.cameraRetention, { id }), { maxAgeDays })
                .then((res) => done(res, `Retention of ${nameOf(id)}`));
            return (
              <tr key={id}>
                <td>{nameOf(id)}</td>
                <td>{c && c.bytesPerDay > 0 ? formatBytes(c.bytesPerDay) : '–'}</td>
                <td>
                  <input
                    className="tiny"
                    type="number"
                    min={0}
                    max={36500}
                    step="any"
                    aria-label={`Days to keep footage of ${nameOf(id)}`}
                    placeholder={String(r.maxAgeDays)}
                    value={value}
                    onChange={(e) => setCameraDays({ ...cameraDays, [id]: e.target.value })}
                  />{' '}
                  <span className="muted small">
                    {own !== undefined ? 'its own' : `global: ${ageWords(r.maxAgeDays)}`}
                  </span>
                </td>
                <td>{c && c.bytesNeeded > 0 ? formatBytes(c.bytesNeeded) : '–'}</td>
                <td className="actions">
                  <button
                    disabled={cameraDays[id] === undefined || cameraDays[id] === ''}
                    onClick={() => save(Number(cameraDays[id]))}
                  >
                    Save
                  </button>
                  {own !== undefined ? <button onClick={() => save(null)}>Use global</button> : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {note ? (
        <div className={note.ok ? 'ok-text small' : 'error-text small'} role="status">
          {note.text}
        </div>
      ) : null}
    </div>
  );
}

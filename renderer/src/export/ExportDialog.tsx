import { useState } from 'react';
import type { EvidenceExportResult } from '../../../backend/src/contract/backup';
import { BackupApiRoutes, MAX_CASE_NUMBER, MAX_EXPORT_REASON } from '../../../backend/src/contract/backup';
import { request, type ApiResult } from '../lib/api-client';
import { formatBytes } from '../lib/format';
import { TRAIL_EXPORT_MARGIN_SEC } from '../../../backend/src/contract/investigation';
import '../backup/backup.css';
import { DownloadLink } from '../desktop';

/** The export's file name as the backend names it (its id), for the save dialog. */
function exportFileName(result: EvidenceExportResult): string {
  const id = result.downloadUrl?.match(/\/export\/([^/]+)\/download/)?.[1];
  return `${id ? decodeURIComponent(id) : 'evidence-export'}.zip`;
}

export interface ExportDialogProps {
  /** Cameras preselected (the event's camera, or the timeline's). */
  cameraIds: string[];
  /** Every camera the investigator may add; defaults to `cameraIds`. */
  availableCameras?: { id: string; name: string }[];
  /** Range preselected, ms since the epoch (e.g. event start − 30 s … event end + 30 s). */
  from: number;
  to: number;
  onClose: () => void;
  /** Called after a successful export. */
  onExported?: (result: EvidenceExportResult) => void;
  /**
   * Export a trail instead: the backend takes its cameras over the span of its confirmed sightings (± the margin)
   * and adds trail.json; `cameraIds`, `from` and `to` are then only shown.
   */
  trail?: { id: string; name: string; caseNumber: string };
}

/** `<input type="datetime-local">` wants local time without a zone. */
function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}

/**
 * The evidence export dialog: cameras, range and reason → a signed zip (or folder on the backend machine) with the
 * clips, snapshots, events and continuity report; shows the signing key fingerprint and a download link.
 */
export function ExportDialog(props: ExportDialogProps) {
  const cameras = props.availableCameras ?? props.cameraIds.map((id) => ({ id, name: id }));
  const [selected, setSelected] = useState<string[]>(props.cameraIds);
  const [from, setFrom] = useState(toLocalInput(props.from));
  const [to, setTo] = useState(toLocalInput(props.to));
  const [reason, setReason] = useState('');
  const [caseNumber, setCaseNumber] = useState(props.trail?.caseNumber ?? '');
  const [marginSec, setMarginSec] = useState(TRAIL_EXPORT_MARGIN_SEC);
  // Both are required: the signed manifest names them with the person who exported.
  const missing = [
    ...(caseNumber.trim() ? [] : ['a case number']),
    ...(reason.trim().length >= 3 ? [] : ['a reason']),
  ];
  const [format, setFormat] = useState<'zip' | 'folder'>('zip');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ApiResult<EvidenceExportResult>>();

  const submit = async () => {
    setBusy(true);
    const common = { format, reason: reason.trim(), caseNumber: caseNumber.trim() };
    const r = await request<EvidenceExportResult>(
      'POST',
      BackupApiRoutes.export,
      props.trail
        ? { trailId: props.trail.id, marginSec, ...common }
        : { cameraIds: selected, from: new Date(from).getTime(), to: new Date(to).getTime(), ...common },
    );
    setBusy(false);
    setResult(r);
    if (r.ok) props.onExported?.(r.data);
  };

  return (
    <div className="export-dialog-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div className="export-dialog" role="dialog" aria-modal="true" aria-label="Export evidence">
        <h2>{props.trail ? `Export the trail “${props.trail.name}”` : 'Export evidence'}</h2>
        {props.trail ? (
          <>
            <p className="muted">
              Cameras {cameras.map((c) => c.name).join(', ')} from {new Date(props.from).toLocaleString()} to{' '}
              {new Date(props.to).toLocaleString()} (its confirmed sightings, and the margin below either
              side), with trail.json: the sightings in order and where each camera is on the site map.
            </p>
            <label>
              Margin before the first and after the last sighting (seconds)
              <input
                type="number"
                min={0}
                max={3600}
                value={marginSec}
                onChange={(e) =>
                  setMarginSec(Math.min(3600, Math.max(0, Math.round(Number(e.target.value) || 0))))
                }
              />
            </label>
          </>
        ) : null}
        <fieldset aria-label="Cameras" hidden={!!props.trail} style={{ border: 0, padding: 0, margin: 0 }}>
          {cameras.map((c) => (
            <label key={c.id} style={{ flexDirection: 'row', gap: '0.4rem' }}>
              <input
                type="checkbox"
                checked={selected.includes(c.id)}
                onChange={(e) =>
                  setSelected((s) => (e.target.checked ? [...s, c.id] : s.filter((x) => x !== c.id)))
                }
              />
              {c.name}
            </label>
          ))}
        </fieldset>
        {props.trail ? null : (
          <>
            <label>
              From
              <input type="datetime-local" step={1} value={from} onChange={(e) => setFrom(e.target.value)} />
            </label>
            <label>
              To
              <input type="datetime-local" step={1} value={to} onChange={(e) => setTo(e.target.value)} />
            </label>
          </>
        )}
        <label>
          Case number (required)
          <input
            value={caseNumber}
            required
            aria-required="true"
            onChange={(e) => setCaseNumber(e.target.value)}
            maxLength={MAX_CASE_NUMBER}
          />
        </label>
        <label>
          Reason (required: the request or incident)
          <input
            value={reason}
            required
            aria-required="true"
            onChange={(e) => setReason(e.target.value)}
            maxLength={MAX_EXPORT_REASON}
          />
        </label>
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(e.target.value as 'zip' | 'folder')}>
            <option value="zip">Zip file to download</option>
            <option value="folder">Folder on the backend machine</option>
          </select>
        </label>
        <p className="muted">
          The footage is copied without re-encoding. Every file is listed with its SHA-256 in a manifest
          signed with this installation’s key; the range is protected from deletion and the export is recorded
          in the audit log. Check an export anywhere with{' '}
          <code>vigil verify &lt;export&gt; --key &lt;fingerprint&gt;</code>: only the key’s fingerprint
          proves the export came from this installation.
        </p>
        {result && !result.ok && (
          <p className="error-text" role="alert">
            {result.message}
          </p>
        )}
        {result?.ok && (
          <div role="status">
            <p className="ok-text">
              Exported {result.data.files} files ({formatBytes(result.data.bytes)}).
            </p>
            {result.data.downloadUrl ? (
              <p>
                <DownloadLink href={result.data.downloadUrl} fileName={exportFileName(result.data)}>
                  Download the export
                </DownloadLink>
              </p>
            ) : (
              <p>Written to {result.data.location}</p>
            )}
            <p className="muted">
              Signing key fingerprint: <span className="fingerprint">{result.data.keyFingerprint}</span>
            </p>
            {result.data.warnings.map((w) => (
              <p key={w} className="error-text">
                {w}
              </p>
            ))}
          </div>
        )}
        <div>
          {missing.length && !result?.ok ? (
            <p className="muted" role="note">
              Give {missing.join(' and ')} to export.
            </p>
          ) : null}
          <button
            className="primary"
            disabled={busy || selected.length === 0 || missing.length > 0}
            onClick={() => void submit()}
          >
            {busy ? 'Exporting…' : 'Export'}
          </button>
          <button onClick={props.onClose}>{result?.ok ? 'Close' : 'Cancel'}</button>
        </div>
      </div>
    </div>
  );
}

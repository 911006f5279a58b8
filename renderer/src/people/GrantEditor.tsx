import type { CameraRight } from '../../../backend/src/contract/people';
import type { GrantDraft } from './grants';

export interface CameraChoice {
  id: string;
  name: string;
}

/**
 * Picks cameras (one by one, by group, or all of them) and the rights on each, offering only the rights the role
 * (or token) may have.
 */
export function GrantEditor(props: {
  legend: string;
  value: GrantDraft;
  onChange: (next: Map<string, CameraRight[]>) => void;
  allowed: readonly CameraRight[];
  cameras: readonly CameraChoice[];
  groups: readonly string[];
  error?: string;
}) {
  const { value, allowed } = props;
  const set = (target: string, rights: readonly CameraRight[] | undefined) => {
    const next = new Map(value as Map<string, CameraRight[]>);
    if (rights && rights.length > 0) next.set(target, [...rights]);
    else next.delete(target);
    props.onChange(next);
  };
  const all = value.has('*');
  const targets: CameraChoice[] = [
    ...props.groups.map((g) => ({ id: `@${g}`, name: `Group ${g}` })),
    ...props.cameras,
  ];
  const row = (t: CameraChoice) => {
    const rights = value.get(t.id);
    return (
      <div className="grant-row" key={t.id}>
        <label className="check">
          <input
            type="checkbox"
            checked={rights !== undefined}
            onChange={(e) => set(t.id, e.target.checked ? allowed : undefined)}
          />
          {t.name}
        </label>
        {allowed.map((r) => (
          <label className="check small" key={r}>
            <input
              type="checkbox"
              aria-label={`${t.name}: ${r}`}
              disabled={rights === undefined}
              checked={rights?.includes(r) ?? false}
              onChange={(e) =>
                set(
                  t.id,
                  allowed.filter((x) => (x === r ? e.target.checked : (rights ?? []).includes(x))),
                )
              }
            />
            {r}
          </label>
        ))}
      </div>
    );
  };
  return (
    <fieldset className="grant-editor" aria-invalid={props.error ? true : undefined}>
      <legend>{props.legend}</legend>
      {row({ id: '*', name: 'All cameras' })}
      {all ? null : targets.length === 0 ? (
        <div className="muted small">No cameras or groups yet.</div>
      ) : (
        targets.map(row)
      )}
      <div className="muted small">
        Rights offered: {allowed.join(', ')} (what this role may have at most).
      </div>
      {props.error ? (
        <div className="field-error" role="alert">
          {props.error}
        </div>
      ) : null}
    </fieldset>
  );
}

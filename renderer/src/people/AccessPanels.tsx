import { useEffect, useState, type FormEvent } from 'react';
import {
  CAMERA_RIGHTS,
  PERMISSIONS,
  PeopleApiRoutes as R,
  type ApiTokenInfo,
  type CameraGroup,
  type CameraRight,
  type NewTokenResponse,
  type Permission,
  type PeopleSettings,
} from '../../../backend/src/contract/people';
import { useApi } from '../lib/hooks';
import { api, path, type ApiResult } from '../lib/api-client';
import { formatTime } from '../lib/format';
import { Unavailable } from '../lib/Unavailable';
import { Field, FormError } from './Field';
import { GrantEditor, type CameraChoice } from './GrantEditor';
import { describeGrants, toGrants } from './grants';
import { NoticeLine, noticeOf as notice, type Notice } from './Notice';

/** Named sets of cameras, granted to people and tokens as `@name`. */
export function GroupsPanel(props: {
  groups: { result: ApiResult<CameraGroup[]> | undefined; reload: () => void };
  cameras: CameraChoice[];
}) {
  const [name, setName] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [note, setNote] = useState<Notice>();
  const cameraName = (id: string) => props.cameras.find((c) => c.id === id)?.name ?? id;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setError('Name the group.');
    const r = await api.put(path(R.group, { name: name.trim() }), { name: name.trim(), cameras: picked });
    if (!r.ok) return setError(r.message);
    setError(undefined);
    setNote({ kind: 'ok', text: `Group ${name.trim()} is saved.` });
    setName('');
    setPicked([]);
    props.groups.reload();
  };

  return (
    <section className="panel" aria-label="Camera groups">
      <h3>Camera groups</h3>
      <NoticeLine notice={note} />
      {props.groups.result?.ok ? (
        props.groups.result.data.length === 0 ? (
          <div className="muted">No groups yet.</div>
        ) : (
          <table>
            <tbody>
              {props.groups.result.data.map((g) => (
                <tr key={g.name} aria-label={`Group ${g.name}`}>
                  <td>@{g.name}</td>
                  <td className="small">{g.cameras.map(cameraName).join(', ') || 'no cameras'}</td>
                  <td className="actions">
                    <button
                      type="button"
                      onClick={() => {
                        setName(g.name);
                        setPicked(g.cameras);
                      }}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      onClick={async () => {
                        const r = await api.del(path(R.group, { name: g.name }));
                        setNote(notice(r, `Group ${g.name} is removed.`));
                        props.groups.reload();
                      }}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : (
        <Unavailable result={props.groups.result} what="Camera groups" />
      )}
      <form className="inline-form" onSubmit={(e) => void save(e)} noValidate>
        <Field label="Group name" value={name} error={error} onChange={(e) => setName(e.target.value)} />
        <fieldset className="grant-editor">
          <legend>Cameras in the group</legend>
          {props.cameras.map((c) => (
            <label className="check" key={c.id}>
              <input
                type="checkbox"
                checked={picked.includes(c.id)}
                onChange={(e) =>
                  setPicked((p) => (e.target.checked ? [...p, c.id] : p.filter((x) => x !== c.id)))
                }
              />
              {c.name}
            </label>
          ))}
        </fieldset>
        <button type="submit">Save group</button>
      </form>
    </section>
  );
}

/** API tokens for scripts and integrations: what each may do, on which cameras, until when. */
export function TokensPanel(props: { cameras: CameraChoice[]; groups: string[] }) {
  const tokens = useApi<ApiTokenInfo[]>(R.tokens);
  const [name, setName] = useState('');
  const [perms, setPerms] = useState<Permission[]>([]);
  const [grants, setGrants] = useState<Map<string, CameraRight[]>>(
    () => new Map([['*', [...CAMERA_RIGHTS]]]),
  );
  const [days, setDays] = useState('');
  const [errors, setErrors] = useState<
    Partial<Record<'name' | 'permissions' | 'expiresDays' | 'form', string>>
  >({});
  const [secret, setSecret] = useState<{ name: string; secret: string } | undefined>();
  const [copied, setCopied] = useState(false);
  const [note, setNote] = useState<Notice>();
  const cameraName = (id: string) => props.cameras.find((c) => c.id === id)?.name ?? id;

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setErrors({ name: 'Name the token after what uses it.' });
    if (perms.length === 0) return setErrors({ permissions: 'Grant at least one permission.' });
    const expiresDays = days.trim() ? Number(days) : undefined;
    if (
      expiresDays !== undefined &&
      !(Number.isInteger(expiresDays) && expiresDays >= 1 && expiresDays <= 3650)
    )
      return setErrors({ expiresDays: 'A whole number of days from 1 to 3650, or empty for no expiry.' });
    const r = await api.post<NewTokenResponse>(R.tokens, {
      name: name.trim(),
      permissions: perms,
      cameras: toGrants(grants),
      ...(expiresDays ? { expiresDays } : {}),
    });
    if (!r.ok) {
      const field = r.field?.split('.')[0];
      return setErrors(
        field === 'name' || field === 'permissions' || field === 'expiresDays'
          ? { [field]: r.message }
          : { form: r.message },
      );
    }
    setErrors({});
    setCopied(false);
    setSecret({ name: r.data.token.name, secret: r.data.secret });
    setName('');
    setPerms([]);
    setDays('');
    tokens.reload();
  };

  return (
    <section className="panel" aria-label="API tokens">
      <h3>API tokens</h3>
      {secret ? (
        <div className="secret-box" role="alert" aria-label="New token secret">
          <p>
            <strong>Copy the secret of “{secret.name}” now: it is shown only this once.</strong> Anyone
            holding it can do what the token may; keep it out of chats and tickets.
          </p>
          <code className="secret">{secret.secret}</code>
          <div className="row">
            <button
              type="button"
              onClick={() =>
                void navigator.clipboard.writeText(secret.secret).then(
                  () => setCopied(true),
                  () => setCopied(false),
                )
              }
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
            <button type="button" onClick={() => setSecret(undefined)}>
              I have stored it
            </button>
          </div>
        </div>
      ) : null}
      <NoticeLine notice={note} />
      {tokens.result?.ok ? (
        tokens.result.data.length === 0 ? (
          <div className="muted">No tokens yet.</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>May</th>
                <th>Cameras</th>
                <th>Created</th>
                <th>Expires</th>
                <th>Last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.result.data.map((t) => (
                <tr key={t.id} aria-label={`Token ${t.name}`}>
                  <td>{t.name}</td>
                  <td className="small">{t.permissions.join(', ')}</td>
                  <td className="small">{describeGrants(t.cameras, cameraName)}</td>
                  <td className="small">
                    {formatTime(t.createdTs, true)} by {t.createdBy}
                  </td>
                  <td className="small">{t.expiresTs ? formatTime(t.expiresTs, true) : 'never'}</td>
                  <td className="small">{t.lastUsedTs ? formatTime(t.lastUsedTs, true) : 'never'}</td>
                  <td>
                    {t.revokedTs ? (
                      <span className="muted">revoked {formatTime(t.revokedTs, true)}</span>
                    ) : (
                      <button
                        type="button"
                        onClick={async () => {
                          const r = await api.del(path(R.token, { id: t.id }));
                          setNote(notice(r, `Token ${t.name} is revoked: it stops working now.`));
                          tokens.reload();
                        }}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : (
        <Unavailable result={tokens.result} what="API tokens" />
      )}
      <form className="inline-form token-form" onSubmit={(e) => void create(e)} noValidate>
        <h4>New token</h4>
        <Field
          label="Token name"
          value={name}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <fieldset className="grant-editor">
          <legend>Permissions</legend>
          <div className="perm-grid">
            {PERMISSIONS.map((p) => (
              <label className="check small" key={p}>
                <input
                  type="checkbox"
                  checked={perms.includes(p)}
                  onChange={(e) =>
                    setPerms((cur) => (e.target.checked ? [...cur, p] : cur.filter((x) => x !== p)))
                  }
                />
                {p}
              </label>
            ))}
          </div>
          {errors.permissions ? (
            <div className="field-error" role="alert">
              {errors.permissions}
            </div>
          ) : null}
        </fieldset>
        <GrantEditor
          legend="Token cameras"
          value={grants}
          onChange={setGrants}
          allowed={CAMERA_RIGHTS}
          cameras={props.cameras}
          groups={props.groups}
        />
        <Field
          label="Expires after (days)"
          inputMode="numeric"
          value={days}
          error={errors.expiresDays}
          hint="Empty: works until revoked."
          onChange={(e) => setDays(e.target.value)}
        />
        <FormError message={errors.form} />
        <button type="submit">Create token</button>
      </form>
    </section>
  );
}

/** How sign-in works on this site: the guards' look-back, desktop sign-in and the lock-out. */
export function SettingsPanel() {
  const loaded = useApi<PeopleSettings>(R.settings);
  const [draft, setDraft] = useState<PeopleSettings | undefined>();
  const [note, setNote] = useState<Notice>();
  useEffect(() => {
    if (loaded.result?.ok) setDraft(loaded.result.data);
  }, [loaded.result]);
  if (!draft) {
    return (
      <section className="panel" aria-label="Sign-in settings">
        <h3>Sign-in settings</h3>
        <Unavailable result={loaded.result} what="Sign-in settings" />
      </section>
    );
  }
  const num = (key: 'guardLookbackMinutes' | 'lockoutAfter' | 'lockoutSeconds') => ({
    inputMode: 'numeric' as const,
    value: String(draft[key]),
    onChange: (e: { target: { value: string } }) =>
      setDraft({ ...draft, [key]: Number(e.target.value) || 0 }),
  });
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const r = await api.put<PeopleSettings>(R.settings, draft);
    setNote(notice(r, 'Sign-in settings are saved.'));
  };
  return (
    <section className="panel" aria-label="Sign-in settings">
      <h3>Sign-in settings</h3>
      <form className="inline-form" onSubmit={(e) => void save(e)} noValidate>
        <Field
          label="Guards look back (minutes)"
          hint="How far back a guard may see events (1 to 1440)."
          {...num('guardLookbackMinutes')}
        />
        <label className="check">
          <input
            type="checkbox"
            checked={draft.desktopAutoSignIn}
            onChange={(e) => setDraft({ ...draft, desktopAutoSignIn: e.target.checked })}
          />
          Desktop app signs in the computer's user automatically (the account of the same name)
        </label>
        <Field label="Lock after failed sign-ins" hint="3 to 20 in a row." {...num('lockoutAfter')} />
        <Field
          label="First lock-out (seconds)"
          hint="10 to 3600; doubles with each further failure."
          {...num('lockoutSeconds')}
        />
        <NoticeLine notice={note} />
        <button type="submit">Save settings</button>
      </form>
    </section>
  );
}

import { useMemo, useState, type FormEvent } from 'react';
import {
  PeopleApiRoutes as R,
  ROLES,
  type CameraGroup,
  type CameraRight,
  type Role,
  type UserAccount,
} from '../../../backend/src/contract/people';
import { useApi, useNow } from '../lib/hooks';
import { api, path, type ApiResult } from '../lib/api-client';
import { formatTime } from '../lib/format';
import { useCameras } from '../lib/store';
import { Unavailable } from '../lib/Unavailable';
import { GroupsPanel, SettingsPanel, TokensPanel } from './AccessPanels';
import { Field, FormError } from './Field';
import { GrantEditor, type CameraChoice } from './GrantEditor';
import { NoticeLine, type Notice } from './Notice';
import { capGrants, describeGrants, fromGrants, rightsOf, toGrants } from './grants';
import { roleLabel, useSession } from './session';
import './people.css';
import { newPasswordProblem } from './password-rule';

/** An administrator's desk: people, camera groups, API tokens and the sign-in settings. */
export function PeopleView() {
  const users = useApi<UserAccount[]>(R.users);
  const groups = useApi<CameraGroup[]>(R.groups);
  const cams = useCameras();
  const cameras: CameraChoice[] = useMemo(
    () => cams.list.map((c) => ({ id: c.id, name: c.name || c.id })),
    [cams.list],
  );
  const groupNames = groups.result?.ok ? groups.result.data.map((g) => g.name) : [];
  const [editing, setEditing] = useState<UserAccount | 'new' | undefined>();
  const [notice, setNotice] = useState<Notice>();

  const done = (text: string) => {
    setEditing(undefined);
    setNotice({ kind: 'ok', text });
    users.reload();
  };

  return (
    <div className="people-view">
      <section className="panel" aria-label="People">
        <div className="row">
          <h3>People</h3>
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            Add a person
          </button>
        </div>
        <NoticeLine notice={notice} />
        {users.result?.ok ? (
          <PeopleTable
            users={users.result.data}
            cameras={cameras}
            onEdit={(u) => setEditing(u)}
            onChanged={(text, ok) => {
              setNotice({ kind: ok ? 'ok' : 'error', text });
              if (ok) users.reload();
            }}
          />
        ) : (
          <Unavailable result={users.result} what="People" />
        )}
      </section>
      {editing ? (
        <PersonForm
          key={editing === 'new' ? 'new' : editing.name}
          person={editing === 'new' ? undefined : editing}
          cameras={cameras}
          groups={groupNames}
          onDone={done}
          onCancel={() => setEditing(undefined)}
        />
      ) : null}
      <GroupsPanel groups={groups} cameras={cameras} />
      <TokensPanel cameras={cameras} groups={groupNames} />
      <SettingsPanel />
    </div>
  );
}

/** A person's state in words: disabled, locked (until when), or when they last signed in. */
function stateOf(u: UserAccount, now: number): string {
  if (u.disabled) return 'Disabled';
  if (u.lockedUntilTs && u.lockedUntilTs > now)
    return `Locked until ${formatTime(u.lockedUntilTs)} (failed sign-ins)`;
  return u.lastSignInTs ? `Last sign-in ${formatTime(u.lastSignInTs, true)}` : 'Never signed in';
}

function PeopleTable(props: {
  users: UserAccount[];
  cameras: CameraChoice[];
  onEdit: (u: UserAccount) => void;
  onChanged: (text: string, ok: boolean) => void;
}) {
  const me = useSession()?.session.user.toLowerCase();
  const now = useNow(10_000);
  const [confirming, setConfirming] = useState<string | undefined>();
  const [resetting, setResetting] = useState<string | undefined>();
  const name = (id: string) => props.cameras.find((c) => c.id === id)?.name ?? id;
  const report = (r: ApiResult<unknown>, ok: string) => props.onChanged(r.ok ? ok : r.message, r.ok);

  if (props.users.length === 0) return <div className="muted">No people yet.</div>;
  return (
    <table className="people-table">
      <thead>
        <tr>
          <th>Name</th>
          <th>Role</th>
          <th>Cameras</th>
          <th>Team</th>
          <th>State</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {props.users.map((u) => (
          <tr key={u.name} aria-label={u.name}>
            <td>
              {u.name}
              {u.displayName ? <div className="muted small">{u.displayName}</div> : null}
            </td>
            <td>{roleLabel(u.role)}</td>
            <td className="small">
              {/* An administrator's grants do not limit them: they see every camera. */}
              {u.role === 'admin' ? 'all cameras (administrator)' : describeGrants(u.cameras, name)}
            </td>
            <td>{u.team ?? '–'}</td>
            <td className={u.disabled || (u.lockedUntilTs ?? 0) > now ? 'warn-text' : ''}>
              {stateOf(u, now)}
            </td>
            <td className="actions">
              <button type="button" onClick={() => props.onEdit(u)}>
                Edit
              </button>
              {u.name.toLowerCase() === me ? null : (
                <button
                  type="button"
                  onClick={async () =>
                    report(
                      await api.put(path(R.user, { name: u.name }), { disabled: !u.disabled }),
                      `${u.name} is ${u.disabled ? 'enabled again' : 'disabled: their sessions ended'}.`,
                    )
                  }
                >
                  {u.disabled ? 'Enable' : 'Disable'}
                </button>
              )}
              <button type="button" onClick={() => setResetting(resetting === u.name ? undefined : u.name)}>
                Reset password
              </button>
              {confirming === u.name ? (
                <span className="confirm" role="group" aria-label={`Remove ${u.name}?`}>
                  Remove {u.name}?{' '}
                  <button
                    type="button"
                    className="danger"
                    onClick={async () => {
                      setConfirming(undefined);
                      report(await api.del(path(R.user, { name: u.name })), `${u.name} is removed.`);
                    }}
                  >
                    Yes, remove
                  </button>
                  <button type="button" onClick={() => setConfirming(undefined)}>
                    No
                  </button>
                </span>
              ) : (
                <button type="button" onClick={() => setConfirming(u.name)}>
                  Remove
                </button>
              )}
              {resetting === u.name ? (
                <ResetPassword
                  user={u.name}
                  onDone={(text) => {
                    setResetting(undefined);
                    props.onChanged(text, true);
                  }}
                />
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ResetPassword({ user, onDone }: { user: string; onDone: (text: string) => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = newPasswordProblem(password);
    if (problem) return setError(problem.message);
    const r = await api.post(path(R.userPassword, { name: user }), { password });
    if (r.ok) onDone(`${user}'s password is reset: tell them the new one in person.`);
    else setError(r.message);
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} noValidate>
      <Field
        label={`New password for ${user}`}
        type="password"
        autoComplete="new-password"
        autoFocus
        value={password}
        error={error}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button type="submit">Set password</button>
    </form>
  );
}

type PersonErrors = Partial<Record<'name' | 'password' | 'role' | 'team' | 'cameras' | 'form', string>>;

/** Adds a person, or changes one's role, cameras and team. */
function PersonForm(props: {
  person?: UserAccount;
  cameras: CameraChoice[];
  groups: string[];
  onDone: (text: string) => void;
  onCancel: () => void;
}) {
  const p = props.person;
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(p?.role ?? 'guard');
  const [password, setPassword] = useState('');
  const [team, setTeam] = useState(p?.team ?? '');
  const [displayName, setDisplayName] = useState(p?.displayName ?? '');
  const [grants, setGrants] = useState<Map<string, CameraRight[]>>(() => fromGrants(p?.cameras ?? []));
  const [errors, setErrors] = useState<PersonErrors>({});
  const [busy, setBusy] = useState(false);

  const changeRole = (next: Role) => {
    setRole(next);
    // Rights the new role may not hold are dropped, as the backend would refuse them.
    setGrants((g) => capGrants(g, rightsOf(next)));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!p && !name.trim()) return setErrors({ name: 'Enter a user name.' });
    const problem = p ? undefined : newPasswordProblem(password);
    if (problem) return setErrors({ password: problem.message });
    const cameras = toGrants(grants);
    if (role !== 'admin' && cameras.length === 0)
      return setErrors({ cameras: 'Pick the cameras this person may see (or all cameras).' });
    setBusy(true);
    const body = {
      role,
      team: team.trim() || undefined,
      displayName: displayName.trim() || undefined,
      cameras,
    };
    const r = p
      ? await api.put(path(R.user, { name: p.name }), body)
      : await api.post(R.users, { ...body, name: name.trim(), password });
    setBusy(false);
    if (r.ok)
      return props.onDone(p ? `${p.name} is changed.` : `${name.trim()} is added as ${roleLabel(role)}.`);
    const field = r.field?.split('.')[0];
    if (
      field === 'name' ||
      field === 'password' ||
      field === 'role' ||
      field === 'team' ||
      field === 'cameras'
    )
      setErrors({ [field]: r.message });
    else setErrors({ form: r.message });
  };

  return (
    <section className="panel" aria-label={p ? `Edit ${p.name}` : 'Add a person'}>
      <h3>{p ? `Edit ${p.name}` : 'Add a person'}</h3>
      <form className="person-form" onSubmit={(e) => void submit(e)} noValidate>
        {p ? null : (
          <Field
            label="User name"
            autoComplete="off"
            autoFocus
            value={name}
            error={errors.name}
            hint="Letters, digits, dots, dashes and underscores."
            onChange={(e) => setName(e.target.value)}
          />
        )}
        <div className="field">
          <label htmlFor="person-role">Role</label>
          <select id="person-role" value={role} onChange={(e) => changeRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {roleLabel(r)}
              </option>
            ))}
          </select>
          {errors.role ? (
            <div className="field-error" role="alert">
              {errors.role}
            </div>
          ) : null}
        </div>
        {p ? null : (
          <Field
            label="Password"
            type="password"
            autoComplete="new-password"
            value={password}
            error={errors.password}
            hint="At least 10 characters; they can change it after signing in."
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
        <Field
          label="Display name"
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
          hint="Optional: the name shown in the header and the audit log."
        />
        <Field
          label="Team"
          value={team}
          error={errors.team}
          onChange={(e) => setTeam(e.target.value)}
          hint="A supervisor reviews the handovers and audit of their team."
        />
        {role === 'admin' ? (
          <div className="muted">An administrator sees every camera, with every right.</div>
        ) : (
          <GrantEditor
            legend="Cameras"
            value={grants}
            onChange={setGrants}
            allowed={rightsOf(role)}
            cameras={props.cameras}
            groups={props.groups}
            error={errors.cameras}
          />
        )}
        <FormError message={errors.form} />
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            {p ? 'Save changes' : 'Add person'}
          </button>
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}

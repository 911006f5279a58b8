import { useEffect, useRef, useState, type FormEvent } from 'react';
import { changeOwnPassword } from './auth';
import { Field, FormError, NewPasswordFields } from './Field';
import { roleLabel, useSession } from './session';
import { newPasswordProblem } from './password-rule';

/** In the header: who is signed in, their own password change, and signing out. */
export function AccountMenu() {
  const ctx = useSession();
  const [changing, setChanging] = useState(false);
  if (!ctx) return null;
  const { session, signOut } = ctx;
  const person = session.role !== 'token';
  return (
    <span className="account" aria-label="Signed in">
      <span className="account-who" title={`Signed in as ${session.user}`}>
        {session.displayName ?? session.user} · {roleLabel(session.role)}
      </span>
      {person ? (
        <button type="button" onClick={() => setChanging(true)}>
          Change password
        </button>
      ) : null}
      {person ? (
        <button type="button" onClick={signOut} title="End this browser's session">
          Sign out
        </button>
      ) : null}
      {changing ? <ChangePasswordDialog user={session.user} onClose={() => setChanging(false)} /> : null}
    </span>
  );
}

function ChangePasswordDialog({ user, onClose }: { user: string; onClose: () => void }) {
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [errors, setErrors] = useState<Partial<Record<'current' | 'password' | 'again' | 'form', string>>>(
    {},
  );
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const refs = {
    current: useRef<HTMLInputElement>(null),
    password: useRef<HTMLInputElement>(null),
    again: useRef<HTMLInputElement>(null),
  };
  useEffect(() => {
    refs.current.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const fail = (field: 'current' | 'password' | 'again' | 'form', message: string) => {
    setErrors({ [field]: message });
    if (field !== 'form') refs[field].current?.focus();
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!current) return fail('current', 'Enter your current password.');
    const problem = newPasswordProblem(password, again);
    if (problem) return fail(problem.field, problem.message);
    setBusy(true);
    const r = await changeOwnPassword(user, current, password);
    setBusy(false);
    if (r.ok) return setDone(true);
    if (r.field === 'current' || r.field === 'password') return fail(r.field, r.message);
    fail('form', r.message);
  };

  return (
    <div className="modal-backdrop">
      <form
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="pw-title"
        onSubmit={(e) => void submit(e)}
        noValidate
      >
        <h2 id="pw-title">Change your password</h2>
        {done ? (
          <>
            <p role="status">Your password is changed. Use the new one from your next sign-in.</p>
            <button type="button" className="primary" onClick={onClose} autoFocus>
              Close
            </button>
          </>
        ) : (
          <>
            <Field
              ref={refs.current}
              label="Current password"
              type="password"
              autoComplete="current-password"
              value={current}
              error={errors.current}
              onChange={(e) => setCurrent(e.target.value)}
            />
            <NewPasswordFields
              labels={{ password: 'New password', again: 'New password again' }}
              refs={refs}
              values={{ password, again }}
              errors={errors}
              onChange={(field, value) => (field === 'password' ? setPassword : setAgain)(value)}
            />
            <FormError message={errors.form} />
            <div className="row">
              <button type="submit" className="primary" disabled={busy}>
                Change password
              </button>
              <button type="button" onClick={onClose}>
                Cancel
              </button>
            </div>
          </>
        )}
      </form>
    </div>
  );
}

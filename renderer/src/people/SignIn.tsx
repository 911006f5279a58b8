import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { SessionResponse } from '../../../backend/src/contract/people';
import { authStatus, createFirstAdmin, signIn } from './auth';
import { Field, FormError, NewPasswordFields } from './Field';
import './people.css';
import { newPasswordProblem } from './password-rule';

type Errors = Partial<Record<'username' | 'password' | 'again' | 'form', string>>;

/**
 * The sign-in page, shown whenever the backend answers "not signed in". A new installation (no account yet) is
 * told how to create its first administrator.
 */
export function SignInPage({ onSignedIn }: { onSignedIn: (session: SessionResponse) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [accounts, setAccounts] = useState<boolean | undefined>();
  const userRef = useRef<HTMLInputElement>(null);
  const passRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    userRef.current?.focus();
    void authStatus().then((r) => setAccounts(r.ok ? r.data.accounts : undefined));
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!username.trim()) {
      setErrors({ username: 'Enter your user name.' });
      userRef.current?.focus();
      return;
    }
    if (!password) {
      setErrors({ password: 'Enter your password.' });
      passRef.current?.focus();
      return;
    }
    // The previous answer goes, so the next one is never mistaken for it.
    setErrors({});
    setBusy(true);
    const r = await signIn(username.trim(), password);
    setBusy(false);
    if (r.ok) return onSignedIn(r.data);
    if (r.status === 429) {
      // Locked after failed sign-ins: the backend's message says for how long.
      setErrors({ form: r.message });
      setPassword('');
      passRef.current?.focus();
    } else if (r.status === 401) {
      setErrors({
        password: `${r.message} A disabled account cannot sign in either: ask an administrator if yours may be.`,
      });
      setPassword('');
      passRef.current?.focus();
    } else if (r.field === 'username' || r.field === 'password') {
      setErrors({ [r.field]: r.message });
      (r.field === 'username' ? userRef : passRef).current?.focus();
    } else {
      setErrors({ form: r.message });
    }
  };

  return (
    <div className="signin-page">
      <form
        className="signin-card"
        onSubmit={(e) => void submit(e)}
        aria-labelledby="signin-title"
        noValidate
      >
        <h1 id="signin-title">Sign in to Vigil</h1>
        {accounts === false ? (
          <div className="signin-note" role="note" aria-label="First administrator">
            <p>
              <strong>This installation has no accounts yet.</strong> Create the first administrator in one of
              two ways:
            </p>
            <ul>
              <li>
                on the computer where Vigil runs: <code>npx vigil user add &lt;name&gt; --role admin</code>,
                then sign in here;
              </li>
              <li>
                or open the login link the backend printed in its terminal (press Enter there for a new one):
                it asks for the administrator's name and password.
              </li>
            </ul>
          </div>
        ) : null}
        <Field
          ref={userRef}
          label="User name"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          value={username}
          error={errors.username}
          onChange={(e) => {
            setUsername(e.target.value);
            if (errors.username) setErrors({});
          }}
        />
        <Field
          ref={passRef}
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          error={errors.password}
          onChange={(e) => {
            setPassword(e.target.value);
            if (errors.password) setErrors({});
          }}
        />
        <FormError message={errors.form} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}

/** A new installation opened with its login link (or by the desktop app): name the first administrator. */
export function FirstAdminPage({ onCreated }: { onCreated: (session: SessionResponse) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const refs = {
    username: useRef<HTMLInputElement>(null),
    password: useRef<HTMLInputElement>(null),
    again: useRef<HTMLInputElement>(null),
  };
  useEffect(() => refs.username.current?.focus(), []); // eslint-disable-line react-hooks/exhaustive-deps

  const fail = (field: keyof typeof refs | 'form', message: string) => {
    setErrors({ [field]: message });
    if (field !== 'form') refs[field].current?.focus();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!username.trim()) return fail('username', 'Choose a user name.');
    const problem = newPasswordProblem(password, again);
    if (problem) return fail(problem.field, problem.message);
    setBusy(true);
    const r = await createFirstAdmin(username.trim(), password);
    setBusy(false);
    if (r.ok) return onCreated(r.data);
    if (r.field === 'username' || r.field === 'password') return fail(r.field, r.message);
    fail('form', r.message);
  };

  return (
    <div className="signin-page">
      <form className="signin-card" onSubmit={(e) => void submit(e)} aria-labelledby="setup-title" noValidate>
        <h1 id="setup-title">Create the first administrator</h1>
        <p className="muted">
          This installation has no accounts yet. The administrator you create here can then add the other
          people and choose what each may see and do.
        </p>
        <Field
          ref={refs.username}
          label="User name"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          hint="Letters, digits, dots, dashes and underscores."
          value={username}
          error={errors.username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <NewPasswordFields
          labels={{ password: 'Password', again: 'Password again' }}
          refs={refs}
          values={{ password, again }}
          errors={errors}
          onChange={(field, value) => (field === 'password' ? setPassword : setAgain)(value)}
        />
        <FormError message={errors.form} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create administrator and sign in'}
        </button>
      </form>
    </div>
  );
}

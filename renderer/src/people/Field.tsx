import { forwardRef, useId, type InputHTMLAttributes, type RefObject } from 'react';
import { PASSWORD_HINT } from './password-rule';

/** A labelled input with its error in words right under it (announced, and tied to the input for screen readers). */
export const Field = forwardRef<
  HTMLInputElement,
  { label: string; error?: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>
>(function Field({ label, error, hint, ...input }, ref) {
  const id = useId();
  const describedBy = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        ref={ref}
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        {...input}
      />
      {hint ? (
        <div id={`${id}-hint`} className="muted small">
          {hint}
        </div>
      ) : null}
      {error ? (
        <div id={`${id}-error`} className="field-error" role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
});

/** The error of a whole form (not of one field), announced. */
export function FormError({ message }: { message: string | undefined }) {
  return message ? (
    <div className="field-error form-error" role="alert">
      {message}
    </div>
  ) : null;
}

/** A new password typed twice, with the password rule as its hint. */
export function NewPasswordFields(props: {
  labels: { password: string; again: string };
  refs: { password: RefObject<HTMLInputElement | null>; again: RefObject<HTMLInputElement | null> };
  values: { password: string; again: string };
  errors: { password?: string; again?: string };
  onChange: (field: 'password' | 'again', value: string) => void;
}) {
  const { labels, refs, values, errors, onChange } = props;
  return (
    <>
      {(['password', 'again'] as const).map((field) => (
        <Field
          key={field}
          ref={refs[field]}
          label={labels[field]}
          name={field}
          type="password"
          autoComplete="new-password"
          {...(field === 'password' ? { hint: PASSWORD_HINT } : {})}
          value={values[field]}
          error={errors[field]}
          onChange={(e) => onChange(field, e.target.value)}
        />
      ))}
    </>
  );
}

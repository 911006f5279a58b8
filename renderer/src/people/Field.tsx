import { forwardRef, useId, type InputHTMLAttributes } from 'react';

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

import { useState, type ReactNode } from 'react';
import { bridgeErrorMessage, desktopApi } from './bridge';

/**
 * A file from the backend: a download link in a browser; in the desktop app a button that asks where to save it
 * (a native save dialog) and saves it there.
 */
export function DownloadLink(props: { href: string; fileName: string; children: ReactNode }) {
  const vigil = desktopApi();
  const [state, setState] = useState<{ busy?: boolean; saved?: string; error?: string }>({});
  if (!vigil) {
    return (
      <a href={props.href} download={props.fileName}>
        {props.children}
      </a>
    );
  }
  const ext = props.fileName.includes('.') ? props.fileName.split('.').pop()! : '';
  const save = async () => {
    setState({ busy: true });
    try {
      const saved = await vigil.saveDownload({
        url: props.href,
        title: 'Save the export',
        defaultPath: props.fileName,
        ...(ext ? { filters: [{ name: ext.toUpperCase(), extensions: [ext] }] } : {}),
      });
      setState(saved ? { saved } : {});
    } catch (err) {
      setState({ error: bridgeErrorMessage(err) });
    }
  };
  return (
    <span className="download-link">
      <button className="primary" disabled={state.busy} onClick={() => void save()}>
        {state.busy ? 'Saving…' : props.children}
      </button>
      {state.saved ? <span className="ok-text"> Saved to {state.saved}</span> : null}
      {state.error ? (
        <span className="error-text" role="alert">
          {' '}
          {state.error}
        </span>
      ) : null}
    </span>
  );
}

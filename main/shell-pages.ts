import crypto from 'node:crypto';

/** A page of the shell itself (shown while there is no backend to load the app from). */
export interface ShellPage {
  /** The data: URL to load; IPC from exactly this URL is trusted. */
  url: string;
  html: string;
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

const STYLE = `body{font:15px system-ui,sans-serif;background:#11151b;color:#e6e9ef;margin:0;padding:48px}
h1{font-size:22px;margin:0 0 12px}p{max-width:70ch;line-height:1.5}
pre{background:#0a0d11;border:1px solid #2a313c;padding:12px;max-height:50vh;overflow:auto;font-size:12px;white-space:pre-wrap}
button{font:inherit;padding:8px 18px;border-radius:6px;border:0;background:#3d7eff;color:#fff;cursor:pointer}`;

function page(title: string, body: string, script?: string): ShellPage {
  // Only this exact inline script may run (its hash), nothing may be fetched.
  const scriptSrc = script
    ? `'sha256-${crypto.createHash('sha256').update(script).digest('base64')}'`
    : "'none'";
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src ${scriptSrc}; base-uri 'none'; form-action 'none'`;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}${script ? `<script>${script}</script>` : ''}</body></html>`;
  return { html, url: `data:text/html;charset=utf-8;base64,${Buffer.from(html).toString('base64')}` };
}

/** Shown while the backend starts or the remote API is being reached. */
export function startingPage(detail: string): ShellPage {
  return page('Vigil', `<h1>Vigil is starting…</h1><p>${escapeHtml(detail)}</p>`);
}

const RESTART_SCRIPT = `document.getElementById('restart').addEventListener('click', function () {
  this.disabled = true; this.textContent = 'Restarting…';
  window.vigil.restartBackend().catch(function (e) { document.getElementById('status').textContent = String(e); });
});`;

/** Shown when the backend stopped for good: why, its last log lines, and a restart button. */
export function errorPage(reason: string, logLines: readonly string[]): ShellPage {
  return page(
    'Vigil — the backend stopped',
    `<h1>The Vigil backend stopped</h1><p>${escapeHtml(reason)}</p>
<p><button id="restart">Restart the backend</button> <span id="status"></span></p>
<p>Its last log lines:</p><pre>${escapeHtml(logLines.join('\n') || '(no output)')}</pre>`,
    RESTART_SCRIPT,
  );
}

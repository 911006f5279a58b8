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
button{font:inherit;padding:8px 18px;border-radius:6px;border:0;background:#3d7eff;color:#fff;cursor:pointer}
h2{font-size:17px;margin:24px 0 8px}input{font:inherit;padding:6px;border-radius:4px;border:1px solid #2a313c;background:#0a0d11;color:#e6e9ef}`;

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

const ERROR_SCRIPT = `var $ = function (id) { return document.getElementById(id); };
var say = function (e) { $('status').textContent = String(e && e.message || e).replace(/^Error invoking remote method '[^']*': (\\w*Error: )?/, ''); };
$('restart').addEventListener('click', function () {
  this.disabled = true; this.textContent = 'Restarting…';
  window.vigil.restartBackend().catch(say);
});
var local = $('use-local');
if (local) local.addEventListener('click', function () {
  this.disabled = true;
  window.vigil.setConnection({ mode: 'local' }).catch(function (e) { local.disabled = false; say(e); });
});
var form = $('remote');
if (form) form.addEventListener('submit', function (ev) {
  ev.preventDefault();
  var update = { mode: 'remote', remoteUrl: $('remote-url').value.trim() };
  if ($('remote-token').value) update.remoteToken = $('remote-token').value;
  $('status').textContent = 'Connecting…';
  window.vigil.setConnection(update).catch(say);
});`;

/** What the error view offers for the connection: in remote mode the server can be changed or left. */
export interface ErrorPageConnection {
  mode: 'local' | 'remote';
  remoteUrl: string;
}

/**
 * Shown when the backend stopped for good (or the remote server cannot be used): why, its last log lines, a restart
 * button, and in remote mode the connection settings — the app's own settings view cannot load without a backend.
 */
export function errorPage(
  reason: string,
  logLines: readonly string[],
  connection?: ErrorPageConnection,
): ShellPage {
  const remote =
    connection?.mode === 'remote'
      ? `<h2>Connection</h2><form id="remote"><p><label>Vigil server <input id="remote-url" type="url" required
value="${escapeHtml(connection.remoteUrl)}" placeholder="https://vigil.example.org" size="40"></label></p>
<p><label>API token <input id="remote-token" type="password" autocomplete="off" placeholder="unchanged" size="40"></label></p>
<p><button type="submit">Connect</button> <button type="button" id="use-local">Use the backend on this computer</button></p></form>`
      : '';
  return page(
    connection?.mode === 'remote' ? 'Vigil — the server cannot be used' : 'Vigil — the backend stopped',
    `<h1>${connection?.mode === 'remote' ? 'The Vigil server cannot be used' : 'The Vigil backend stopped'}</h1><p>${escapeHtml(reason)}</p>
<p><button id="restart">${connection?.mode === 'remote' ? 'Try again' : 'Restart the backend'}</button> <span id="status" role="status"></span></p>
${remote}${
      connection?.mode === 'remote' && logLines.length === 0
        ? ''
        : `<p>Its last log lines:</p><pre>${escapeHtml(logLines.join('\n') || '(no output)')}</pre>`
    }`,
    ERROR_SCRIPT,
  );
}

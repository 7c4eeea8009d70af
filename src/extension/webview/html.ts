/**
 * The HTML shell of every webview panel: a strict Content Security Policy, one nonce'd script
 * and the panel's stylesheet(s), nothing inline. Pure (no 'vscode' import) so the Chromium
 * tests serve exactly the page the extension gives VS Code; `runPanel.ts` adapts it to a
 * `vscode.Webview`.
 */

export interface PanelHtmlOptions {
  /** `webview.cspSource` (in tests: the origin of the local test server). */
  cspSource: string;
  /** URI of the panel's bundle, `dist/webview/<panel>.js`, as the webview can load it. */
  scriptUri: string;
  /** URI of the panel's stylesheet, `dist/webview/<panel>.css`. */
  styleUri: string;
  /** Document title (escaped here). */
  title: string;
  /** Script nonce; a fresh random one is made when absent. Pass one only in tests. */
  nonce?: string;
  /** Further stylesheets from `cspSource`, linked before `styleUri` (e.g. codicons, test themes). */
  extraStyleUris?: readonly string[];
}

/** 128 random bits as hex, from the platform's CSPRNG (Web Crypto: Node ≥ 20 and browsers). */
export function makeNonce(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Escapes text for an HTML text node or a double-quoted attribute value (the only kind used here). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The Content-Security-Policy of every panel. */
export function panelCsp(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

/** Refuses a value that could end the policy's directive or an attribute (URIs are escaped too). */
function checkSource(name: string, value: string, forbidden: RegExp): void {
  if (!value || forbidden.test(value)) throw new Error(`Invalid ${name} for a webview page: ${JSON.stringify(value)}`);
}

/** Builds a panel's HTML document. */
export function renderPanelHtml(options: PanelHtmlOptions): string {
  const nonce = options.nonce ?? makeNonce();
  if (!/^[A-Za-z0-9+/_=-]{16,}$/.test(nonce)) throw new Error('A webview nonce must be at least 16 base64/hex characters.');
  // VS Code's cspSource is a list of sources, e.g. "'self' https://*.vscode-cdn.net".
  for (const source of options.cspSource.split(' ')) checkSource('cspSource', source === "'self'" ? 'self' : source, /[\s"'<>;,]/);
  const styles = [...(options.extraStyleUris ?? []), options.styleUri];
  for (const uri of [options.scriptUri, ...styles]) checkSource('resource URI', uri, /[\s<>"]/);

  const links = styles.map((href) => `    <link rel="stylesheet" href="${escapeHtml(href)}">`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta http-equiv="Content-Security-Policy" content="${escapeHtml(panelCsp(options.cspSource, nonce))}">
    <meta charset="UTF-8">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
${links}
    <title>${escapeHtml(options.title)}</title>
  </head>
  <body>
    <main id="app" aria-busy="true"></main>
    <script nonce="${nonce}" src="${escapeHtml(options.scriptUri)}"></script>
  </body>
</html>
`;
}

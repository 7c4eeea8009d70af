// The audit report preview (viewType `provenant.report`). Receives the report as an element tree
// (the same tree the packet's report.html is serialized from) and builds it with DOM APIs only:
// allow-listed elements and attributes, text through text nodes, never HTML parsing. The Export
// button asks the host to write the packet; progress and the result come back as messages.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { REPORT_ATTRS, REPORT_TAGS, SVG_TAGS, type ReportNode } from '../../src/core/packet/reportView';
import { describeMessage, isPlainObject, isReportPanelHostMessage, isRunId, type ReportPanelHostMessage, type ReportPanelWebviewMessage } from '../../src/shared/messages';
import type { VsCodeApi } from '../common/dom';

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const SVG_NS = 'http://www.w3.org/2000/svg';

const saved: unknown = vscode.getState();
const state: { runId?: string; sign: boolean } = { sign: true };
if (isPlainObject(saved)) {
  if (isRunId(saved.runId)) state.runId = saved.runId;
  if (typeof saved.sign === 'boolean') state.sign = saved.sign;
}
const save = () => vscode.setState({ ...state });
const send = (message: ReportPanelWebviewMessage) => vscode.postMessage(message);

function h(tag: string, className?: string, ...children: (Node | string)[]): HTMLElement {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const c of children) node.append(c);
  return node;
}

/** DOM of a report node: only allow-listed tags and attributes (checked again here). */
export function build(node: ReportNode | string, svg = false): Node {
  if (typeof node === 'string') return document.createTextNode(node);
  if (!REPORT_TAGS.has(node.tag)) return document.createTextNode('');
  const inSvg = svg || node.tag === 'svg';
  const el = inSvg && SVG_TAGS.has(node.tag) ? document.createElementNS(SVG_NS, node.tag) : document.createElement(node.tag);
  for (const [k, v] of Object.entries(node.attrs ?? {})) if (REPORT_ATTRS.has(k)) el.setAttribute(k, v);
  for (const c of node.children ?? []) el.appendChild(build(c, inSvg));
  return el;
}

const app = document.getElementById('app')!;
const toolbar = h('div', 'toolbar');
const exportButton = document.createElement('vscode-button');
exportButton.id = 'export';
exportButton.textContent = 'Export Audit Packet…';
const signBox = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean; disabled: boolean };
signBox.id = 'sign';
signBox.textContent = 'Sign the manifest with the stored key';
const refreshButton = document.createElement('vscode-button');
refreshButton.id = 'refresh';
refreshButton.setAttribute('secondary', '');
refreshButton.textContent = 'Refresh';
const status = h('div', 'status');
status.id = 'status';
status.setAttribute('role', 'status');
const progress = document.createElement('progress');
progress.id = 'progress';
progress.hidden = true;
toolbar.append(exportButton, signBox, refreshButton, progress, status);
const content = h('div', 'content');
content.id = 'report';
app.append(toolbar, content);
app.setAttribute('aria-busy', 'true');

let busy = false;
exportButton.addEventListener('click', () => {
  if (busy) return;
  busy = true;
  exportButton.setAttribute('disabled', '');
  status.textContent = 'Exporting…';
  status.className = 'status';
  send({ type: 'export', sign: !signBox.disabled && signBox.checked });
});
refreshButton.addEventListener('click', () => send({ type: 'refresh' }));
signBox.addEventListener('change', () => {
  state.sign = signBox.checked;
  save();
});

function done(): void {
  busy = false;
  exportButton.removeAttribute('disabled');
  progress.hidden = true;
}

function handle(message: ReportPanelHostMessage): void {
  switch (message.type) {
    case 'showReport':
      state.runId = message.run.id;
      save();
      content.replaceChildren(build(message.document));
      signBox.disabled = !message.canSign;
      signBox.checked = message.canSign && state.sign;
      signBox.title = message.canSign ? 'Signs manifest.json with the Ed25519 key kept in VS Code\'s secret storage' : 'No signing key is stored: run "Provenant: Create Packet Signing Key"';
      app.setAttribute('aria-busy', 'false');
      document.title = `Audit report: ${message.run.name}`;
      return;
    case 'progress':
      progress.hidden = false;
      progress.max = Math.max(1, message.total);
      progress.value = message.done;
      status.textContent = message.message;
      return;
    case 'exported':
      done();
      status.className = 'status ok';
      status.textContent = `Exported ${message.file} (${message.files} files${message.signed ? ', signed' : ''}); ${message.verified ? 'verified intact' : 'verification FAILED'}.`;
      return;
    case 'error':
      done();
      app.setAttribute('aria-busy', 'false');
      status.className = 'status error';
      status.textContent = message.message;
      return;
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isReportPanelHostMessage(event.data)) {
    console.warn(`Report preview: ignored an invalid message (${describeMessage(event.data)})`);
    return;
  }
  handle(event.data);
});
send({ type: 'ready' });

// DOM and theme helpers of the webview panels. Text only: every workspace string goes through
// text nodes or attribute setters, never through HTML parsing.

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  className?: string;
  id?: string;
  /** Set with setAttribute (values are never parsed as HTML). */
  attrs?: Record<string, string>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.id) node.id = props.id;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  append(node, children);
  return node;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function button(label: string, onClick: () => void, options: { secondary?: boolean; title?: string; className?: string } = {}): HTMLButtonElement {
  const b = h('button', { className: `btn${options.secondary ? ' secondary' : ''}${options.className ? ` ${options.className}` : ''}`, attrs: { type: 'button' } }, label);
  if (options.title) b.title = options.title;
  b.addEventListener('click', onClick);
  return b;
}

export function checkbox(id: string, label: string, checked: boolean, onChange: (checked: boolean) => void): HTMLElement {
  const input = h('input', { id, attrs: { type: 'checkbox' } });
  input.checked = checked;
  input.addEventListener('change', () => onChange(input.checked));
  return h('label', { className: 'check', attrs: { for: id } }, input, ` ${label}`);
}

/**
 * The smoothing control of metric curves: a range 0 … 0.99 (EMA weight) and its value shown
 * beside it; `onChange` gets each new weight.
 */
export function smoothingSlider(weight: number, onChange: (weight: number) => void): { slider: HTMLInputElement; value: HTMLOutputElement } {
  const value = h('output', { id: 'smoothing-value', attrs: { for: 'smoothing' } }, weight.toFixed(2));
  const slider = h('input', { id: 'smoothing', attrs: { type: 'range', min: '0', max: '0.99', step: '0.01' } });
  slider.value = String(weight);
  slider.addEventListener('input', () => {
    const next = Math.min(0.99, Math.max(0, Number(slider.value) || 0));
    value.textContent = next.toFixed(2);
    onChange(next);
  });
  return { slider, value };
}

export function formatNumber(value: number | null | undefined, digits = 6): string {
  if (value === null || value === undefined) return '—';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Infinity' : '-Infinity';
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(digits)));
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const total = Math.round(s);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return hours ? `${hours} h ${pad(minutes)} min` : `${minutes} min ${pad(total % 60)} s`;
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** The value of a CSS custom property (`--vscode-*`) on `style`, or `fallback` when unset. */
export function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

/** Any CSS colour as rgba() with the given alpha (a canvas normalises colours). */
export function withAlpha(color: string, alpha: number): string {
  const ctx = document.createElement('canvas').getContext('2d');
  if (!ctx) return color;
  ctx.fillStyle = color;
  const normalised = ctx.fillStyle;
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(normalised);
  if (hex) return `rgba(${parseInt(hex[1]!, 16)}, ${parseInt(hex[2]!, 16)}, ${parseInt(hex[3]!, 16)}, ${alpha})`;
  const rgba = /^rgba?\(([^,]+),([^,]+),([^,)]+)/.exec(normalised);
  return rgba ? `rgba(${rgba[1]!.trim()}, ${rgba[2]!.trim()}, ${rgba[3]!.trim()}, ${alpha})` : color;
}

export interface ThemeColors {
  /** One colour per series (run), from the theme's chart colours. */
  series: string[];
  text: string;
  grid: string;
  font: string;
  background: string;
  highContrast: boolean;
  tooltipBg: string;
  tooltipFg: string;
  tooltipBorder: string;
}

export function themeColors(): ThemeColors {
  const style = getComputedStyle(document.body);
  const highContrast = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  const series = [
    cssVar(style, '--vscode-charts-blue', '#3794ff'),
    cssVar(style, '--vscode-charts-orange', '#d18616'),
    cssVar(style, '--vscode-charts-green', '#89d185'),
    cssVar(style, '--vscode-charts-purple', '#b180d7'),
    cssVar(style, '--vscode-charts-red', '#f14c4c'),
    cssVar(style, '--vscode-charts-yellow', '#cca700'),
    cssVar(style, '--vscode-charts-foreground', '#cccccc'),
  ];
  return {
    series,
    text: cssVar(style, '--vscode-descriptionForeground', cssVar(style, '--vscode-foreground', '#888888')),
    grid: withAlpha(cssVar(style, '--vscode-foreground', '#888888'), highContrast ? 0.5 : 0.12),
    font: cssVar(style, '--vscode-font-family', 'sans-serif'),
    background: cssVar(style, '--vscode-editor-background', '#ffffff'),
    highContrast,
    tooltipBg: cssVar(style, '--vscode-editorHoverWidget-background', cssVar(style, '--vscode-editor-background', '#252526')),
    tooltipFg: cssVar(style, '--vscode-editorHoverWidget-foreground', cssVar(style, '--vscode-foreground', '#cccccc')),
    tooltipBorder: cssVar(style, '--vscode-editorHoverWidget-border', 'transparent'),
  };
}

/** Calls `redraw` whenever VS Code switches the theme (the body class and --vscode-* variables change). */
export function onThemeChange(redraw: () => void): void {
  new MutationObserver(() => redraw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}

export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

// Builds one bundle per entry point: the extension host, the CLI, and each webview panel (its
// script, and its stylesheet with the shared ones of webview/common/ it @imports bundled in: one
// CSS file per panel, so the CSP's style-src stays the webview's own origin, nothing inline).
import { build } from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const common = { bundle: true, sourcemap: production ? false : 'linked', minify: production, logLevel: 'warning', target: 'es2022' };

const panels = readdirSync('webview', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('webview', d.name, 'main.ts')))
  .map((d) => d.name);

await Promise.all([
  build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: ['vscode'] }),
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', banner: { js: '#!/usr/bin/env node' } }),
  ...panels.map((panel) =>
    build({ ...common, entryPoints: [`webview/${panel}/main.ts`], outfile: `dist/webview/${panel}.js`, platform: 'browser', format: 'iife' }),
  ),
  ...panels
    .filter((panel) => existsSync(join('webview', panel, 'style.css')))
    .map((panel) => build({ ...common, entryPoints: [`webview/${panel}/style.css`], outfile: `dist/webview/${panel}.css` })),
]);
console.log(`built dist/extension.js, dist/cli.js and ${panels.length} webview bundle(s): ${panels.join(', ')}`);

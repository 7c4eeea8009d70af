import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

import { SCREENSHOT_DIR } from './paths';

/** Debian's Chromium (PROVENANT_CHROMIUM overrides), without background traffic: the tests reach loopback only. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.PROVENANT_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Where a screenshot named `name` is saved (the folder is created). */
export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
}

import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results', 'screenshots');

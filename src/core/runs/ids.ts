import { randomBytes } from 'node:crypto';

/** Run ids sort by start time and stay unique across machines: `YYYYMMDD-HHMMSS-<6 hex>` (UTC). */
export function newRunId(now = new Date(), random = randomBytes(3).toString('hex')): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return `${date}-${time}-${random}`;
}

export const RUN_ID_PATTERN = /^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/;

export function isRunId(value: string): boolean {
  return RUN_ID_PATTERN.test(value);
}

import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ProvenantError } from './errors';

/** True when `child` is `root` itself or lies below it (both absolute, already resolved). */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Resolves a workspace-relative path and refuses any that escapes the workspace
 * (`../`, an absolute path elsewhere). `source` names the file the path came from, for the error.
 */
export function resolveInWorkspace(root: string, path: string, source?: string): string {
  const absolute = resolve(root, path);
  if (!isInside(resolve(root), absolute)) {
    throw new ProvenantError(`the path "${path}" lies outside the workspace`, {
      file: source,
      hint: 'Use a path relative to the workspace folder, without "..".',
      code: 'E_PATH_ESCAPE',
    });
  }
  return absolute;
}

/** Workspace-relative POSIX form of an absolute path inside the workspace. */
export function toPosixRelative(root: string, absolute: string): string {
  return relative(root, absolute).split(sep).join('/');
}

import { resolve, sep } from 'node:path'

/**
 * The file that holds object `key` under directory `root`, or `null` when the
 * key cannot be a file there: an empty, `.` or `..` segment (which would
 * escape `root` or collide with a directory), a NUL, or on Windows a
 * backslash (a separator there). S3 accepts such keys; a directory can't.
 *
 * @example
 * ```ts
 * keyPath('/tmp/out', 'runs/search/run-1.json') // '/tmp/out/runs/search/run-1.json'
 * keyPath('/tmp/out', '../etc/passwd')          // null
 * ```
 */
export function keyPath (root: string, key: string): string | null {
  if (key.length === 0 || key.includes('\u0000') || (sep === '\\' && key.includes('\\'))) return null
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) return null
  const base = resolve(root)
  const path = resolve(base, key)
  return path.startsWith(base + sep) ? path : null
}

/** Why a key has no file: see `keyPath()`. */
export const UNUSABLE_KEY = 'the key cannot be a file name here (an empty, "." or ".." segment, a NUL, or a backslash on Windows)'

import { createRequire } from 'node:module'
import type Pumpify from 'pumpify'

/**
 * pumpify, loaded on first use: it brings its own copy of Node's streams
 * (readable-stream: 13 modules, 1 to 3 MB of RSS), and a process that pipes
 * the stages itself (the CLI, most users of the stages) never needs it.
 *
 * @example
 * ```ts
 * const sink = new (loadPumpify().obj)(filter, window, upload)
 * ```
 */
export function loadPumpify (): typeof Pumpify {
  return createRequire(import.meta.url)('pumpify') as typeof Pumpify
}

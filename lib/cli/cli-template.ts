import { InvalidOptionError } from '../errors.js'
import { keyTemplate, type KeyTemplate } from '../key-template.js'
import type { CliOptions } from './cli-options.js'

/**
 * `--key-template` (and `--time-zone`), parsed once, with errors naming the
 * flags. `undefined` without one. `--time-zone` also dates the manifests'
 * keys (`--manifests`), so it needs one of the two.
 *
 * @example
 * ```ts
 * const template = cliTemplate(parseCliArgs(['--out-dir', 'o', '--key-template', 'api={apiInfo.name}/{id}{ext}'], {}))
 * ```
 */
export function cliTemplate (options: CliOptions): KeyTemplate | undefined {
  if (options.keyTemplate === undefined) {
    // --manifests checks it where the sink is built (its template may be the default).
    if (options.timeZone !== undefined && !options.manifests) throw new InvalidOptionError('--time-zone', 'needs --key-template or --manifests')
    return undefined
  }
  const source = options.keyTemplate
  return keyTemplate(source, { option: '--key-template', timeZoneOption: '--time-zone', ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }) })
}

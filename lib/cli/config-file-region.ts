import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The `region` of the AWS profile in use, from the shared config file, as the
 * SDK's own region chain reads it after `AWS_REGION`: the file is
 * `AWS_CONFIG_FILE` or `~/.aws/config`, the profile `AWS_PROFILE` or
 * `default` (section `[default]`, else `[profile NAME]`). `undefined` when
 * there is no such file, profile or key: the CLI then asks for `--region`.
 * Read at parse time so that a missing region is a usage error before the
 * first record, not a failed upload.
 *
 * @example
 * ```ts
 * const region = configFileRegion(process.env) // 'eu-west-1' from ~/.aws/config's [default]
 * ```
 */
export function configFileRegion (env: NodeJS.ProcessEnv): string | undefined {
  const home = nonEmpty(env.HOME) ?? nonEmpty(env.USERPROFILE)
  const file = nonEmpty(env.AWS_CONFIG_FILE) ?? (home === undefined ? undefined : join(home, '.aws', 'config'))
  if (file === undefined) return undefined
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  const profile = nonEmpty(env.AWS_PROFILE) ?? 'default'
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`]
  let inProfile = false
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+|\s+$/g, '')
    const section = /^\[\s*([^\]]*?)\s*\]$/.exec(line)
    if (section !== null) {
      inProfile = wanted.includes((section[1] ?? '').replace(/\s+/g, ' '))
      continue
    }
    if (!inProfile) continue
    const entry = /^region\s*=\s*([^\s#;]+)/.exec(line)
    if (entry !== null) return entry[1]
  }
  return undefined
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

import { ConfigError, InvalidOptionError } from '../errors.js'

/**
 * Builds something from CLI values and rewords an option error so it names
 * the flag the user typed: `options.windowMs must be ...` becomes
 * `--window-ms must be ...`. `flags` maps option names whose flag is not
 * simply their kebab-case (`options.level` of gzip is `--gzip-level`).
 *
 * @example
 * ```ts
 * const stage = asFlags(() => gzip({ level }), { 'options.level': '--gzip-level' })
 * ```
 */
export function asFlags<T> (build: () => T, flags: Record<string, string> = {}): T {
  try {
    return build()
  } catch (err) {
    if (err instanceof InvalidOptionError) {
      const [first, ...more] = err.issues.map((issue) => ({ option: flags[issue.option] ?? flagOf(issue.option), message: issue.message }))
      throw new InvalidOptionError(first?.option ?? flagOf(err.option), first?.message ?? err.message, more)
    }
    if (err instanceof ConfigError) {
      const [first] = err.issues
      const message = err.issues.map((issue) => `${flags[issue.path] ?? flagOf(issue.path)} ${issue.message}`).join('; ')
      throw new InvalidOptionError(first === undefined ? 'config' : flagOf(first.path), message.slice(message.indexOf(' ') + 1))
    }
    throw err
  }
}

/** `options.accessKeyId` → `--access-key-id`; `config.apisToSend[2]` → `--apis-to-send`. */
export function flagOf (option: string): string {
  const field = option.replace(/^(options|config)\./, '').split(/[.[]/)[0] ?? option
  return `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
}

/** The key id too: stores may name it in a refusal, and it is half of the key pair (README, Secrets). */
const SECRET_FLAGS = ['--access-key-id', '--secret-access-key', '--session-token']
const SECRET_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']
/** Shorter values cannot be real secrets, and masking them would garble messages. */
const MIN_SECRET_LENGTH = 4

/**
 * A function that masks, in any text, the values given to the credential flags
 * (`--access-key-id`, `--secret-access-key`, `--session-token`, as
 * `--flag value` or `--flag=value`), the same three `AWS_*` variables
 * (whether or not the flags won) and the credentials of a
 * `--source` URL (`redis://:PASSWORD@...`, `nats://USER:PASSWORD@...`, a
 * NATS token `nats://TOKEN@...`), as written and percent-decoded. The CLI passes every
 * message through it: a second line of defence behind messages that are
 * written never to include values in the first place.
 *
 * @example
 * ```ts
 * const redact = redactor(['--secret-access-key', 'wJalr...'], process.env)
 * redact(`failed with wJalr...`) // 'failed with ***'
 * ```
 */
export function redactor (argv: readonly string[], env: NodeJS.ProcessEnv): (text: string) => string {
  const secrets = new Set<string>()
  argv.forEach((arg, i) => {
    for (const flag of SECRET_FLAGS) {
      if (arg === flag && argv[i + 1] !== undefined) secrets.add(argv[i + 1] as string)
      if (arg.startsWith(`${flag}=`)) secrets.add(arg.slice(flag.length + 1))
    }
  })
  for (const name of SECRET_VARIABLES) if (env[name] !== undefined) secrets.add(env[name])
  argv.forEach((arg, i) => {
    if (arg === '--source' && argv[i + 1] !== undefined) for (const secret of urlSecrets(argv[i + 1] as string)) secrets.add(secret)
    if (arg.startsWith('--source=')) for (const secret of urlSecrets(arg.slice('--source='.length))) secrets.add(secret)
  })
  const masked = [...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length)
  return (text) => masked.reduce((out, secret) => out.split(secret).join('***'), text)
}

/** The password of a URL (or its user name when it has no password: a token), as written and decoded. */
function urlSecrets (text: string): string[] {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    // Not a URL: it is refused with a message that never echoes it.
    return []
  }
  const raw = url.password !== '' ? url.password : url.username
  if (raw === '') return []
  let decoded = raw
  try { decoded = decodeURIComponent(raw) } catch {}
  // Written as typed too: URL re-encodes some characters.
  const typed = /^[a-z][a-z0-9+.-]*:\/\/([^@/]*)@/i.exec(text)?.[1]
  const typedSecret = typed === undefined ? undefined : typed.includes(':') ? typed.slice(typed.indexOf(':') + 1) : typed
  return [raw, decoded, ...(typedSecret === undefined ? [] : [typedSecret])]
}

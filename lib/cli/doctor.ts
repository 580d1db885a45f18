import { doctor } from '../admin/doctor.js'
import type { DoctorReport } from '../admin/doctor-report.js'
import { InvalidOptionError } from '../errors.js'
import { parseCliArgs } from './args.js'
import { asFlags } from './flag-errors.js'

/** The flags `s3-sink doctor` takes: the connection, the bucket and the prefix. */
const DOCTOR_FLAGS = new Set(['bucket', 'bucket-name', 'region', 'endpoint', 'force-path-style', 'access-key-id', 'secret-access-key',
  'session-token', 'max-attempts', 'request-timeout', 'connection-timeout', 'store', 'prefix', 'help', 'h'])

/**
 * `s3-sink doctor`: probes the bucket with the connection flags and prints
 * one row per probe, the profiles that fit, warnings and problems. Resolves
 * with the exit code: 0 when the chosen `--store` works, 1 when it would
 * fail, 2 for a usage error. Throws `ERR_INVALID_OPTION` for a bad flag.
 *
 * @example
 * ```ts
 * const code = await runDoctor(['--bucket', 'logs', '--endpoint', 'http://127.0.0.1:9000', '--store', 'minio'], process.env, (t) => process.stdout.write(t))
 * ```
 */
export async function runDoctor (argv: string[], env: NodeJS.ProcessEnv, write: (text: string) => void): Promise<number> {
  for (const arg of argv) {
    const flag = /^--?([^=]+)/.exec(arg)?.[1]
    if (flag !== undefined && !DOCTOR_FLAGS.has(flag)) throw new InvalidOptionError(`--${flag}`, 'is not a doctor option (see --help)')
  }
  const options = parseCliArgs(argv, env)
  if (options.files.length > 0) throw new InvalidOptionError('arguments', 'doctor reads no files')
  // doctor() checks its options when called; a refusal names the flag, as every other usage error does.
  const report = await doctor({ ...options.connection(), bucket: options.bucket!, ...(options.prefix === undefined ? {} : { prefix: options.prefix }) })
    .catch((err: unknown) => asFlags(() => { throw err }))
  write(formatDoctorReport(options.bucket!, report))
  return report.problems.length === 0 ? 0 : 1
}

/** The doctor's table, as text. */
export function formatDoctorReport (bucket: string, report: DoctorReport): string {
  const width = Math.max(...report.probes.map((p) => p.name.length))
  const rows = report.probes.map((p) => `  ${p.name.padEnd(width)}  ${p.status.padEnd(7)}  ${p.detail}`)
  const lines = [
    `s3-sink doctor: s3://${bucket} with store "${report.store}"`,
    ...rows,
    `profiles that fit: ${report.fits.length === 0 ? 'none' : report.fits.join(', ')}`,
    ...report.warnings.map((w) => `warning: ${w}`),
    ...report.problems.map((p) => `problem: ${p}`),
    report.problems.length === 0
      ? `verdict: store "${report.store}" works here`
      : `verdict: store "${report.store}" would fail here${report.fits.length === 0 ? '' : `; try --store ${report.fits.includes('custom') ? 'custom' : report.fits[0]!}`}`
  ]
  return `${lines.join('\n')}\n`
}

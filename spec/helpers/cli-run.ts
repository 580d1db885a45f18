import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { Readable } from 'node:stream'
import type { Clock } from '../../lib/clock.js'
import { runCli } from '../../lib/cli/run.js'
import { manualClock } from './manual-clock.js'

/** The CLI run in process on `stdin`, with no `AWS_*` variables: its exit code and what it wrote to stderr (not a terminal). */
export async function cliRun (argv: string[], stdin: string, clock: Clock = manualClock(Date.UTC(2026, 10, 25, 14, 3, 7))): Promise<{ code: number, stderr: string }> {
  let stderr = ''
  const code = await runCli(argv, {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: { write: () => true },
    stderr: { write: (t: string) => { stderr += t }, isTTY: false },
    env: {},
    clock
  })
  return { code, stderr }
}

/** The CLI run in process with no input and the given environment: its exit code and what it wrote to stdout and stderr (not a terminal). */
export async function cliOutput (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number, stdout: string, stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdin: Readable.from([]),
    stdout: { write: (t: string) => { stdout += t } },
    stderr: { write: (t: string) => { stderr += t }, isTTY: false },
    env
  })
  return { code, stdout, stderr }
}

/** The files under `dir` (an --out-dir), as paths relative to it, sorted; none when it does not exist. */
export async function filesUnder (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath ?? e.path, e.name))).sort()
}

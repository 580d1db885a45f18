import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** One `s3-sink` process run from the sources, with what it printed on stderr. */
export interface CliWorker {
  name: string
  child: ChildProcess
  stderr: () => string
  /** Resolves with the exit code (or the signal's name) once it has exited. */
  exited: Promise<number | string>
}

/**
 * Starts the CLI (`lib/cli/main.ts` through tsx, as `bin/s3-sink.js` runs the
 * compiled copy) as a child process: `spawn`, never `spawnSync`, since the
 * s3rver it talks to runs in this process and must keep answering.
 */
export function startCliWorker (name: string, argv: string[], env: NodeJS.ProcessEnv = {}): CliWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...argv], {
    cwd: ROOT,
    env: { ...process.env, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', ...env },
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => { resolve(code ?? signal ?? -1) })
  })
  return { name, child, stderr: () => stderr, exited }
}

/** Kills what is still running of `workers` (SIGKILL) and waits for every exit. */
export async function killAll (workers: readonly CliWorker[]): Promise<void> {
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL')
  await Promise.all(workers.map(async (w) => await w.exited))
}

/** Polls `check` every 50 ms until it holds; throws naming `what` after `ms`. */
export async function waitUntil (check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

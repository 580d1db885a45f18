#!/usr/bin/env node
/**
 * The `s3-sink` command. `bin/s3-sink.js` imports the compiled copy of this
 * file; from the sources, run `node --import tsx lib/cli/main.ts --help`.
 *
 * @example
 * ```sh
 * AWS_REGION=us-west-2 s3-sink --bucket logs --prefix runs/ --apis-to-send search,detail runs.ndjson
 * ```
 *
 * @packageDocumentation
 */
import { EXIT, runCli } from './run.js'
import { shutdownSignals } from './shutdown-signals.js'

// SIGTERM/SIGINT: the first stops reading and delivers what was read, the
// second aborts the uploads in flight, the third exits at once. Never
// disposed: a signal arriving while the process exits must not kill it with
// the signal's status once everything was delivered.
const shutdown = shutdownSignals(process)

const code = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stop: shutdown.stop,
  signal: shutdown.abort
})
process.exitCode = code
// A run that did not deliver everything is over: a request the SDK could
// not cancel (the SDK even retries it once its socket is gone) must not hold
// the process for minutes. The empty write's callback runs once the report
// before it is flushed (stderr is asynchronous on some pipes).
if (code !== EXIT.ok) process.stderr.write('', () => process.exit(code))

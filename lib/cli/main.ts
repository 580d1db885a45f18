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

// The SDK's warning about future Node versions is noise on a CLI's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const controller = new AbortController()
process.once('SIGINT', () => {
  // First Ctrl-C: abort the uploads in flight cleanly; a second one ends at once.
  controller.abort()
  process.once('SIGINT', () => process.exit(EXIT.interrupted))
})

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal
})

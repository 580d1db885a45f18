import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ndjsonLines, type InputRecord } from './ndjson-lines.js'

/** Options of {@link readInputs}. */
export interface ReadInputsOptions {
  /** Read for `-` (and when `files` is empty). */
  stdin: Readable
  /** Longest line accepted, in bytes. */
  maxLineBytes?: number
}

const READ_CHUNK = 64 * 1024

/**
 * The records of every input, one file after the other (`-` is standard
 * input; no files means standard input). Each file goes through its own
 * {@link ndjsonLines} so line numbers restart per file. Reading follows the
 * consumer: a file is read only as fast as the records are taken, and
 * returning early (or a failure downstream) closes the file being read.
 *
 * @example
 * ```ts
 * await pipeline(Readable.from(readInputs(['a.ndjson', '-'], { stdin: process.stdin })), filterApis(), sink)
 * ```
 */
export async function * readInputs (files: readonly string[], options: ReadInputsOptions): AsyncGenerator<InputRecord> {
  for (const file of files.length === 0 ? ['-'] : files) {
    const stdin = file === '-'
    const source = stdin ? options.stdin : createReadStream(file, { highWaterMark: READ_CHUNK })
    const lines = ndjsonLines({ file: stdin ? '<stdin>' : file, maxLineBytes: options.maxLineBytes })
    // The outcome is awaited below; the catch keeps an early return from leaving a rejection unhandled.
    const piped = pipeline(source, lines).then(() => null, (err: unknown) => err)
    for await (const record of lines) yield record as InputRecord
    const err = await piped
    if (err !== null) throw err
  }
}


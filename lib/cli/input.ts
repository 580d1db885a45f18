import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { toError } from '../errors.js'
import { ndjsonLines, type InputRecord } from './ndjson-lines.js'

/** Options of {@link readInputs}. */
export interface ReadInputsOptions {
  /** Read for `-` (and when `files` is empty). */
  stdin: Readable
  /** Longest line accepted, in bytes. */
  maxLineBytes?: number
  /** Lines that are not JSON objects: fail (default) or pass them on marked `invalid`. */
  invalid?: 'error' | 'pass'
  /**
   * Aborting it stops reading at once, even while waiting for input: the
   * generator returns where it stopped, the input being read is closed, and
   * a line not yet taken (a partial one included) is dropped.
   */
  stop?: AbortSignal
}

/** Where {@link readInputs} stopped: the first line it did not yield, which may be partial, blank or not yet written. */
export interface StopPoint {
  /** File name as given on the command line, or `'<stdin>'`. */
  file: string
  /** 1-based; every line before it in `file` was read. */
  line: number
}

const READ_CHUNK = 64 * 1024
const STOPPED = Symbol('stopped')

/**
 * The records of every input, one file after the other (`-` is standard
 * input; no files means standard input). Each file goes through its own
 * {@link ndjsonLines} so line numbers restart per file. Reading follows the
 * consumer: a file is read only as fast as the records are taken, and
 * returning early (or a failure downstream) closes the file being read.
 * Returns `undefined` once every input is read, or the {@link StopPoint}
 * when `options.stop` cut it short.
 *
 * @example
 * ```ts
 * await pipeline(Readable.from(readInputs(['a.ndjson', '-'], { stdin: process.stdin })), filterApis(), sink)
 * ```
 */
export async function * readInputs (files: readonly string[], options: ReadInputsOptions): AsyncGenerator<InputRecord, StopPoint | undefined> {
  const { stop } = options
  // A function, not a property test: the compiler would keep the first test's answer across the awaits.
  const isStopped = (): boolean => stop?.aborted === true
  for (const file of files.length === 0 ? ['-'] : files) {
    const name = file === '-' ? '<stdin>' : file
    if (isStopped()) return { file: name, line: 1 }
    const source = file === '-' ? options.stdin : createReadStream(file, { highWaterMark: READ_CHUNK })
    const lines = ndjsonLines({ file: name, maxLineBytes: options.maxLineBytes, invalid: options.invalid, objects: true })
    // The outcome is awaited below; the catch keeps an early return from leaving a rejection unhandled.
    const piped = pipeline(source, lines).then(() => null, (err: unknown) => err)
    const records = lines[Symbol.asyncIterator]()
    let next = 1
    let ended = false
    try {
      for (;;) {
        if (isStopped()) return { file: name, line: next }
        // Records already parsed are taken as they are: a 64 KiB read holds about 180 of them, and
        // waiting for each through the iterator and the stop signal costs promises and listeners per record.
        const ready = lines.read() as InputRecord | null
        if (ready !== null) {
          next = ready.line + 1
          yield ready
          continue
        }
        const pending = records.next()
        const step = stop === undefined ? await pending : await orStopped(pending, stop)
        if (step === STOPPED) {
          // Left waiting: the destroy below settles it, and what it would bring is dropped.
          pending.catch(() => {})
          return { file: name, line: next }
        }
        if (step.done === true) break
        const record = step.value as InputRecord
        next = record.line + 1
        yield record
      }
      ended = true
    } finally {
      // Stopped, returned early or failed downstream: close the input (pipeline then closes the source).
      if (!ended) lines.destroy()
    }
    const err = await piped
    if (err !== null) throw toError(err)
  }
  return undefined
}

/**
 * `pending`, or STOPPED as soon as `stop` is aborted, so a quiet stdin cannot
 * hold the stop back. Not `Promise.race` against one promise that settles on
 * stop: every race leaves a reaction on that long-lived promise holding the
 * record it resolved with, so a run kept every record it read in memory
 * (1.2 KB each: gigabytes on a 2 GB feed). This listener goes once `pending`
 * settles.
 */
async function orStopped<T> (pending: Promise<T>, stop: AbortSignal): Promise<T | typeof STOPPED> {
  if (stop.aborted) return STOPPED
  return await new Promise<T | typeof STOPPED>((resolve, reject) => {
    const onAbort = (): void => { resolve(STOPPED) }
    stop.addEventListener('abort', onAbort, { once: true })
    pending.then((value) => {
      stop.removeEventListener('abort', onAbort)
      resolve(value)
    }, (err: unknown) => {
      stop.removeEventListener('abort', onAbort)
      reject(err)
    })
  })
}

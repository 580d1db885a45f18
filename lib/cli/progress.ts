import { systemClock, type Clock } from '../clock.js'
import { InvalidOptionError } from '../errors.js'
import { validateBoolean, validateInteger, validateObject } from '../internal/validate.js'
import type { StopPoint } from './input.js'
import { InFlight } from './in-flight.js'
import { leftOutNote, type LeftOutCounts } from './left-out.js'

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Where the lines go, normally `process.stderr`. */
  stream: { write: (text: string) => unknown, isTTY?: boolean }
  /** Redraw a live line every `intervalMs`. Default: when `stream` is a terminal. */
  live?: boolean
  /** Default 1000. */
  intervalMs?: number
  /** Default {@link systemClock}; tests inject a manual one. */
  clock?: Clock
}

/** The counters the CLI keeps and reports. */
export interface Progress extends LeftOutCounts {
  /** Records parsed from the input. */
  recordsRead: number
  /** Records in objects that are complete (S3 confirmed them, or on disk). */
  recordsDelivered: number
  /** Records acknowledged to a log source (`--source`); `undefined` for files. */
  recordsAcknowledged?: number
  /** Objects S3 confirmed (or files written). */
  objects: number
  /** With `--route`: the objects of each route, in the order the routes were given. */
  objectsByRoute?: Map<string, number>
  /** Objects given up on an abort or a failure, and what they left. */
  readonly inFlight: InFlight
  /** What ended the run early, for the in-flight line: `'abort'`, `'failure'`. */
  endedBy?: string
  /** Bytes stored, as the objects hold them (compressed for gzip objects), in both modes: the summary says "bytes stored". */
  bytes: number
  /** Requests retried (each retry counts once). */
  retries: number
  /**
   * Set by a graceful stop: its cause (`'SIGTERM'`) and where reading
   * stopped: the first line not read, `null` when the input had been read to
   * its end, `undefined` when reading ended otherwise (a failure).
   */
  stopped?: { by: string, at?: StopPoint | null }
  /** Starts the live line (when live). */
  start (): void
  /** Stops and erases the live line; further calls do nothing. */
  stop (): void
  /** The final line (counts and elapsed seconds), then the objects of each route (with `--route`), then the objects in flight at an abort or failure, if any. */
  summary (): string
}

const DEFAULTS = Object.freeze({ intervalMs: 1000 })
const ERASE = '\r\u001b[K'

/**
 * Counts what a run reads and delivers and reports it on a terminal: a live
 * line redrawn every second while it runs (records/s, objects, bytes) and one
 * summary line at the end. The live line is drawn only on a terminal, so
 * logs and pipes get the summary alone.
 *
 * @example
 * ```ts
 * const progress = createProgress({ stream: process.stderr })
 * progress.start()
 * sink.on('object', (o) => { progress.objects++; progress.bytes += o.bytes; progress.recordsDelivered += o.records })
 * await pipeline(...).finally(() => { progress.stop(); process.stderr.write(progress.summary() + '\n') })
 * ```
 */
export function createProgress (options: ProgressOptions): Progress {
  validateObject(options, 'options')
  const { stream } = options
  if (typeof stream?.write !== 'function') throw new InvalidOptionError('options.stream', 'must be a writable stream')
  validateObject(options.clock, 'options.clock')
  const live = validateBoolean(options.live, 'options.live') ?? stream.isTTY === true
  const intervalMs = validateInteger(options.intervalMs, 'options.intervalMs', 1) ?? DEFAULTS.intervalMs
  const clock = options.clock ?? systemClock
  const startedAt = clock.now()
  let timer: unknown = null
  let drawn = false
  let last = { at: startedAt, records: 0 }

  const progress: Progress = {
    recordsRead: 0,
    recordsDelivered: 0,
    objects: 0,
    bytes: 0,
    retries: 0,
    invalid: 0,
    inFlight: new InFlight(),
    late: 0,
    filtered: { api: 0, failed: 0 },
    unmatched: 0,
    start () {
      if (live && timer === null) schedule()
    },
    stop () {
      if (timer !== null) clock.clearTimeout(timer)
      timer = null
      if (drawn) stream.write(ERASE)
      drawn = false
    },
    summary () {
      const seconds = (clock.now() - startedAt) / 1000
      return `s3-sink: ${progress.recordsRead} records read, ${progress.recordsDelivered} delivered, ${ackNote(progress.recordsAcknowledged)}` +
        `${plural(progress.objects, 'object')}, ${progress.bytes} bytes stored, ${seconds.toFixed(1)} s${leftOutNote(progress)}${retryNote(progress.retries)}${stopNote(progress.stopped)}` +
        routeNote(progress.objectsByRoute) + inFlightNote(progress)
    }
  }

  function schedule (): void {
    timer = clock.setTimeout(draw, intervalMs)
    // A progress timer must never keep the process alive on its own.
    ;(timer as { unref?: () => void }).unref?.()
  }

  function draw (): void {
    const now = clock.now()
    const rate = ((progress.recordsRead - last.records) * 1000) / Math.max(1, now - last.at)
    last = { at: now, records: progress.recordsRead }
    stream.write(`${ERASE}s3-sink: ${progress.recordsRead} records (${Math.round(rate)}/s), ${progress.recordsAcknowledged === undefined ? '' : `${progress.recordsDelivered} delivered, `}${ackNote(progress.recordsAcknowledged)}` +
      `${plural(progress.objects, 'object')}, ${formatBytes(progress.bytes)} stored${retryNote(progress.retries)}`)
    drawn = true
    schedule()
  }

  return progress
}

/** `s3-sink: objects by route: errors 9, runs 3`, a line of its own (with `--route`). */
function routeNote (byRoute: Map<string, number> | undefined): string {
  if (byRoute === undefined) return ''
  return `\ns3-sink: objects by route: ${[...byRoute].map(([route, objects]) => `${route} ${objects}`).join(', ')}`
}

/** A line of its own: the first line keeps its shape for scripts that parse it. */
function inFlightNote (progress: Progress): string {
  const note = progress.inFlight.note(progress.endedBy ?? 'the end')
  return note === '' ? '' : `\n${note}`
}

/** `1 object`, `2 objects`. */
function plural (count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

/** `12 acknowledged, `: only for a log source, whose acknowledgements are what lets the log forget. */
function ackNote (acknowledged: number | undefined): string {
  return acknowledged === undefined ? '' : `${acknowledged} acknowledged, `
}

/** `, 12 retries`: shown once there is one, so a healthy run's line stays short. */
function retryNote (retries: number): string {
  return retries === 0 ? '' : `, ${retries} ${retries === 1 ? 'retry' : 'retries'}`
}

/** `, stopped by SIGTERM at runs.ndjson:301`: reading may resume at that line. */
function stopNote (stopped: Progress['stopped']): string {
  if (stopped === undefined) return ''
  if (stopped.at === undefined) return `, stopped by ${stopped.by}`
  return `, stopped by ${stopped.by} ${stopped.at === null ? 'after the end of the input' : `at ${stopped.at.file}:${stopped.at.line}`}`
}

/** `1234567` → `1.2 MiB`. */
export function formatBytes (bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`
}

import type { Writable } from 'node:stream'

/**
 * Calls `cb` once `stream` can take more data: on `'drain'`, or on `'finish'`
 * when the stream was ended meanwhile (an ended stream never emits `'drain'`).
 * If the stream is destroyed first, `cb` gets the stream's error, or
 * `onAbort()` when it was destroyed without one.
 */
export function whenWritable (stream: Writable, onAbort: () => Error, cb: (err?: Error) => void): void {
  const done = (err?: Error): void => {
    stream.off('drain', onReady)
    stream.off('finish', onReady)
    stream.off('close', onClose)
    cb(err)
  }
  const onReady = (): void => { done() }
  const onClose = (): void => { done(stream.errored ?? onAbort()) }
  stream.on('drain', onReady)
  stream.on('finish', onReady)
  stream.on('close', onClose)
}

import FakeTimers from '@sinonjs/fake-timers'
import type { Writable } from 'node:stream'
import type { SilentStore } from './silent-store.js'
import { until } from './until.js'

/**
 * Destroys `sink` with an error while `setTimeout` is frozen, and waits for
 * the sink and `connections` of the store's connections to close. The sink's
 * abort timeout (1 s) runs on setTimeout, so it can never fire here: what
 * ends the requests and lets the sink close is the cancellation itself,
 * however slow the machine. Without it, the sink would wait for that
 * timeout forever. Returns the error it destroyed the sink with.
 */
export async function destroyWithTimeoutsFrozen (sink: Writable, store: SilentStore, connections: number): Promise<Error> {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'], shouldClearNativeTimers: true })
  try {
    const stop = new Error('stop')
    let sinkClosed = false
    sink.on('close', () => { sinkClosed = true })
    sink.destroy(stop)
    await until(() => sinkClosed && store.closed === connections, `the sink and ${connections} connection(s) closed with the abort timeout frozen`)
    return stop
  } finally {
    clock.uninstall()
  }
}

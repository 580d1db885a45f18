import { Session } from 'node:inspector/promises'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number } }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

/**
 * CPU profiles of the main thread per variant of an interleaved benchmark,
 * in one process: each round of a variant is profiled alone (inspector) and
 * its self time per function added to that variant's total, so two variants
 * are compared under the same load. `diff()` prints the functions whose time
 * per object differs most.
 *
 * @example
 * ```ts
 * const profiles = await VariantProfiles.start()
 * await profiles.around('sink', async () => await runSink())
 * profiles.diff('loop-stream', 'sink', objectsPerVariant)
 * ```
 */
export class VariantProfiles {
  readonly #session: Session
  readonly #self = new Map<string, Map<string, number>>()

  private constructor (session: Session) {
    this.#session = session
  }

  static async start (): Promise<VariantProfiles> {
    const session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 200 })
    return new VariantProfiles(session)
  }

  /** Runs `work` with the profiler on; its samples count for `variant`. */
  async around (variant: string, work: () => Promise<unknown>): Promise<void> {
    await this.#session.post('Profiler.start')
    try {
      await work()
    } finally {
      const { profile } = await this.#session.post('Profiler.stop') as { profile: Profile }
      this.#add(variant, profile)
    }
  }

  /** The functions whose self time per object differs most between variants `a` and `b` (`objects` each). */
  diff (a: string, b: string, objects: number, top = 30): void {
    const A = this.#self.get(a) ?? new Map<string, number>()
    const B = this.#self.get(b) ?? new Map<string, number>()
    const total = (m: Map<string, number>): number => [...m.values()].reduce((x, y) => x + y, 0) / objects
    console.log(`\nmain-thread samples, µs/object: ${a} ${total(A).toFixed(0)}, ${b} ${total(B).toFixed(0)}; largest differences (${b} − ${a}):`)
    const rows = [...new Set([...A.keys(), ...B.keys()])].map((fn) => ({ fn, a: (A.get(fn) ?? 0) / objects, b: (B.get(fn) ?? 0) / objects }))
    rows.sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a))
    for (const r of rows.slice(0, top)) console.log(`${(r.b - r.a).toFixed(1).padStart(7)}  ${r.a.toFixed(1).padStart(6)} ${r.b.toFixed(1).padStart(6)}  ${r.fn}`)
  }

  #add (variant: string, profile: Profile): void {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]))
    const self = this.#self.get(variant) ?? new Map<string, number>()
    this.#self.set(variant, self)
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id)?.callFrame
      if (frame === undefined) return
      const where = frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(lib|bench)\//, '$1/')
      const fn = `${frame.functionName === '' ? '(anonymous)' : frame.functionName} ${where}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`}`
      self.set(fn, (self.get(fn) ?? 0) + (profile.timeDeltas[i] ?? 0))
    })
  }
}

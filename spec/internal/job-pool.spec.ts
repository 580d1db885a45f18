import { expect } from 'chai'
import { JobPool, type PoolJob } from '../../lib/internal/job-pool.js'

/** A job that settles when told. */
function job (key: string): PoolJob & { finish: () => void } {
  let finish!: () => void
  const settled = new Promise<void>((resolve) => { finish = resolve })
  const j = { key, settled, ok: false, failure: undefined, abort: async () => undefined, finish: () => { j.ok = true; finish() } }
  return j
}

const tick = async (): Promise<void> => await new Promise((resolve) => setImmediate(resolve))

describe('JobPool: AIMD under throttling', () => {
  const pool = (concurrency: number): JobPool<PoolJob, null> =>
    new JobPool<PoolJob, null>({ concurrency, onDone: () => {}, onFailure: () => {}, wrap: (_j, e) => e as Error })

  it('halves the bound on throttling, once per burst, and raises it by one per `limit` completions', async () => {
    const p = pool(8)
    expect(p.limit).to.equal(8)
    p.throttled()
    expect(p.limit).to.equal(4)
    p.throttled() // same burst: nothing completed since
    expect(p.limit).to.equal(4)
    const jobs = Array.from({ length: 20 }, (_, i) => job(`k${i}`))
    for (const j of jobs) p.add(j, null, () => {})
    for (const j of jobs.slice(0, 4)) j.finish()
    await tick()
    expect(p.limit).to.equal(5)
    p.throttled()
    expect(p.limit).to.equal(2)
    // 16 completions: 2 → 3 → 4 → 5 → 6 (after 2 + 3 + 4 + 5 of them).
    for (const j of jobs.slice(4)) j.finish()
    await tick()
    expect(p.limit).to.equal(6)
    p.throttled(); p.throttled(); p.throttled()
    expect(p.limit).to.equal(3)
  })

  it('holds the next write while the bound is reached, and never goes below one', async () => {
    const p = pool(2)
    const [a, b, c] = [job('a'), job('b'), job('c')]
    let admitted = 0
    p.add(a, null, () => { admitted++ })
    p.throttled()
    expect(p.limit).to.equal(1)
    p.add(b, null, () => { admitted++ })
    expect(admitted).to.equal(1)
    a.finish()
    await tick()
    // One completion at a bound of one raises it again: b's write goes through.
    expect([admitted, p.limit]).to.deep.equal([2, 2])
    p.throttled()
    p.add(c, null, () => { admitted++ })
    expect([admitted, p.limit]).to.deep.equal([2, 1])
    b.finish()
    await tick()
    p.throttled()
    expect(p.limit).to.equal(1)
    c.finish()
    await tick()
    expect(admitted).to.equal(3)
  })
})

describe('JobPool: destroy', () => {
  it('reports a job that completes during the abort as done, and every other one as abandoned', async () => {
    const done: string[] = []
    const abandoned: string[] = []
    const p = new JobPool<PoolJob & { finish: () => void }, string>({
      concurrency: 4, onDone: (_j, meta) => done.push(meta), onFailure: () => {}, wrap: (_j, e) => e as Error, onAbandoned: (_j, meta) => abandoned.push(meta)
    })
    const [a, b, c] = [job('a'), job('b'), job('c')]
    // b's answer arrives while it is being aborted: the store confirmed it.
    b.abort = async () => { b.finish(); return undefined }
    for (const [j, meta] of [[a, 'a'], [b, 'b'], [c, 'c']] as const) p.add(j, meta, () => {})
    a.finish()
    await tick()
    expect(await p.destroy(null)).to.equal(null)
    expect([done, abandoned]).to.deep.equal([['a', 'b'], ['c']])
  })
})

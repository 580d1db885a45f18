import { expect } from 'chai'
import fc from 'fast-check'
import { createCheckpoint } from '../lib/checkpoint.js'

describe('createCheckpoint()', () => {
  it('commits a position only once it and everything tracked before it in its partition is acknowledged', () => {
    const commits: Array<[string, number]> = []
    const cp = createCheckpoint<number>({ onCommit: (p, n) => commits.push([p, n]) })
    const acks = [10, 11, 12, 13].map((n) => cp.track('a', n))
    const other = cp.track('b', 5)
    acks[2]!()
    acks[1]!()
    expect(cp.committed('a')).to.equal(undefined)
    acks[0]!()
    expect(cp.committed('a')).to.equal(12)
    other()
    acks[3]!()
    expect(commits).to.deep.equal([['a', 12], ['b', 5], ['a', 13]])
    expect(cp.pending()).to.equal(0)
    expect(cp.partitions).to.deep.equal(['a', 'b'])
  })

  it('counts a second acknowledgement of one record once', () => {
    const cp = createCheckpoint()
    const first = cp.track('p', 'x-1')
    cp.track('p', 'x-2')
    first()
    first()
    expect(cp.committed('p')).to.equal('x-1')
    expect(cp.pending('p')).to.equal(1)
  })

  it('lets a throwing onCommit reach whoever acknowledged', () => {
    const cp = createCheckpoint({ onCommit: () => { throw new Error('disk full') } })
    const ack = cp.track('p', 1)
    expect(ack).to.throw('disk full')
  })

  it('validates its options and arguments', () => {
    expect(() => createCheckpoint({ onCommit: 5 as never })).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option: 'options.onCommit' })
    const cp = createCheckpoint()
    expect(() => cp.track(3 as never, 1)).to.throw().that.includes({ option: 'partition' })
    expect(() => cp.track('p', {} as never)).to.throw().that.includes({ option: 'position' })
    expect(() => cp.track('p', Number.NaN)).to.throw().that.includes({ option: 'position' })
    cp.track('p', 5)
    expect(() => cp.track('p', 5)).to.throw(/source order/)
    cp.track('q', 5n)
    expect(() => cp.track('q', 4n)).to.throw(/source order/)
  })

  it('property: under any acknowledgement order the committed positions only advance and equal the acknowledged prefix', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 200 }),
      fc.infiniteStream(fc.nat()),
      (tracks, picks) => {
        const commits = new Map<string, number[]>()
        const cp = createCheckpoint<number>({ onCommit: (p, n) => { commits.set(p, [...(commits.get(p) ?? []), n]) } })
        // Increasing positions per partition, with gaps (offsets need not be contiguous).
        const last = new Map<string, number>()
        const records = tracks.map(([partition, gap]) => {
          const position = (last.get(partition) ?? 0) + gap
          last.set(partition, position)
          return { partition, position, ack: cp.track(partition, position), acked: false }
        })
        const pending = [...records]
        const it = picks[Symbol.iterator]()
        while (pending.length > 0) {
          const [record] = pending.splice(it.next().value % pending.length, 1)
          record!.ack()
          record!.acked = true
          for (const partition of last.keys()) {
            const inPartition = records.filter((r) => r.partition === partition)
            const prefix = inPartition.findIndex((r) => !r.acked)
            const expected = prefix === 0 ? undefined : inPartition[(prefix === -1 ? inPartition.length : prefix) - 1]!.position
            if (cp.committed(partition) !== expected) return false
          }
        }
        for (const [partition, list] of commits) {
          for (let i = 1; i < list.length; i++) if (list[i]! <= list[i - 1]!) return false
          if (list.at(-1) !== last.get(partition)) return false
        }
        return cp.pending() === 0
      }), { numRuns: 200 })
  })

  it('keeps memory to the pending records: committed entries are dropped', () => {
    const cp = createCheckpoint<number>()
    const acks: Array<() => void> = []
    for (let i = 0; i < 10_000; i++) acks.push(cp.track('p', i))
    acks[0]!()
    for (let i = 10_000 - 1; i > 0; i--) acks[i]!()
    expect(cp.committed('p')).to.equal(9_999)
    expect(cp.pending()).to.equal(0)
    for (let i = 10_000; i < 12_000; i++) cp.track('p', i)()
    expect(cp.committed('p')).to.equal(11_999)
  })
})

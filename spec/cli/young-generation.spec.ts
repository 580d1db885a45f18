import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  capYoungGeneration, keepYoungGenerationSmall, restartArgs, restartWithSmallYoungGeneration, SEMI_SPACE_FLAG,
  type GcHook, type HeapControls, type RestartableProcess
} from '../../lib/cli/young-generation.js'

function proc (fields: Partial<RestartableProcess> = {}): RestartableProcess {
  return {
    execArgv: [],
    argv: ['/usr/bin/node', '/usr/lib/node_modules/s3-stream-sink/bin/s3-sink.js', '--bucket', 'logs'],
    execPath: '/usr/bin/node',
    env: { PATH: '/usr/bin' },
    execve: () => { throw new Error('not called in this test') },
    ...fields
  }
}

describe('restartWithSmallYoungGeneration()', () => {
  it('restarts node with the semi-space flag and the same script, arguments and environment', () => {
    const calls: unknown[][] = []
    const env = { PATH: '/usr/bin', AWS_REGION: 'eu-west-1' }
    restartWithSmallYoungGeneration(proc({ env, execve: ((...args: unknown[]) => { calls.push(args) }) as unknown as RestartableProcess['execve'] }))
    expect(calls).to.deep.equal([['/usr/bin/node', ['/usr/bin/node', SEMI_SPACE_FLAG, '/usr/lib/node_modules/s3-stream-sink/bin/s3-sink.js', '--bucket', 'logs'], env]])
  })

  it('runs as it is without process.execve (Node 20, Windows), with node flags of its own, or with a semi-space in NODE_OPTIONS', () => {
    expect(restartArgs(proc({ execve: undefined }))).to.equal(null)
    // After the restart the flag is in execArgv: never a second restart.
    expect(restartArgs(proc({ execArgv: [SEMI_SPACE_FLAG] }))).to.equal(null)
    expect(restartArgs(proc({ execArgv: ['--inspect'] }))).to.equal(null)
    expect(restartArgs(proc({ env: { NODE_OPTIONS: '--max-semi-space-size=16' } }))).to.equal(null)
    expect(restartArgs(proc({ env: { NODE_OPTIONS: '--enable-source-maps' } }))).to.deep.equal(['/usr/bin/node', SEMI_SPACE_FLAG, '/usr/lib/node_modules/s3-stream-sink/bin/s3-sink.js', '--bucket', 'logs'])
  })

  it('runs as it is when the restart fails', () => {
    expect(() => { restartWithSmallYoungGeneration(proc({ execve: () => { throw new Error('EACCES') } })) }).to.not.throw()
  })
})

describe('capYoungGeneration()', () => {
  const MiB = 1024 * 1024

  /** A heap whose new space is sized by the test, recording the flags set. */
  function heap (): HeapControls & { newSpace: number, flags: string[] } {
    const h = {
      newSpace: 2 * MiB,
      flags: [] as string[],
      getHeapSpaceStatistics: () => [{ space_name: 'old_space', space_size: 50 * MiB }, { space_name: 'new_space', space_size: h.newSpace }],
      setFlagsFromString: (flags: string) => { h.flags.push(flags) }
    }
    return h
  }

  it('stops V8 growing new space past two 4 MiB semi-spaces, and lets it grow back there after a shrink', () => {
    const h = heap()
    let gc = (): void => {}
    let stopped = false
    const stop = capYoungGeneration(h, (listener) => { gc = listener; return () => { stopped = true } })
    expect(h.flags).to.deep.equal([])
    h.newSpace = 4 * MiB
    gc()
    expect(h.flags).to.deep.equal([])
    h.newSpace = 8 * MiB
    gc()
    gc()
    expect(h.flags).to.deep.equal(['--semi-space-growth-factor=1'])
    // Shrunk while idle: grows again, up to the cap.
    h.newSpace = 4 * MiB
    gc()
    expect(h.flags).to.deep.equal(['--semi-space-growth-factor=1', '--semi-space-growth-factor=2'])
    h.newSpace = 8 * MiB
    gc()
    expect(h.flags.at(-1)).to.equal('--semi-space-growth-factor=1')
    stop()
    expect(stopped).to.equal(true)
  })

  it('holds a real V8 there: a churning process stays at 8 MiB of new space where V8 alone grows it further', async function () {
    this.timeout(20_000)
    const child = join(import.meta.dirname, '..', 'fixtures', 'young-generation-child.ts')
    const newSpace = async (mode: string): Promise<number> => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, mode])
      return Number(stdout.trim().split(' ')[0])
    }
    const [capped, free] = await Promise.all([newSpace('cap'), newSpace('none')])
    expect(free, 'V8 alone: the churn grows new space').to.be.greaterThan(8 * MiB)
    expect(capped).to.be.at.most(8 * MiB)
  })
})

describe('keepYoungGenerationSmall()', () => {
  const controls = (): HeapControls & { flags: string[] } => {
    const flags: string[] = []
    return { flags, getHeapSpaceStatistics: () => [{ space_name: 'new_space', space_size: 8 * 1024 * 1024 }], setFlagsFromString: (f) => { flags.push(f) } }
  }
  const noGc: GcHook = () => () => {}

  it('holds the young generation at run time where node cannot restart, unless a semi-space is already set', () => {
    const h = controls()
    keepYoungGenerationSmall(proc({ execve: undefined }), h, noGc)
    expect(h.flags).to.deep.equal(['--semi-space-growth-factor=1'])
    const mine = controls()
    keepYoungGenerationSmall(proc({ execve: undefined, env: { NODE_OPTIONS: '--max-semi-space-size=16' } }), mine, noGc)
    keepYoungGenerationSmall(proc({ execArgv: [SEMI_SPACE_FLAG] }), mine, noGc)
    expect(mine.flags).to.deep.equal([])
  })
})

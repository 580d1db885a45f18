import { expect } from 'chai'
import { restartArgs, restartWithSmallYoungGeneration, SEMI_SPACE_FLAG, type RestartableProcess } from '../../lib/cli/young-generation.js'

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

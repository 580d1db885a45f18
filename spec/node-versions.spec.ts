import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { expect } from 'chai'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string }, dependencies: Record<string, string> }
const SDK = '@aws-sdk/client-s3'

/** The lowest major version a range such as `^20.19.0 || >=22.12.0` or `>=20.0.0` admits. */
const lowestMajor = (range: string): number => Math.min(...[...range.matchAll(/(\d+)\.\d+\.\d+/g)].map((m) => Number(m[1])))

describe('Node versions: engines, the AWS SDK and its support warning', () => {
  it('engines claims no Node older than the pinned SDK supports, and the SDK is pinned, so an install cannot bring one that drops it', () => {
    expect(pkg.dependencies[SDK], 'an exact version: a range would let npm pick an SDK that needs Node 22').to.match(/^\d+\.\d+\.\d+$/)
    const sdk = createRequire(import.meta.url)(`${SDK}/package.json`) as { version: string, engines: { node: string } }
    expect(sdk.version).to.equal(pkg.dependencies[SDK])
    expect(lowestMajor(pkg.engines.node)).to.be.at.least(lowestMajor(sdk.engines.node))
  })

  it('the CLI does not hide the SDK\'s NodeVersionSupportWarning (on Node 20; the SDK says nothing on 22 and later)', async function () {
    this.timeout(30_000)
    const env = { ...process.env }
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED
    const argv = ['--import', 'tsx', 'lib/cli/main.ts', '--bucket', 'b', '--region', 'us-east-1', '--endpoint', 'http://127.0.0.1:1',
      '--access-key-id', 'a', '--secret-access-key', 'b', '--retry-for', '100']
    const stderr = await new Promise<string>((resolve) => {
      const child = execFile(process.execPath, argv, { env, timeout: 25_000 }, (_err, _stdout, err) => { resolve(err) })
      child.stdin!.end('{"a":1}\n')
    })
    expect(stderr).to.include('ERR_S3_UPLOAD') // it made a client and tried
    expect(stderr.includes('NodeVersionSupportWarning')).to.equal(Number(process.versions.node.split('.')[0]) < 22)
  })
})

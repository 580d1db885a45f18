import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { parseCliArgs } from '../../lib/cli/args.js'
import { configFileRegion } from '../../lib/cli/config-file-region.js'

const CONFIG = `# a shared config file as \`aws configure\` writes it
[default]
region = eu-west-1
output = json

[profile  staging ]
output = json
region=ap-southeast-2 ; a comment

[profile empty]
output = text
`

describe('configFileRegion() and --region from the AWS profile', () => {
  let dir = ''
  let file = ''
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aws-config-'))
    file = join(dir, 'config')
    await writeFile(file, CONFIG)
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('reads the region of AWS_PROFILE (default: default) from AWS_CONFIG_FILE', () => {
    expect(configFileRegion({ AWS_CONFIG_FILE: file })).to.equal('eu-west-1')
    expect(configFileRegion({ AWS_CONFIG_FILE: file, AWS_PROFILE: 'staging' })).to.equal('ap-southeast-2')
    expect(configFileRegion({ AWS_CONFIG_FILE: file, AWS_PROFILE: 'empty' })).to.equal(undefined)
    expect(configFileRegion({ AWS_CONFIG_FILE: file, AWS_PROFILE: 'missing' })).to.equal(undefined)
  })

  it('finds ~/.aws/config under env HOME, and nothing without a file or a home', async () => {
    const home = await mkdtemp(join(tmpdir(), 'aws-home-'))
    try {
      expect(configFileRegion({ HOME: home })).to.equal(undefined)
      await mkdir(join(home, '.aws'))
      await writeFile(join(home, '.aws', 'config'), CONFIG)
      expect(configFileRegion({ HOME: home })).to.equal('eu-west-1')
      expect(configFileRegion({})).to.equal(undefined)
      expect(configFileRegion({ AWS_CONFIG_FILE: join(dir, 'nope') })).to.equal(undefined)
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  })

  it('gives the CLI its region when no flag or variable does; a flag or AWS_REGION still wins', () => {
    expect(parseCliArgs(['--bucket', 'b'], { AWS_CONFIG_FILE: file }).connection()).to.deep.include({ region: 'eu-west-1' })
    expect(parseCliArgs(['--bucket', 'b'], { AWS_CONFIG_FILE: file, AWS_REGION: 'us-west-2' }).connection()).to.deep.include({ region: 'us-west-2' })
    expect(parseCliArgs(['--bucket', 'b', '--region', 'r'], { AWS_CONFIG_FILE: file }).connection()).to.deep.include({ region: 'r' })
  })

  it('still refuses a command line with no region anywhere, naming --region', () => {
    expect(() => parseCliArgs(['--bucket', 'b'], { AWS_CONFIG_FILE: file, AWS_PROFILE: 'empty' })).to.throw()
      .that.satisfies((err: { code?: string, option?: string }) => err.code === 'ERR_INVALID_OPTION' && err.option === '--region')
  })
})

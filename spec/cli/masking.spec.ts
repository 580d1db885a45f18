import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { expect } from 'chai'
import { runCli } from '../../lib/cli/run.js'
import { manualClock } from '../helpers/manual-clock.js'

const KEY_ID = 'AKIA-cli-key-id'
const SECRET = 'cli-secret-value'
const TOKEN = 'cli-session-token'

/**
 * Some S3-compatible stores name the access key (and echo the token) in the
 * message of a refusal; the CLI prints that message. Its masking is the
 * second line of defence, so it has to cover the key id as well.
 */
describe('CLI: the output masks every credential it was given, key id included', function () {
  this.timeout(20_000)
  let server: Server
  let endpoint: string
  before(async () => {
    server = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        const keyId = /Credential=([^/]+)/.exec(req.headers.authorization ?? '')?.[1] ?? ''
        const token = String(req.headers['x-amz-security-token'])
        res.writeHead(403, { 'content-type': 'application/xml' })
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidAccessKeyId</Code><Message>The access key ${keyId} (session ${token}) is disabled.</Message><RequestId>R</RequestId></Error>`)
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => { server.close() })

  async function cli (argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number, out: string }> {
    let out = ''
    const code = await runCli(['--bucket', 'b', '--region', 'us-east-1', '--endpoint', endpoint, '--force-path-style', '--max-attempts', '1', ...argv], {
      stdin: Readable.from([Buffer.from('{"n":1}\n')]),
      stdout: { write: (t: string) => { out += t } },
      stderr: { write: (t: string) => { out += t }, isTTY: false },
      env,
      clock: manualClock()
    })
    return { code, out }
  }

  const ways: Array<[string, string[], NodeJS.ProcessEnv]> = [
    ['from the flags', ['--access-key-id', KEY_ID, '--secret-access-key', SECRET, '--session-token', TOKEN], {}],
    ['from the flags, as --flag=value', [`--access-key-id=${KEY_ID}`, `--secret-access-key=${SECRET}`, `--session-token=${TOKEN}`], {}],
    ['from the environment', [], { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN }]
  ]
  for (const [how, argv, env] of ways) {
    it(`credentials ${how}`, async () => {
      const { code, out } = await cli(argv, env)
      expect(code).to.not.equal(0)
      // What failed is still said.
      expect(out).to.include('InvalidAccessKeyId: The access key *** (session ***) is disabled.')
      for (const secret of [KEY_ID, SECRET, TOKEN]) expect(out).not.to.include(secret)
    })
  }
})

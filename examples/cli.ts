/**
 * The s3-sink CLI without any S3: NDJSON in, the same objects as files under
 * --out-dir. (Installed, the command is `s3-sink`; here it runs from source.)
 * Run: npx tsx examples/cli.ts
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { runs } from './local-s3.js'

const dir = await mkdtemp(join(tmpdir(), 'cli-example-'))
const input = join(dir, 'runs.ndjson')
await writeFile(input, [...runs(2000)].map((r) => JSON.stringify(r)).join('\n') + '\n')

const cli = ['--import', 'tsx', new URL('../lib/cli/main.ts', import.meta.url).pathname]
const args = ['--out-dir', join(dir, 'out'), '--prefix', 'runs/', '--skip-on-fail', '--max-records', '500', input]
const { stderr } = await promisify(execFile)(process.execPath, [...cli, ...args])
console.log(stderr.trim())
const files = (await readdir(join(dir, 'out'), { recursive: true })).filter((f) => f.endsWith('.gz'))
console.log(`${files.length} files, e.g. out/${files.sort()[0]}`)

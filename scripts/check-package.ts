/**
 * Checks the package as users get it (`npm run check:package`, part of
 * `npm test`): packs it, lints the tarball (publint, arethetypeswrong),
 * installs it into a scratch project and there imports it from ESM, requires
 * it from CommonJS, type-checks consumers under `nodenext` and `bundler`
 * resolution, compiles every `ts` block of the README against the packed
 * types, and runs the `s3-sink` binary.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { readmeBlocks } from './readme-blocks.js'

const root = resolve(import.meta.dirname, '..')
const require = createRequire(join(root, 'package.json'))
const versionOf = (name: string): string => (require(`${name}/package.json`) as { version: string }).version
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const keep = process.argv.includes('--keep')

function run (step: string, file: string, args: string[], cwd: string): string {
  const started = Date.now()
  try {
    const out = execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } })
    console.log(`  ok   ${step} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
    return out
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string, stderr?: string }
    console.error(`  FAIL ${step}\n${stdout ?? ''}${stderr ?? ''}`)
    throw new Error(`check-package: ${step} failed`)
  }
}

const work = mkdtempSync(join(tmpdir(), 's3-stream-sink-pack-'))
try {
  console.log(`check-package in ${work}`)
  const tarball = join(work, run('npm pack', npm, ['pack', '--silent', '--pack-destination', work], root).trim().split('\n').pop() ?? '')
  run('publint --strict', process.execPath, [join(root, 'node_modules/publint/src/cli.js'), 'run', tarball, '--strict'], root)
  // cjs-resolves-to-esm: the package is ESM that require() loads on the Node
  // versions of `engines` (require(esm)); the CommonJS check below proves it.
  run('attw', process.execPath, [join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js'), tarball, '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'ascii'], root)

  const app = join(work, 'app')
  mkdirSync(join(app, 'readme'), { recursive: true })
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, version: '1.0.0' }))
  run('npm install <tarball> in a scratch project', npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error',
    // kafkajs for the types of the README's Kafka recipe only.
    tarball, `typescript@${versionOf('typescript')}`, `@types/node@${versionOf('@types/node')}`, `kafkajs@${versionOf('kafkajs')}`], app)

  writeFileSync(join(app, 'esm.mjs'), `
import { minuteWindow, createS3Sink, InvalidOptionError, onDurable } from 's3-stream-sink'
import pkg from 's3-stream-sink/package.json' with { type: 'json' }
if (typeof minuteWindow !== 'function' || typeof createS3Sink !== 'function' || typeof onDurable !== 'symbol') throw new Error('missing exports')
try { minuteWindow({ timeOf: 1 }); throw new Error('no throw') } catch (err) { if (!(err instanceof InvalidOptionError)) throw err }
console.log(pkg.name)
`)
  writeFileSync(join(app, 'cjs.cjs'), `
const sink = require('s3-stream-sink')
const { gzip, S3SinkError } = require('s3-stream-sink')
if (typeof gzip !== 'function' || typeof sink.s3Writable !== 'function') throw new Error('missing exports')
try { gzip({ level: 10 }) ; throw new Error('no throw') } catch (err) { if (!(err instanceof S3SinkError) || err.code !== 'ERR_INVALID_OPTION') throw err }
console.log(require('s3-stream-sink/package.json').name)
`)
  if (run('ESM import', process.execPath, ['esm.mjs'], app).trim() !== 's3-stream-sink') throw new Error('ESM import printed the wrong name')
  if (run('CommonJS require', process.execPath, ['cjs.cjs'], app).trim() !== 's3-stream-sink') throw new Error('require printed the wrong name')
  run('s3-sink --help', process.execPath, [join(app, 'node_modules/s3-stream-sink/bin/s3-sink.js'), '--help'], app)

  const consumer = `
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { filterApis, minuteWindow, gzip, s3Writable, createS3Sink, type S3SinkConfig, type Batch } from 's3-stream-sink'
const cfg: S3SinkConfig = { type: 's3', bucket: 'b', skipOnFail: true, apisToSend: ['search'] }
export async function card (): Promise<void> {
  await pipeline(Readable.from([]), filterApis(cfg), minuteWindow(), gzip(), s3Writable(cfg))
  createS3Sink({ type: 's3', bucket: 'b' }).end()
}
export const isBatch = (b: Batch): string => b.contentType
`
  writeFileSync(join(app, 'esm.mts'), consumer)
  writeFileSync(join(app, 'cjs.cts'), consumer.replace(/export async function card[^]*?\n}\n/, 'export const card = (): unknown => filterApis(cfg)\n'))
  writeFileSync(join(app, 'bundler.ts'), consumer)
  const blocks = readmeBlocks(readFileSync(join(root, 'README.md'), 'utf8'))
  const prelude = 'import { pipeline } from \'node:stream/promises\'\nimport { once } from \'node:events\'\nimport fs from \'node:fs\'\nimport { randomUUID } from \'node:crypto\'\n' +
    `import { ${exportsOf(join(app, 'node_modules/s3-stream-sink/dist/index.d.ts')).join(', ')} } from 's3-stream-sink'\n`
  for (const block of blocks) {
    if (block.mode === 'skip') continue
    // One module per block; the fragment prelude sits on the same first line, so tsc's line numbers match the README's.
    const head = block.mode === 'fragment' ? prelude.replaceAll('\n', '; ') : ''
    writeFileSync(join(app, 'readme', `README.md-line-${block.line}.mts`), `${head}\n${block.code}\nexport {}\n`)
  }
  copyFileSync(join(root, 'scripts/readme-context.d.ts'), join(app, 'readme/readme-context.d.ts'))
  const strict = { strict: true, noEmit: true, skipLibCheck: false, types: ['node'], target: 'ES2022', lib: ['ES2022'] }
  writeFileSync(join(app, 'tsconfig.nodenext.json'), JSON.stringify({ compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['esm.mts', 'cjs.cts'] }))
  writeFileSync(join(app, 'tsconfig.bundler.json'), JSON.stringify({ compilerOptions: { ...strict, skipLibCheck: true, module: 'esnext', moduleResolution: 'bundler' }, files: ['bundler.ts'] }))
  writeFileSync(join(app, 'tsconfig.readme.json'), JSON.stringify({ compilerOptions: { ...strict, skipLibCheck: true, module: 'nodenext', moduleResolution: 'nodenext' }, include: ['readme'] }))
  const tsc = join(app, 'node_modules/typescript/bin/tsc')
  run('types under nodenext (ESM and CommonJS consumers)', process.execPath, [tsc, '-p', 'tsconfig.nodenext.json'], app)
  run('types under bundler', process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], app)
  const compiled = blocks.filter((b) => b.mode !== 'skip').length
  run(`README: ${compiled} ts blocks compile (${blocks.length - compiled} marked skip)`, process.execPath, [tsc, '-p', 'tsconfig.readme.json'], app)
  if (readdirSync(join(app, 'readme')).length !== compiled + 1) throw new Error('README blocks went missing')
} finally {
  if (keep) console.log(`kept ${work}`)
  else rmSync(work, { recursive: true, force: true })
}

/** The value and type names `index.d.ts` exports, read from its export lists. */
function exportsOf (dts: string): string[] {
  const names = new Set<string>()
  for (const list of readFileSync(dts, 'utf8').matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const item of (list[1] ?? '').split(',')) {
      const name = item.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()?.trim()
      if (name !== undefined && name !== '') names.add(name)
    }
  }
  return [...names]
}

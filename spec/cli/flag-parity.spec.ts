import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import ts from 'typescript'
import { ABORT_UPLOADS_FLAGS } from '../../lib/cli/abort-uploads.js'
import { FLAGS } from '../../lib/cli/cli-flags.js'
import { OBJECT_PARAM_FLAGS } from '../../lib/cli/object-params.js'
import { USAGE } from '../../lib/cli/usage.js'

// "Every library feature has a CLI flag": every option of the sink's config,
// of the public stages and sinks the CLI is built from, and of the log sources
// is a flag of `s3-sink`, by its own name in kebab-case (`windowMs` →
// `--window-ms`) unless FLAG_FOR names another, or it is one that no command
// line can give (NOT_A_FLAG says why). A new option of any of these types
// fails here until it has a flag or a reason.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
/** The option types the CLI stands for: the sinks (config, batches, routes), the stages, key templates, doctor and the log sources. */
const OPTION_TYPES = ['S3SinkConfig', 'S3WritableOptions', 'ManifestOptions', 'BatchOptions', 'SinkRoute', 'S3DestinationOptions',
  'FilterApisOptions', 'SerializeOptions', 'MinuteWindowOptions', 'GzipOptions', 'CompressOptions', 'KeyRotateOptions', 'RouteOptions', 'RouteOutput',
  'KeyTemplateOptions', 'DoctorOptions', 'CheckpointOptions', 'RedisStreamSourceOptions', 'NatsJetStreamSourceOptions']

/** Options whose flag has another name (keys: `Type.option`, or `option` for every type). */
const FLAG_FOR: Record<string, string[]> = {
  batched: ['per-record'], // batches are the CLI's default; --per-record is batched: false
  'SinkRoute.batched': ['route'],
  'SinkRoute.name': ['route'],
  'SinkRoute.when': ['route'], // --route NAME:when=FIELD=VALUE
  routes: ['route'],
  'RouteOptions.outputs': ['route'],
  'RouteOutput.name': ['route'],
  'RouteOutput.when': ['route'],
  'RouteOutput.window': ['route'], // --route NAME:window=...,max-records=...,max-bytes=...
  manifests: ['manifests', 'manifest-template'], // --manifest-template is manifests: { keyTemplate }
  'ManifestOptions.keyTemplate': ['manifest-template'],
  'ManifestOptions.timeZone': ['time-zone'], // --time-zone dates the manifests' keys as the objects'
  partitionBy: ['key-template'], // the template's record fields partition the batches
  'GzipOptions.chunkSize': ['gzip-chunk-size'], // --chunk-size is the window's body chunks (minuteWindow, serialize)
  'CompressOptions.chunkSize': ['gzip-chunk-size'],
  params: Object.keys(OBJECT_PARAM_FLAGS),
  timeOf: ['time-field'],
  closeOnTime: ['no-close-on-time'],
  level: ['gzip-level', 'compression-level'],
  threads: ['gzip-threads'],
  encodingHeader: ['no-content-encoding'],
  url: ['source'], // --source redis://HOST:PORT/STREAM
  stream: ['source'],
  'NatsJetStreamSourceOptions.batch': ['pull-batch'], // --batch would read as the batching of objects
  'NatsJetStreamSourceOptions.name': ['connection-name']
}

/** Options no flag can carry. */
const NOT_A_FLAG: Record<string, string> = {
  type: 'always "s3"; --out-dir writes files instead',
  client: 'a client object of the caller\'s: the CLI builds its own from the connection flags',
  connection: 'a connection object of the caller\'s: the CLI opens its own from --source',
  clock: 'a time source for tests: the CLI runs on the system clock',
  signal: 'the CLI stops its source itself, on SIGTERM / SIGINT',
  decode: 'a function: the CLI decodes each entry as one JSON object, invalid ones following --on-invalid',
  stringify: 'a function: the CLI stores each line as read, never re-serialized',
  apiName: 'a function: the CLI reads the Run\'s apiInfo.name (--apis-to-send)',
  isFailed: 'a function: the CLI reads the Run\'s apiInfo.result.status (--skip-on-fail)',
  'KeyRotateOptions.key': 'a function: --key-template names the objects',
  'SerializeOptions.format': 'only "ndjson" exists; the CLI reads and writes NDJSON',
  'MinuteWindowOptions.validateLines': 'parses byte input; the CLI parses every line itself and --on-invalid decides',
  'KeyTemplateOptions.unique': 'always true for --key-template ({id} keeps keys apart); only manifests\' own keys need none',
  'KeyTemplateOptions.option': 'the option named in errors: the CLI names the flag',
  'KeyTemplateOptions.timeZoneOption': 'the option named in errors: the CLI names the flag',
  'CheckpointOptions.onCommit': 'a function: with --source the CLI acknowledges entries to the log itself'
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

/** abortIncompleteUploads()' options that `s3-sink abort-uploads` does not take as a flag of its own or of the sink's, and why. */
const NOT_AN_ABORT_FLAG: Record<string, string> = {
  type: 'always "s3"',
  client: NOT_A_FLAG.client!,
  apisToSend: 'a sink field, accepted and ignored so a sink config can be passed',
  skipOnFail: 'a sink field, accepted and ignored',
  batched: 'a sink field, accepted and ignored',
  clock: 'a sink field, accepted and ignored'
}

/** The option names of each type in `types` (default OPTION_TYPES), from the public types. */
function optionsOf (types = OPTION_TYPES): Array<{ type: string, option: string }> {
  const index = resolve(ROOT, 'lib/index.ts')
  const program = ts.createProgram([index], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, strict: true })
  const checker = program.getTypeChecker()
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(index)!)!)
  return types.flatMap((type) => {
    const symbol = exports.find((s) => s.name === type)!
    return checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(symbol))).map((p) => ({ type, option: p.name }))
  })
}

describe('s3-sink has a flag for every option of the sinks, the stages and the log sources', function () {
  this.timeout(60_000) // one TypeScript program over lib/
  let options: Array<{ type: string, option: string }>
  before(() => { options = optionsOf() })

  it('by its own name, by the name given here, or not at all for what no command line can give', () => {
    const missing = options.filter(({ type, option }) => {
      if ((NOT_A_FLAG[`${type}.${option}`] ?? NOT_A_FLAG[option]) !== undefined) return false
      const flags = FLAG_FOR[`${type}.${option}`] ?? FLAG_FOR[option] ?? [kebab(option)]
      return !flags.every((flag) => flag in FLAGS)
    }).map(({ type, option }) => `${type}.${option}`)
    expect(missing).to.deep.equal([])
  })

  it('lists here only options that exist', () => {
    const names = new Set(options.flatMap(({ type, option }) => [option, `${type}.${option}`]))
    expect([...Object.keys(FLAG_FOR), ...Object.keys(NOT_A_FLAG)].filter((name) => !names.has(name))).to.deep.equal([])
  })
})

/**
 * Window options the CLI has a flag for that a library sink does not take, and
 * why (keys: `Type.option`). `onLate`, `idleTimeoutMs`, `chunkSize` and the
 * batched sink's `onInvalid` were until the sinks took them.
 */
const NOT_ON_THE_SINK: Record<string, string> = {
  'BatchOptions.partitionBy': 'the key template\'s record fields partition the windows (keyTemplate), as --key-template does',
  'S3DestinationOptions.partitionBy': 'the key template\'s payload fields partition each pair\'s windows (keyTemplate)',
  'S3DestinationOptions.onInvalid': 'send() serializes every payload itself and throws for one it cannot (ERR_SERIALIZE): none reaches the window invalid',
  'S3DestinationOptions.closeOnTime': 'no stable keys: a destination\'s batches are cut on the window\'s timer, as the CLI\'s are without --stable-keys'
}

describe('the library sinks take every window option s3-sink has a flag for', function () {
  this.timeout(60_000) // one TypeScript program over lib/
  it('createS3Sink({ batched }) and createS3Destination(), or NOT_ON_THE_SINK says why not', () => {
    const all = optionsOf(['MinuteWindowOptions', 'BatchOptions', 'S3DestinationOptions'])
    const has = new Set(all.map(({ type, option }) => `${type}.${option}`))
    const flagged = all.filter(({ type, option }) => type === 'MinuteWindowOptions' && (NOT_A_FLAG[`${type}.${option}`] ?? NOT_A_FLAG[option]) === undefined).map(({ option }) => option)
    expect(flagged).to.include.members(['onLate', 'timeOf', 'allowedLatenessMs'])
    const missing = ['BatchOptions', 'S3DestinationOptions'].flatMap((type) => flagged.map((option) => `${type}.${option}`))
      .filter((name) => !has.has(name) && NOT_ON_THE_SINK[name] === undefined)
    expect(missing).to.deep.equal([])
    // A reason for an option the sink has since taken is stale.
    expect(Object.keys(NOT_ON_THE_SINK).filter((name) => has.has(name))).to.deep.equal([])
  })
})

describe('every flag of s3-sink is documented', () => {
  const flags = Object.keys(FLAGS)
  const named = (text: string) => (flag: string) => !new RegExp(`--${flag}(?![a-z-])`).test(text)

  it('in --help', () => {
    expect(flags.filter(named(USAGE))).to.deep.equal([])
  })

  it('in the README', () => {
    expect(flags.filter(named(readFileSync(resolve(ROOT, 'README.md'), 'utf8')))).to.deep.equal([])
  })
})

describe('s3-sink abort-uploads has a flag for every option of abortIncompleteUploads()', function () {
  this.timeout(60_000) // one TypeScript program over lib/
  it('its own (--older-than, --dry-run) or the sink\'s (connection, bucket, prefix, concurrency), or none for what no command line gives', () => {
    const flags = new Set(ABORT_UPLOADS_FLAGS)
    const missing = optionsOf(['AbortIncompleteUploadsOptions'])
      .filter(({ option }) => NOT_AN_ABORT_FLAG[option] === undefined && !flags.has(kebab(option)))
      .map(({ option }) => option)
    expect(missing).to.deep.equal([])
  })
})

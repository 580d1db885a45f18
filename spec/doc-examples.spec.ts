import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import ts from 'typescript'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const INDEX = resolve(ROOT, 'lib/index.ts')
// The names the examples take as given (the reader's own feed, sink, config...).
const CONTEXT = [resolve(ROOT, 'scripts/readme-context.d.ts'), resolve(ROOT, 'scripts/doc-example-context.d.ts')]

// Exports whose files other work owns right now; each gets its @example there, then leaves this list.
const PENDING = new Set<string>([])
// Examples that do not type-check yet, in files other work owns right now; each leaves this list once fixed there.
const UNTYPED = new Map<string, string>([])

interface Documented { name: string, file: string, examples: string[] }

const OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  // The examples import the package by name, as readers do; here that name is the source.
  baseUrl: ROOT,
  paths: { 's3-stream-sink': ['lib/index.ts'] }
}

/** Every public export with the ```ts blocks of its TSDoc @example tags. */
function publicExports (program: ts.Program): Documented[] {
  const checker = program.getTypeChecker()
  const index = checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!
  return checker.getExportsOfModule(index).map((exported) => {
    const symbol = (exported.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(exported) : exported
    const declaration = symbol.declarations![0]!
    const examples = ts.getJSDocTags(declaration)
      .filter((tag) => tag.tagName.text === 'example')
      .flatMap((tag) => [...(ts.getTextOfJSDocComment(tag.comment) ?? '').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!))
    return { name: exported.name, file: relative(ROOT, declaration.getSourceFile().fileName), examples }
  })
}

/**
 * One module per example: the package's exports and `pipeline`, `once`, `fs`
 * and the stream classes are imported on the first line (minus what the
 * example imports itself), so tsc's line 2 is the example's line 1.
 */
function exampleModule (code: string, exportNames: string[]): string {
  const own = new Set<string>()
  for (const statement of ts.createSourceFile('x.ts', code, ts.ScriptTarget.ES2022).statements) {
    const bindings = ts.isImportDeclaration(statement) ? statement.importClause?.namedBindings : undefined
    if (bindings !== undefined && ts.isNamedImports(bindings)) for (const e of bindings.elements) own.add(e.name.text)
  }
  const imports: Array<[string, string[]]> = [
    ['s3-stream-sink', exportNames],
    ['node:stream/promises', ['pipeline']],
    ['node:events', ['once']],
    ['node:stream', ['Readable', 'Writable', 'Transform', 'PassThrough']]
  ]
  const head = imports.map(([from, names]) => `import { ${names.filter((n) => !own.has(n)).join(', ')} } from '${from}'; `).join('')
  return `${head}import fs from 'node:fs'\n${code}\nexport {}\n`
}

/** Type-checks every example in one program (lib/ is checked once, not per example). */
function typeErrors (exported: Documented[], oldProgram: ts.Program): Array<{ name: string, error: string }> {
  const modules = new Map<string, { name: string, label: string, text: string }>()
  const names = exported.map((e) => e.name)
  for (const { name, examples } of exported) {
    examples.forEach((code, i) => modules.set(resolve(ROOT, `.doc-examples/${name}-${i + 1}.ts`), { name, label: `${name}${examples.length > 1 ? ` #${i + 1}` : ''}`, text: exampleModule(code, names) }))
  }
  const host = ts.createCompilerHost(OPTIONS)
  const { getSourceFile, fileExists, readFile } = host
  host.fileExists = (file) => modules.has(file) || fileExists.call(host, file)
  host.readFile = (file) => modules.get(file)?.text ?? readFile.call(host, file)
  host.getSourceFile = (file, language, ...rest) => {
    const module = modules.get(file)
    return module !== undefined ? ts.createSourceFile(file, module.text, language, true) : getSourceFile.call(host, file, language, ...rest)
  }
  const program = ts.createProgram({ rootNames: [...CONTEXT, ...modules.keys()], options: OPTIONS, host, oldProgram })
  const global = program.getGlobalDiagnostics().map((d) => ({ name: '', error: `options: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}` }))
  return global.concat([...modules].flatMap(([file, { name, label }]) => {
    const source = program.getSourceFile(file)!
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line
      return { name, error: `${label}, line ${line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}` }
    })
  }))
}

describe('TSDoc of the public API', function () {
  // Two TypeScript programs over lib/ (the second reuses the first's files): seconds on a loaded machine.
  this.timeout(120_000)
  let exported: Documented[]
  let errors: Array<{ name: string, error: string }>
  before(() => {
    const program = ts.createProgram([INDEX], OPTIONS)
    exported = publicExports(program)
    errors = typeErrors(exported, program)
  })

  it('gives every public export an @example', () => {
    const missing = exported.filter((e) => e.examples.length === 0 && !PENDING.has(e.name)).map((e) => `${e.name} (${e.file})`)
    expect(missing).to.deep.equal([])
  })

  it('has examples that type-check against the public types (free variables are declared in scripts/*-context.d.ts)', () => {
    expect(errors.filter((e) => !UNTYPED.has(e.name)).map((e) => e.error).join('\n')).to.equal('')
  })

  it('lists as untyped only examples that still fail to type-check', () => {
    const fixed = [...UNTYPED.keys()].filter((name) => !errors.some((e) => e.name === name))
    expect(fixed).to.deep.equal([])
  })

  it('lists as pending only exports still without an example', () => {
    const done = exported.filter((e) => PENDING.has(e.name) && e.examples.length > 0).map((e) => e.name)
    expect(done).to.deep.equal([])
  })
})

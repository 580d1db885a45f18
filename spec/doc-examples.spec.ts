import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import ts from 'typescript'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const INDEX = resolve(ROOT, 'lib/index.ts')

// Exports whose files other work owns right now; each gets its @example there, then leaves this list.
const PENDING = new Set<string>([])

interface Documented { name: string, file: string, examples: string[] }

/** Every public export with the ```ts blocks of its TSDoc @example tags. */
function publicExports (): Documented[] {
  const program = ts.createProgram([INDEX], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true })
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

describe('TSDoc of the public API', function () {
  // One TypeScript program over lib/: a few seconds on a loaded machine.
  this.timeout(60_000)
  let exported: Documented[]
  before(() => { exported = publicExports() })

  it('gives every public export an @example', () => {
    const missing = exported.filter((e) => e.examples.length === 0 && !PENDING.has(e.name)).map((e) => `${e.name} (${e.file})`)
    expect(missing).to.deep.equal([])
  })

  it('has examples that parse as TypeScript (free variables stand for the reader\'s own)', () => {
    const broken = exported.flatMap(({ name, examples }) => examples.flatMap((code) => {
      const { diagnostics = [] } = ts.transpileModule(code, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } })
      return diagnostics.map((d) => `${name}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`)
    }))
    expect(broken).to.deep.equal([])
  })

  it('lists as pending only exports still without an example', () => {
    const done = exported.filter((e) => PENDING.has(e.name) && e.examples.length > 0).map((e) => e.name)
    expect(done).to.deep.equal([])
  })
})

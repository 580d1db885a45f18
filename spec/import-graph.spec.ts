import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import ts from 'typescript'

const LIB = resolve(dirname(fileURLToPath(import.meta.url)), '../lib')

function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** Every lib/ file's relative imports, `import type` and re-exports included: a type-only cycle still ties two files together. */
function importGraph (): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of sources(LIB)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    graph.set(file, importedFiles
      .map(({ fileName }) => fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts'))))
  }
  return graph
}

/** One path per cycle found by a depth-first walk (enough to name what to untie). */
function cycles (graph: Map<string, string[]>): string[][] {
  const found: string[][] = []
  const done = new Set<string>()
  const path: string[] = []
  const visit = (file: string): void => {
    const at = path.indexOf(file)
    if (at !== -1) { found.push([...path.slice(at), file]); return }
    if (done.has(file)) return
    path.push(file)
    for (const next of graph.get(file) ?? []) visit(next)
    path.pop()
    done.add(file)
  }
  for (const file of graph.keys()) visit(file)
  return found
}

describe('lib/ import graph', () => {
  it('has no cycles, type-only imports included', () => {
    const found = cycles(importGraph()).map((cycle) => cycle.map((file) => relative(LIB, file)).join(' -> '))
    expect(found).to.deep.equal([])
  })

  it('resolves every relative import to a file of lib/', () => {
    const graph = importGraph()
    const missing = [...graph.values()].flat().filter((file) => !graph.has(file)).map((file) => relative(LIB, file))
    expect(missing).to.deep.equal([])
  })
})

import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import ts from 'typescript'
import * as api from '../lib/index.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

interface CodedClass { name: string, code: string, fields: string[] }

/** The classes of lib/errors.ts with their `code` and the fields they declare (besides `name` and `code`). */
function errorClasses (): CodedClass[] {
  const file = ts.createSourceFile('errors.ts', readFileSync(resolve(ROOT, 'lib/errors.ts'), 'utf8'), ts.ScriptTarget.ES2022, true)
  return file.statements.filter(ts.isClassDeclaration).flatMap((c) => {
    const properties = c.members.filter(ts.isPropertyDeclaration)
    const code = properties.find((p) => p.name.getText() === 'code')?.initializer
    if (code === undefined || !ts.isStringLiteral(code)) return []
    const fields = properties.map((p) => p.name.getText()).filter((n) => n !== 'code' && n !== 'name')
    return [{ name: c.name!.text, code: code.text, fields }]
  })
}

interface Row { code: string, className: string, fields: string[] }

/** The rows of the README's "Error codes" table; a row's fields are the names its last column puts in backquotes (not those in parentheses). */
function readmeRows (): Row[] {
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('\n## Error codes\n'), readme.indexOf('\n## ', readme.indexOf('\n## Error codes\n') + 1))
  return section.split('\n').filter((line) => line.startsWith('| `ERR_')).map((line) => {
    const cells = line.split(' | ').map((c) => c.replace(/^\| |\|$/g, '').trim())
    const extra = (cells[3] ?? '').replace(/\([^()]*\)/g, '')
    return {
      code: cells[0]!.replaceAll('`', ''),
      className: cells[1]!.replaceAll('`', ''),
      fields: [...extra.matchAll(/`([A-Za-z]+)/g)].map((m) => m[1]!)
    }
  })
}

describe('the README\'s error-code table against lib/errors.ts', () => {
  const classes = errorClasses()
  const rows = readmeRows()

  it('lists every code once, and no code that lib/errors.ts does not have', () => {
    expect(rows.map((r) => r.code).sort()).to.deep.equal(classes.map((c) => c.code).sort())
  })

  it('names each code\'s class, or "(CLI)" for the errors only the CLI reports (not exported)', () => {
    for (const row of rows) {
      const coded = classes.find((c) => c.code === row.code)!
      const exported = coded.name in api
      expect(row.className, row.code).to.equal(exported ? coded.name : '(CLI)')
    }
  })

  it('lists the extra fields of each exported class, and only those (`cause` is every error\'s)', () => {
    for (const row of rows.filter((r) => r.className !== '(CLI)')) {
      const coded = classes.find((c) => c.code === row.code)!
      const listed = row.fields.filter((f) => f !== 'cause')
      expect(listed.sort(), `${row.code} (${coded.name})`).to.deep.equal([...coded.fields].sort())
    }
  })
})

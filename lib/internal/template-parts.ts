import { InvalidOptionError } from '../errors.js'
import { DATE_PARTS, type DatePart } from './date-formatter.js'

const NAMES = new Set<string>([...DATE_PARTS, 'id', 'seq', 'ext', 'prefix'])
const FIELD = /^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/

/** One piece of a parsed key template: fixed text or a placeholder. */
export type Part =
  | { kind: 'text', text: string }
  | { kind: 'date', part: DatePart }
  | { kind: 'id' | 'seq' | 'ext' | 'prefix' }
  | { kind: 'field', path: string, names: string[] }

/**
 * The parts of a key template, in order; throws `InvalidOptionError` naming
 * `option` for an unbalanced brace or an unknown placeholder (a near miss of
 * a reserved name is suggested: `{yyyy}` → `{YYYY}`).
 *
 * @example
 * ```ts
 * templateParts('{prefix}{apiInfo.name}/{id}{ext}', 'options.keyTemplate').map((p) => p.kind) // ['prefix', 'field', 'text', 'id', 'ext']
 * ```
 */
export function templateParts (source: string, option: string): Part[] {
  const parts: Part[] = []
  let at = 0
  while (at < source.length) {
    const open = source.indexOf('{', at)
    const close = source.indexOf('}', at)
    if (close !== -1 && (open === -1 || close < open)) throw new InvalidOptionError(option, `has a "}" without "{" at character ${close}`)
    if (open === -1) {
      parts.push({ kind: 'text', text: source.slice(at) })
      break
    }
    if (open > at) parts.push({ kind: 'text', text: source.slice(at, open) })
    const end = source.indexOf('}', open)
    if (end === -1) throw new InvalidOptionError(option, `has a "{" without "}" at character ${open}`)
    parts.push(placeholder(source.slice(open + 1, end), option))
    at = end + 1
  }
  return parts
}

function placeholder (name: string, option: string): Part {
  if (NAMES.has(name)) {
    if ((DATE_PARTS as readonly string[]).includes(name)) return { kind: 'date', part: name as DatePart }
    return { kind: name as 'id' | 'seq' | 'ext' | 'prefix' }
  }
  // {yyyy}, {Id}, {EXT}: a typo of a reserved name, not a record field.
  const near = [...NAMES].find((known) => known.toLowerCase() === name.toLowerCase())
  if (near !== undefined) throw new InvalidOptionError(option, `has an unknown placeholder {${name}}: did you mean {${near}}?`)
  if (!FIELD.test(name)) throw new InvalidOptionError(option, `has an unknown placeholder {${name}}: use a date part, {id}, {seq}, {ext}, {prefix} or a record field path such as {apiInfo.name}`)
  const names = name.split('.')
  if (names.some((n) => n === '__proto__' || n === 'constructor' || n === 'prototype')) {
    throw new InvalidOptionError(option, `has an unusable field path {${name}}`)
  }
  return { kind: 'field', path: name, names }
}

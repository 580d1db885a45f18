/**
 * The `ts` code blocks of a Markdown text, for compiling the README's examples
 * against the packed package. A block stands alone (with its own imports)
 * unless the line before its fence is a marker:
 *
 * - `<!-- ts: fragment -->`: a snippet that continues the text around it; it
 *   is compiled with every export of the package, `pipeline`, `once` and `fs`
 *   in scope.
 * - `<!-- ts: skip (why) -->`: not code to compile, e.g. a type's shape
 *   written out for reading.
 *
 * Names the examples take as given (`source`, `cfg`, `accessKeyId`, ...) are
 * declared in `readme-context.d.ts`.
 */
export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number
  code: string
  mode: 'module' | 'fragment' | 'skip'
}

const FENCE = /^(\s*)```(\w*)\s*$/
const MARKER = /^\s*<!--\s*ts:\s*(fragment|skip)\b.*-->\s*$/

export function readmeBlocks (markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n')
  const blocks: ReadmeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '')
    if (open === null) continue
    const indent = open[1] ?? ''
    let end = i + 1
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] ?? '')) end++
    if (open[2] === 'ts' || open[2] === 'typescript') {
      let before = i - 1
      while (before >= 0 && (lines[before] ?? '').trim() === '') before--
      const marker = MARKER.exec(lines[before] ?? '')
      const code = lines.slice(i + 1, end).map((l) => l.startsWith(indent) ? l.slice(indent.length) : l).join('\n')
      blocks.push({ line: i + 1, code, mode: (marker?.[1] as 'fragment' | 'skip' | undefined) ?? 'module' })
    }
    i = end
  }
  return blocks
}

/**
 * A Markdown table with padded columns, readable as plain text too.
 * Alignment is `'r'` (right) or `'l'` per column.
 *
 * @example
 * ```ts
 * console.log(markdownTable(['Row', 'records/s'], [['limit', '95,000']], ['l', 'r']))
 * ```
 */
export function markdownTable (headers: readonly string[], rows: ReadonlyArray<readonly string[]>, align: ReadonlyArray<'l' | 'r'> = []): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((row) => width(row[i] ?? ''))))
  const cell = (text: string, i: number): string => {
    const pad = ' '.repeat((widths[i] as number) - width(text))
    return align[i] === 'r' ? pad + text : text + pad
  }
  const line = (cells: readonly string[]): string => `| ${headers.map((_, i) => cell(cells[i] ?? '', i)).join(' | ')} |`
  const rule = `|${widths.map((w, i) => align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2)).join('|')}|`
  return [line(headers), rule, ...rows.map(line)].join('\n')
}

// ✓ and ✗ are one column wide in a terminal, like any other character.
function width (text: string): number {
  return [...text].length
}

/**
 * An integer with thousands separators.
 *
 * @example
 * ```ts
 * int(1234567) // '1,234,567'
 * ```
 */
export function int (n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'
}

/**
 * A number with `digits` decimals.
 *
 * @example
 * ```ts
 * fixed(3.14159, 2) // '3.14'
 * ```
 */
export function fixed (n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a'
}

/**
 * Bytes as MB (10^6), the unit of every MB/s figure here.
 *
 * @example
 * ```ts
 * mb(2_000_000_000) // '2,000.0'
 * ```
 */
export function mb (bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / 1e6).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }) : 'n/a'
}

/**
 * A measured value with its noise: `95,000 ±3%`.
 *
 * @example
 * ```ts
 * withSpread(95000, 3.2) // '95,000 ±3%'
 * ```
 */
export function withSpread (value: number, spread: number): string {
  return spread > 0 ? `${int(value)} ±${Math.round(spread)}%` : int(value)
}

/**
 * Whether `value` meets its target: `✓ (≥ 0.85)` or `✗ (≥ 0.85)`.
 *
 * @example
 * ```ts
 * verdict(0.93, '≥', 0.85) // '✓ (≥ 0.85)'
 * ```
 */
export function verdict (value: number, op: '≥' | '≤', target: number, unit = ''): string {
  if (!Number.isFinite(value)) return 'n/a'
  const ok = op === '≥' ? value >= target : value <= target
  return `${ok ? '✓' : '✗'} (${op} ${target}${unit})`
}

/**
 * The end of one block's job: its whole compressed output (in pieces, in
 * order), or why there is none. Every block compressor reports through it.
 *
 * @example
 * ```ts
 * const done: BlockDone = (err, out) => { if (err === null) push(out) }
 * ```
 */
export type BlockDone = (err: Error | null, out?: Buffer | Buffer[]) => void

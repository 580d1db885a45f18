/** One stream entry as Redis returns it: its id and its field/value pairs. */
export interface RedisEntry {
  id: string
  fields: string[]
}

/** The entries of an XREADGROUP reply for one stream (`null` when BLOCK ran out). */
export function readGroupEntries (reply: unknown): RedisEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return []
  // RESP2 nests [[stream, entries]]; some client versions hand back [stream, entries] for a single stream.
  const streamReply: unknown = Array.isArray(reply[0]) ? reply[0] : reply
  return Array.isArray(streamReply) ? entries(streamReply[1]) : []
}

/** The next cursor and the entries of an XAUTOCLAIM reply; deleted entries are left out (Redis drops them from the pending list itself). */
export function autoClaimEntries (reply: unknown): { cursor: string, entries: RedisEntry[] } {
  if (!Array.isArray(reply)) return { cursor: '0-0', entries: [] }
  return { cursor: String(reply[0]), entries: entries(reply[1]) }
}

function entries (list: unknown): RedisEntry[] {
  if (!Array.isArray(list)) return []
  const out: RedisEntry[] = []
  for (const item of list) {
    // Redis 6.2 answers nil for a claimed entry that was deleted meanwhile.
    if (!Array.isArray(item) || !Array.isArray(item[1])) continue
    out.push({ id: String(item[0]), fields: (item[1] as unknown[]).map(String) })
  }
  return out
}

/** The payload text of an entry: the value of `field`, or (`null`) the JSON of all its fields. `undefined` when the field is missing. */
export function entryPayload (entry: RedisEntry, field: string | null): string | undefined {
  const { fields } = entry
  if (field === null) {
    const record: Record<string, string> = {}
    for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!
    return JSON.stringify(record)
  }
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === field) return fields[i + 1]
  return undefined
}

import { randomBytes } from 'node:crypto'
import type { Batch } from '../batch.js'
import type { KeyTemplate } from '../key-template.js'

/** The checksum of one object: the store's full-object CRC where it returned one, else SHA-256 of the bytes sent. */
export type ObjectChecksum =
  | { algorithm: 'CRC32' | 'CRC32C' | 'CRC64NVME', type: 'FULL_OBJECT', value: string }
  | { algorithm: 'SHA256', value: string }

/** One object in a manifest. */
export interface ManifestObject {
  key: string
  etag: string | undefined
  records: number
  /** Uncompressed NDJSON bytes. */
  rawBytes: number
  /** Bytes stored. */
  storedBytes: number
  /** ISO-8601; `null` for windows by arrival time. */
  minEventTime: string | null
  maxEventTime: string | null
  checksum: ObjectChecksum
}

/** What a manifest object holds: proof that a window (of one partition) is complete. */
export interface Manifest {
  version: 1
  bucket: string
  window: { start: string, end: string }
  /** `null` for the main feed; `dead-letter`, `late` or the field partition (`apiInfo.name=search`). */
  partition: string | null
  /** Values of the partition's record fields, by dotted path; `null` when unpartitioned. */
  fields: Readonly<Record<string, string>> | null
  records: number
  rawBytes: number
  storedBytes: number
  minEventTime: string | null
  maxEventTime: string | null
  objects: ManifestObject[]
}

interface Group { batch: Batch, pending: number, sealed: boolean, objects: ManifestObject[] }

/** The partitions whose keys go into a folder of their own, not a field partition. */
const SPECIAL = new Set(['dead-letter', 'late'])

/**
 * Collects the objects of each window (and partition) and says when its
 * manifest can be written: once the window stage has closed the window
 * (`stats.windowClosed`, or the end of the feed) and every object of it is
 * complete. After any failure, no manifest is written at all.
 */
export class ManifestTracker {
  readonly #groups = new Map<string, Group>()
  readonly #bucket: string
  readonly #template: KeyTemplate
  readonly #prefix: string
  readonly #write: (key: string, manifest: Manifest) => void
  #dead = false

  constructor (options: { bucket: string, template: KeyTemplate, prefix: string, write: (key: string, manifest: Manifest) => void }) {
    this.#bucket = options.bucket
    this.#template = options.template
    this.#prefix = options.prefix
    this.#write = options.write
  }

  /** An upload of `batch` started. */
  started (batch: Batch): void {
    const id = groupId(batch)
    const group = this.#groups.get(id) ?? { batch, pending: 0, sealed: false, objects: [] }
    group.pending++
    this.#groups.set(id, group)
  }

  /** The object of `batch` is complete. */
  completed (batch: Batch, object: ManifestObject): void {
    const id = groupId(batch)
    const group = this.#groups.get(id)
    if (group === undefined) return
    group.pending--
    group.objects.push(object)
    if (batch.stats.windowClosed === true) group.sealed = true
    this.#maybeWrite(id, group)
  }

  /** Something failed: no manifest from now on, so none vouches for a window that may lack an object. */
  failed (): void {
    this.#dead = true
    this.#groups.clear()
  }

  /** The feed ended: every window is closed. */
  finish (): void {
    for (const [id, group] of this.#groups) {
      group.sealed = true
      this.#maybeWrite(id, group)
    }
  }

  #maybeWrite (id: string, group: Group): void {
    if (this.#dead || !group.sealed || group.pending > 0) return
    this.#groups.delete(id)
    const { batch, objects } = group
    objects.sort((a, b) => a.key < b.key ? -1 : 1)
    const special = batch.partition !== undefined && SPECIAL.has(batch.partition) ? batch.partition : undefined
    const key = this.#template.render({
      time: batch.windowStart,
      id: randomBytes(32).toString('hex'),
      seq: batch.seq,
      ext: '',
      prefix: this.#prefix,
      ...(batch.fields === undefined ? {} : { fields: batch.fields }),
      ...(special === undefined ? {} : { special })
    })
    const times = objects.flatMap((o) => [o.minEventTime, o.maxEventTime]).filter((t): t is string => t !== null).sort()
    this.#write(key, {
      version: 1,
      bucket: this.#bucket,
      window: { start: new Date(batch.windowStart).toISOString(), end: new Date(batch.windowEnd).toISOString() },
      partition: batch.partition ?? null,
      fields: batch.fields ?? null,
      records: sum(objects, 'records'),
      rawBytes: sum(objects, 'rawBytes'),
      storedBytes: sum(objects, 'storedBytes'),
      minEventTime: times[0] ?? null,
      maxEventTime: times[times.length - 1] ?? null,
      objects
    })
  }
}

function groupId (batch: Batch): string {
  return `${batch.windowStart}\u0000${batch.partition ?? ''}`
}

function sum (objects: ManifestObject[], field: 'records' | 'rawBytes' | 'storedBytes'): number {
  return objects.reduce((total, o) => total + o[field], 0)
}

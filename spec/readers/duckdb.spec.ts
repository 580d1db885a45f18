import { expect } from 'chai'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { DuckDBInstance } from '@duckdb/node-api'
import { keyTemplate } from '../../lib/key-template.js'
import { s3Writable } from '../../lib/sinks/s3-writable.js'
import { compress } from '../../lib/stages/compress.js'
import { minuteWindow } from '../../lib/stages/minute-window.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run, source } from '../helpers/streams.js'

const T0 = Date.UTC(2026, 10, 25, 23, 58)
const W = 60_000

// A real reader: DuckDB reads the partitioned, event-timed layout as written, Hive folders and all.
describe('DuckDB reads a partitioned, event-timed layout', () => {
  let s3: LocalS3
  let dir: string
  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket('lake')
    dir = await mkdtemp(join(tmpdir(), 'duckdb-'))
  })
  after(async () => {
    await s3.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('api=/dt=/hour= folders by event time (across midnight), gzip NDJSON and manifests', async () => {
    const t = keyTemplate('runs/api={apiInfo.name}/dt={YYYY}-{MM}-{DD}/hour={HH}/{id}{ext}')
    // Runs created over 4 minutes across midnight, arriving out of order (within the allowed lateness).
    const runs = Array.from({ length: 600 }, (_, i) => ({ ...run(i), createdAt: new Date(T0 + ((i * 7919) % (4 * W))).toISOString() }))
    const sink = s3Writable({ ...s3.config, bucket: 'lake', keyTemplate: t, manifests: { keyTemplate: 'runs/_manifests/{YYYY}{MM}{DD}{HH}{mm}-{id}.json' } })
    await pipeline(source(runs), minuteWindow({
      partitionBy: t.fields,
      timeOf: (r) => Date.parse((r as { createdAt: string }).createdAt),
      allowedLatenessMs: 4 * W
    }), compress(), sink)

    for (const key of await s3.listKeys('lake', 'runs/')) {
      const path = join(dir, key)
      await mkdir(dirname(path), { recursive: true })
      await writeFile(path, (await s3.getObject('lake', key)).body)
    }
    const db = await DuckDBInstance.create(':memory:')
    const connection = await db.connect()
    try {
      const rows = (await connection.runAndReadAll(`
        select api, dt, hour, count(*)::integer as n, min(createdAt) as first
        from read_json_auto('${join(dir, 'runs/api=*/**/*.gz')}', hive_partitioning = true, format = 'newline_delimited')
        group by all order by all`)).getRowObjectsJson()
      const expected = new Map<string, { api: string, dt: string, hour: string, n: number, first: string }>()
      for (const r of runs) {
        const at = new Date(r.createdAt)
        const api = ((r as Record<string, unknown>).apiInfo as { name: string }).name
        const dt = r.createdAt.slice(0, 10)
        const hour = String(at.getUTCHours()).padStart(2, '0')
        const row = expected.get(`${api}|${dt}|${hour}`) ?? { api, dt, hour, n: 0, first: r.createdAt }
        row.n++
        if (r.createdAt < row.first) row.first = r.createdAt
        expected.set(`${api}|${dt}|${hour}`, row)
      }
      const sorted = [...expected.values()].sort((a, b) => `${a.api}|${a.dt}`.localeCompare(`${b.api}|${b.dt}`))
      expect(rows.map((r) => ({ api: r.api, dt: r.dt, hour: String(r.hour).padStart(2, '0'), n: r.n }))).to.deep.equal(sorted.map(({ api, dt, hour, n }) => ({ api, dt, hour, n })))
      // Every record's event time lies in the folder it was written to.
      const misplaced = (await connection.runAndReadAll(`
        select count(*)::integer as n from read_json_auto('${join(dir, 'runs/api=*/**/*.gz')}', hive_partitioning = true)
        where strftime(createdAt::timestamp, '%Y-%m-%d') <> dt::varchar or apiInfo.name <> api`)).getRowObjectsJson()
      expect(misplaced).to.deep.equal([{ n: 0 }])
      // The manifests add up to the feed: 3 APIs x 4 windows.
      const manifests = (await connection.runAndReadAll(`
        select count(*)::integer as windows, sum(records)::integer as records from read_json_auto('${join(dir, 'runs/_manifests/*.json')}')`)).getRowObjectsJson()
      expect(manifests).to.deep.equal([{ windows: 12, records: runs.length }])
    } finally {
      connection.closeSync()
      db.closeSync()
    }
  })
})

import { expect } from 'chai'
import type { KillTestResult } from './kill-test.js'

/** What the kill test must show: clean exits, every record stored, copies only within the bound. */
export function expectKillTest (r: KillTestResult): void {
  console.log(`      ${r.records} records, ${r.stored} stored in ${r.seconds.toFixed(1)} s; the killed worker stored ${r.victimStored}, ${r.bound} of them unacknowledged (the bound): ${r.duplicates} duplicates${r.torn > 0 ? `; ${r.torn} object(s) of the killed worker cut short by the kill (s3rver keeps them; S3 would refuse them)` : ''}`)
  for (const exit of r.exits) expect(exit.code, `${exit.name}: ${exit.stderr}`).to.equal(0)
  for (const exit of r.exits) expect(exit.stderr).to.match(/\d+ records read, \d+ delivered, \d+ acknowledged/)
  expect(r.missing, 'records missing from S3').to.deep.equal([])
  expect(r.unexplained, 'records stored twice that the killed worker had not stored unacknowledged').to.deep.equal([])
  expect(r.duplicates).to.be.at.most(r.bound)
}

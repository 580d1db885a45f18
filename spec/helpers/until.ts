import { expect } from 'chai'

// Taken when this module loads, before any spec installs a fake clock: the polling keeps real time.
const realSetTimeout = globalThis.setTimeout
const realNow = Date.now

/** Waits for a state reached asynchronously (polls every ms, 10 s of real time at most), then asserts it as `what`. */
export async function until (condition: () => boolean, what: string): Promise<void> {
  const deadline = realNow() + 10_000
  while (!condition() && realNow() < deadline) await new Promise((resolve) => realSetTimeout(resolve, 1))
  expect(condition(), what).to.equal(true)
}

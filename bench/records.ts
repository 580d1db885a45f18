/** A Run result as the sink receives it (the shape the benchmark feeds). */
export interface RunRecord {
  apiInfo: {
    name: string
    parameters: { url: string }
    runId: string
    result: { status: 'completed', statusCode: 200, result: { title: string, price: number, sku: string } } |
    { status: 'failed', statusCode: number, error: string, message: string }
  }
  workspaceId: string
  project: { id: string }
  projectJob: { id: string }
  projectJobRun: { id: string }
}

import { prng } from '../spec/helpers/prng.js'

export { prng }

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
// A vocabulary large enough that text compresses like real product titles
// (gzip about 3-5x over the whole record), not like a repeated template.
const WORDS = ('alpine amber anchor arctic aurora autumn azure badger bamboo basalt beacon birch bison blaze bloom ' +
  'boulder breeze bronze brook cactus canyon cardinal cedar cobalt comet copper coral cosmic crimson crystal cypress ' +
  'dawn delta desert drift dune eagle ember falcon fern fjord flint forest fossil frost galaxy garnet glacier granite ' +
  'harbor hawk hazel heron horizon indigo iris island ivory jade jasper juniper kelp lagoon lantern lava lichen lotus ' +
  'lunar magma maple marble meadow mesa meteor mint mist moss nebula nectar north oasis obsidian ocean olive onyx ' +
  'orchid otter pebble pepper pine plume polar prairie quartz raven reef ridge river ruby saffron sage sapphire ' +
  'sierra slate solar spruce storm summit thistle thunder tidal timber topaz tundra valley velvet violet walnut ' +
  'willow wren zephyr').split(' ')
const APIS = ['search', 'product', 'reviews', 'listing', 'checkout']
const ERRORS = ['Timeout', 'NavigationError', 'SelectorNotFound', 'HttpError']

/** Records generated from one seed: `next()` gives the following record. */
export interface RecordGenerator {
  next (): RunRecord
}

/**
 * Makes Run-shaped records of about 300 bytes of JSON each, with random ids,
 * prices and titles from a seeded PRNG, and about 5% failed Runs.
 *
 * @example
 * ```ts
 * const gen = recordGenerator(1)
 * JSON.stringify(gen.next()).length // about 300
 * ```
 */
export function recordGenerator (seed = 1): RecordGenerator {
  const rnd = prng(seed)
  const int = (n: number): number => Math.floor(rnd() * n)
  // Five base62 characters per draw (62^5 < 2^32): generation stays cheap next to the pipeline.
  const id = (length: number): string => {
    let s = ''
    while (s.length < length) {
      let n = Math.floor(rnd() * 916_132_832)
      for (let i = 0; i < 5 && s.length < length; i++, n = Math.floor(n / 62)) s += ALPHABET[n % 62]
    }
    return s
  }
  const word = (): string => WORDS[int(WORDS.length)] as string
  const workspaces = Array.from({ length: 4 }, () => `ws_${id(8)}`)
  const projects = Array.from({ length: 64 }, () => ({ id: `prj_${id(8)}` }))
  const jobs = Array.from({ length: 4096 }, () => `job_${id(8)}`)

  return {
    next (): RunRecord {
      const failed = rnd() < 0.05
      const api = APIS[int(APIS.length)] as string
      const result: RunRecord['apiInfo']['result'] = failed
        ? { status: 'failed', statusCode: 500 + int(5), error: ERRORS[int(ERRORS.length)] as string, message: `${word()} ${word()} after ${int(30000)} ms` }
        : {
            status: 'completed',
            statusCode: 200,
            result: {
              title: `${word()} ${word()}`,
              price: int(10_000_000) / 100,
              sku: id(8)
            }
          }
      return {
        apiInfo: {
          name: api,
          parameters: { url: `https://ex.io/p/${id(8)}` },
          runId: `run_${id(16)}`,
          result
        },
        workspaceId: workspaces[int(workspaces.length)] as string,
        project: projects[int(projects.length)] as { id: string },
        projectJob: { id: jobs[int(jobs.length)] as string },
        projectJobRun: { id: `jr_${id(10)}` }
      }
    }
  }
}

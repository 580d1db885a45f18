import { loadFactor } from './load.js'

// The SDK warns once per process on Node 20 about Node versions it will drop
// in 2027. Only the specs' output is spared it (specs that listen for process
// warnings must not see it); users see it: the CLI, the demo and the
// examples leave it alone (spec/node-versions.spec.ts).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

/**
 * Mocha's timeout is a hang guard, never what a spec proves (timing claims
 * are measured inside the spec): each test's timeout is stretched by the
 * machine's load when it starts (spec/helpers/load.ts), so a test starved of
 * CPU on a shared machine is not failed for it. On a quiet machine it is the
 * timeout the spec set.
 */
export const mochaHooks = {
  beforeEach (this: Mocha.Context): void {
    const test = this.currentTest
    const ms = test?.timeout() ?? 0
    if (test !== undefined && ms > 0) test.timeout(Math.round(ms * loadFactor()))
  }
}

#!/usr/bin/env node
// The package ships compiled JavaScript; from the sources use `node --import tsx lib/cli/main.ts`.
// First, before the command loads anything: restart once with a small young generation where Node can (see young-generation.ts).
import { restartWithSmallYoungGeneration } from '../dist/cli/young-generation.js'
restartWithSmallYoungGeneration(process)
await import('../dist/cli/main.js')

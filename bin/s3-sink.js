#!/usr/bin/env node
// The package ships compiled JavaScript; from the sources use `node --import tsx lib/cli/main.ts`.
// First, before the command loads anything: a small young generation, by a restart where Node can, else held at run time
// (see young-generation.ts), and full collections that keep up with what it promotes (heap-growth.ts).
import v8 from 'node:v8'
import { keepYoungGenerationSmall } from '../dist/cli/young-generation.js'
import { limitOldGenerationGrowth } from '../dist/cli/heap-growth.js'
keepYoungGenerationSmall(process, v8)
limitOldGenerationGrowth(process, v8)
await import('../dist/cli/main.js')

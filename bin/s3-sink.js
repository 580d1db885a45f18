#!/usr/bin/env node
// The package ships compiled JavaScript; from the sources use `node --import tsx lib/cli/main.ts`.
import '../dist/cli/main.js'

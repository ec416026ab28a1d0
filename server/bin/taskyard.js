#!/usr/bin/env node
// The `taskyard` command: runs the TypeScript source through Node's own type stripping (Node ≥ 22.12).
import '../src/cli.ts'

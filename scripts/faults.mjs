#!/usr/bin/env node
// `npm run faults [-- --long] [-- --seed N] [-- --messages N]`: the fault suite (test/faults/) alone.
// CI size by default (npm test runs it too); --long: 1,000+ messages and more kills.
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: { long: { type: 'boolean' }, seed: { type: 'string' }, messages: { type: 'string' }, help: { type: 'boolean' } }
})
if (values.help === true) {
  process.stdout.write('Usage: npm run faults [-- --long] [-- --seed N] [-- --messages N]\n')
  process.exit(0)
}
for (const [name, v] of [['seed', values.seed], ['messages', values.messages]]) {
  if (v != null && !/^\d+$/.test(v)) {
    process.stderr.write(`faults: --${name} must be a non-negative integer\n`)
    process.exit(2)
  }
}
const env = { ...process.env }
if (values.long === true) env.ATTN_FAULTS_LONG = '1'
if (values.seed != null) env.ATTN_FAULTS_SEED = values.seed
if (values.messages != null) env.ATTN_FAULTS_MESSAGES = values.messages
const mocha = new URL('../node_modules/mocha/bin/mocha.js', import.meta.url).pathname
const r = spawnSync(process.execPath, [mocha, '--no-config', '--exit', '--timeout', '0', 'dist/test/faults/*.spec.js'], { stdio: 'inherit', env })
process.exit(r.status ?? 1)

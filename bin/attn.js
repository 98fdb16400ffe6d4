#!/usr/bin/env node
// The `attn` command. Needs Node >= 22 (libp2p 3); `npm start`/`npx attn` use the pinned Node 24.
const [major] = process.versions.node.split('.').map(Number)
if (major < 22) {
  process.stderr.write(`attn: Node.js >= 22 is required (this is ${process.version}); run it through npm (npm start, npx attn) to use the pinned Node 24\n`)
  process.exit(1)
}
const { main } = await import('../dist/src/cli/main.js')
process.exitCode = await main(process.argv.slice(2))

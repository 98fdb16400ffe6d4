#!/usr/bin/env node
// `npm run generate`: regenerates the protobuf codecs from the canonical sources in protocols/.
// protons writes its output next to its input, so each .proto is first copied beside the generated
// code (test/unit/*/proto-source.spec.ts checks the copies stay identical). protons 9 emits types for
// protons-runtime 7; the project runs on runtime 8, whose Codec/message take two type parameters.
import { execFileSync } from 'node:child_process'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const CODECS = [
  { canonical: 'protocols/rpc.proto', copy: 'src/rpc/pb/rpc.proto' },
  { canonical: 'protocols/directory.proto', copy: 'src/messaging/pb/directory.proto' }
]

for (const { canonical, copy } of CODECS) {
  copyFileSync(root + canonical, root + copy)
  execFileSync(root + 'node_modules/.bin/protons', [copy], { cwd: root, stdio: 'inherit' })
  const out = root + copy.replace(/\.proto$/, '.ts')
  const ts = readFileSync(out, 'utf8')
    .replace(/Codec<([A-Za-z.]+)>/g, 'Codec<$1, $1>')
    .replace(/message<([A-Za-z.]+)>\(/g, 'message<$1, $1>(')
    .replace(/encode \(obj: Partial<([A-Za-z.]+)>\)/g, 'encode (obj: $1)')
  writeFileSync(out, ts)
  console.info(`generated ${out.slice(root.length)} from ${canonical}`)
}

import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The sources (not dist: type-only imports vanish from the JavaScript but still tie the modules). */
const CLI_DIR = fileURLToPath(new URL('../../../../src/cli/', import.meta.url))

describe('CLI modules', () => {
  it('import each other without cycles', () => {
    const graph = new Map<string, string[]>()
    for (const file of readdirSync(CLI_DIR).filter(f => f.endsWith('.ts'))) {
      const text = readFileSync(CLI_DIR + file, 'utf8')
      const deps = [...text.matchAll(/^(?:import|export)\b[^'"]*?from\s+'\.\/([^']+)\.js'/gm)].map(m => `${m[1]}.ts`)
      graph.set(file, deps)
    }
    assert.ok(graph.has('commands.ts') && graph.has('main.ts'), `sources found in ${CLI_DIR}`)
    const cycles: string[] = []
    const visit = (file: string, path: string[]): void => {
      if (path.includes(file)) { cycles.push([...path.slice(path.indexOf(file)), file].join(' -> ')); return }
      for (const dep of graph.get(file) ?? []) visit(dep, [...path, file])
    }
    for (const file of graph.keys()) visit(file, [])
    assert.deepEqual(cycles, [])
  })
})

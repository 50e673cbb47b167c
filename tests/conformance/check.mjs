// Reads a cache-tests result JSON and decides each test's outcome with the
// suite's own logic (determineTestResult honours depends_on, as
// cache-tests.fyi does); prints the ids of the required tests that passed,
// one a line, sorted.
//
//   node check.mjs SUITE_DIR RESULT.json
import path from 'node:path'
import fs from 'node:fs'
import { pathToFileURL } from 'node:url'

const [suiteDir, resultFile] = process.argv.slice(2)
if (!suiteDir || !resultFile) {
  console.error('usage: check.mjs SUITE_DIR RESULT.json')
  process.exit(2)
}
const imp = p => import(pathToFileURL(path.join(path.resolve(suiteDir), p)).href)
const tests = (await imp('tests/index.mjs')).default
const { determineTestResult, resultTypes } = await imp('test-engine/lib/results.mjs')
const results = JSON.parse(fs.readFileSync(resultFile, 'utf8'))

const passed = []
for (const suite of tests) {
  for (const test of suite.tests) {
    if (test.browser_only === true || (test.kind || 'required') !== 'required') continue
    if (determineTestResult(tests, test.id, results) === resultTypes.pass) passed.push(test.id)
  }
}
console.log(passed.sort().join('\n'))

// run-all.mjs — every suite `make test` runs: C tests (native ASan/UBSan and
// wasm) and the Jest suites. Ends with one line: "N passed, M failed".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runC } from './run-c.mjs';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function runJest() {
  console.log('== jest');
  const report = path.join(ROOT, 'build', 'jest-report.json');
  fs.mkdirSync(path.dirname(report), { recursive: true });
  const r = spawnSync(process.execPath,
    [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--json', `--outputFile=${report}`],
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules' } });
  if (!fs.existsSync(report)) return { passed: 0, failed: 1 };
  const j = JSON.parse(fs.readFileSync(report, 'utf8'));
  // A suite that fails to load has no test results but still counts as a failure.
  const broken = j.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
  if (r.status !== 0 && j.numFailedTests === 0 && broken === 0) return { passed: j.numPassedTests, failed: 1 };
  return { passed: j.numPassedTests, failed: j.numFailedTests + broken };
}

console.log('== C tests (native ASan+UBSan, wasm under Node)');
const c = await runC();
console.log(`C: ${c.passed} passed, ${c.failed} failed`);
const j = runJest();
console.log(`jest: ${j.passed} passed, ${j.failed} failed`);
const passed = c.passed + j.passed;
const failed = c.failed + j.failed;
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;

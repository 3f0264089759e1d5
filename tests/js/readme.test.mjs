// The README is built: every ```c block is compiled with `wasync build` and
// default flags, exactly as users copy it. A fragment is preceded by an
// HTML comment `<!-- readme-build: ... -->` whose lines after the first are
// a C file with @@BLOCK@@ where the block goes. Blocks that define main or
// wa_main themselves are complete programs: they also run and must exit 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, ROOT, runProgram } from './helpers.mjs';

/** The README's C blocks: { line, code, file } with file the C that is built. */
export function readmeBlocks(text) {
  const blocks = [];
  const re = /(?:<!-- readme-build:[^\n]*\n([\s\S]*?)-->\n)?```c\n([\s\S]*?)```/g;
  for (const m of text.matchAll(re)) {
    const [, template, code] = m;
    const line = text.slice(0, m.index + m[0].indexOf('```c')).split('\n').length;
    if (template !== undefined && !template.includes('@@BLOCK@@')) {
      throw new Error(`README.md:${line}: the readme-build comment has no @@BLOCK@@`);
    }
    blocks.push({ line, code, file: template === undefined ? code : template.replace('@@BLOCK@@', code) });
  }
  return blocks;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-readme-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const blocks = readmeBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));

test('the README has C blocks, complete programs among them', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(3);
  expect(blocks.some((b) => /\bwa_main\s*\(/.test(b.code))).toBe(true);
  expect(blocks.some((b) => /\bmain\s*\(/.test(b.code))).toBe(true);
});

test('a readme-build comment without @@BLOCK@@ is an error, not a silent skip', () => {
  expect(() => readmeBlocks('<!-- readme-build: x\nint f;\n-->\n```c\nint g;\n```\n')).toThrow(/no @@BLOCK@@/);
});

for (const b of blocks) {
  const complete = /\b(?:wa_)?main\s*\(/.test(b.code);
  test(`README.md:${b.line} builds${complete ? ' and runs, exiting 0' : ''}`, () => {
    const src = path.join(tmp, `readme-${b.line}.c`);
    const out = path.join(tmp, `readme-${b.line}.mjs`);
    fs.writeFileSync(src, b.file);
    const r = cli(['build', '-q', src, '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    if (complete) {
      const p = runProgram(out);
      expect(p.stderr).toBe('');
      expect(p.status).toBe(0);
    }
  });
}

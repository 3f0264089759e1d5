// Existing build systems: a small multi-file project built by make with
// CC="wasync cc" and by CMake with the wasync-cc executable, run under
// node; touching one source recompiles only that source.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, FIXTURES, ROOT, runProgram } from './helpers.mjs';

const PROJECT = path.join(FIXTURES, 'multi');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-buildsys-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function copyProject(name) {
  const dir = path.join(tmp, name);
  fs.cpSync(PROJECT, dir, { recursive: true });
  return dir;
}

function sh(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300000 });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Sets a file's mtime a little into the future, so make sees it as newer than its object. */
function touch(file) {
  const t = new Date(Date.now() + 2000);
  fs.utimesSync(file, t, t);
}

/** The source files a build log shows being compiled (`-c x.c`, or CMake's "Building C object"). */
const compiled = (log) => [...log.matchAll(/(?:-c (\S+\.c)\b|Building C object \S+\/(\w+\.c)\.o)/g)]
  .map((m) => path.basename(m[1] || m[2])).sort();

test('make with CC="wasync cc" builds the project, and a touched file is the only one recompiled', () => {
  const dir = copyProject('make');
  const cc = `${process.execPath} ${CLI} cc`;
  const first = sh('make', [`CC=${cc}`], dir);
  expect(compiled(first)).toEqual(['main.c', 'util.c']);
  let r = runProgram(path.join(dir, 'app.mjs'));
  expect(r.stdout).toBe('multi 42\n');
  expect(r.status).toBe(0);
  expect(compiled(sh('make', [`CC=${cc}`], dir))).toEqual([]);
  touch(path.join(dir, 'util.c'));
  const again = sh('make', [`CC=${cc}`], dir);
  expect(compiled(again)).toEqual(['util.c']);
  expect(again).toMatch(/main\.o util\.o -o app\.mjs/);
  r = runProgram(path.join(dir, 'app.mjs'));
  expect(r.stdout).toBe('multi 42\n');
});

test('CMake with CMAKE_C_COMPILER=wasync-cc configures, builds, and recompiles only a touched file', () => {
  const dir = copyProject('cmake');
  const build = path.join(dir, 'build');
  fs.mkdirSync(build);
  const conf = sh('cmake', ['-S', dir, '-B', build, `-DCMAKE_C_COMPILER=${path.join(ROOT, 'js', 'cli', 'wasync-cc.mjs')}`], dir);
  expect(conf).toMatch(/The C compiler identification is Clang/);
  const first = sh('cmake', ['--build', build], dir);
  expect(compiled(first)).toEqual(['main.c', 'util.c']);
  let r = runProgram(path.join(build, 'app.mjs'));
  expect(r.stdout).toBe('multi 42\n');
  expect(r.status).toBe(0);
  touch(path.join(dir, 'main.c'));
  const again = sh('cmake', ['--build', build], dir);
  expect(compiled(again)).toEqual(['main.c']);
  r = runProgram(path.join(build, 'app.mjs'));
  expect(r.stdout).toBe('multi 42\n');
});

test('a configure-style probe: wasync cc links ./conftest, which runs under node and writes a file', () => {
  const dir = path.join(tmp, 'probe');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'conftest.c'), '#include <stdio.h>\n' +
    'int main(void) { FILE *f = fopen("conftest.val", "w"); if (!f) return 1; fprintf(f, "%d\\n", (int)sizeof(long)); return fclose(f) != 0; }\n');
  sh(process.execPath, [CLI, 'cc', '-o', 'conftest', 'conftest.c'], dir);
  sh('./conftest', [], dir);
  expect(fs.readFileSync(path.join(dir, 'conftest.val'), 'utf8')).toBe('4\n');
  // No -o: a.out, as compilers write (emcc alone would write a.out.js).
  sh(process.execPath, [CLI, 'cc', 'conftest.c'], dir);
  expect(fs.existsSync(path.join(dir, 'a.out'))).toBe(true);
});

test('wasync c++ compiles C++ objects and links them into a module with the C++ runtime', () => {
  const dir = path.join(tmp, 'cxx');
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(FIXTURES, 'cxx_tasks.cpp'), path.join(dir, 'tasks.cpp'));
  sh(process.execPath, [CLI, 'c++', '-c', 'tasks.cpp', '-o', 'tasks.o'], dir);
  sh(process.execPath, [path.join(ROOT, 'js', 'cli', 'wasync-c++.mjs'), 'tasks.o', '-o', 'tasks.mjs'], dir);
  const r = runProgram(path.join(dir, 'tasks.mjs'));
  expect(r.stdout).toBe('a done: 0 2 4\nb done: 0 2 4\n');
  expect(r.status).toBe(0);
});

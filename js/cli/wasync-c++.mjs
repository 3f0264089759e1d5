#!/usr/bin/env node
// wasync-c++: `wasync c++` as one executable, for build systems that take a
// compiler path and no arguments (cmake -DCMAKE_CXX_COMPILER=.../wasync-c++).
process.argv.splice(2, 0, 'c++');
await import('./cli.mjs');

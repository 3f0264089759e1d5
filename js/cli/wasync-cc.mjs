#!/usr/bin/env node
// wasync-cc: `wasync cc` as one executable, for build systems that take a
// compiler path and no arguments (cmake -DCMAKE_C_COMPILER=.../wasync-cc).
process.argv.splice(2, 0, 'cc');
await import('./cli.mjs');

/**
 * env.js — getenv() under Node sees process.env.
 *
 * Emscripten's C environment is built once, from defaults (USER=web_user,
 * HOME=/home/web_user, ...) overridden by the JS object ENV. The generated
 * module (js/cli/wrap.mjs) passes a copy of process.env as Module.wasyncEnv when
 * it runs under Node; it is copied into ENV before anything reads it. This
 * replaces the library's `$ENV: {}` with the same object plus a postset, so
 * it costs nothing in a program that never reads its environment.
 */
mergeInto(LibraryManager.library, {
  $ENV__postset: 'if (Module["wasyncEnv"]) Object.assign(ENV, Module["wasyncEnv"]);',
  $ENV: {},
});

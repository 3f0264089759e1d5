/* sp.S — reads and sets the C stack pointer (__stack_pointer).
 *
 * The task switch in asyncify.c and jspi.c moves the stack pointer between task
 * stacks. Emscripten's compiler-rt exported stackSave/stackRestore for
 * this until about 3.1.44; later releases renamed them, and C externs of
 * the old names then bind to JS library aliases: a wasm-to-JS call per
 * switch, and in some releases stackRestore is aliased to stackSave, so
 * the stack pointer is never restored. These two functions are ours, in
 * wasm, the same in every Emscripten release: no JS import, and Binaryen
 * inlines them into their callers. tests/js/toolchain.test.mjs checks
 * that a built .wasm imports no stack function. */
#ifdef __wasm64__
#define PTR i64
#else
#define PTR i32
#endif

.globaltype __stack_pointer, PTR

.globl wa__sp_get
.globl wa__sp_set

wa__sp_get:
  .functype wa__sp_get () -> (PTR)
  global.get __stack_pointer
  end_function

wa__sp_set:
  .functype wa__sp_set (PTR) -> ()
  local.get 0
  global.set __stack_pointer
  end_function

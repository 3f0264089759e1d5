// Type declarations for the `wasync` npm package's ES module entry
// (index.d.cts re-exports them for the CommonJS entry). Needs TypeScript 5.0+
// (const type parameters).

/** A WA_E* error from the runtime: `code` is the name, e.g. 'WA_ECANCELED'.
 * Codes of the JS API only: 'WA_EXIT' / 'WA_EABORT' (the module stopped:
 * exit(), abort() or a trap in C; every later call rejects with it and
 * app.tasks() throws it), 'WA_EDEADLK' (Node: the event loop drained while
 * the call was pending, so it can never finish; reported on printErr). */
export interface WasyncError extends Error {
  code: string;
  /** With cwrap's rejectErrors: the negative number the C function returned. */
  status?: number;
}

/** Options passed to a built module's factory (Emscripten Module options). */
export interface ModuleOptions {
  print?: (line: string) => void;
  printErr?: (line: string) => void;
  /** The .wasm bytes; by default read beside the module (Node) or fetched from new URL(name, import.meta.url).
   * A module built with --backend=auto takes { asyncify, jspi }, or the bytes of the backend asked for. */
  wasmBinary?: ArrayBuffer | Uint8Array | { asyncify?: ArrayBuffer | Uint8Array; jspi?: ArrayBuffer | Uint8Array };
  /** Where to fetch the .wasm from (browsers). */
  locateFile?: (path: string, prefix: string) => string;
  thisProgram?: string;
  [option: string]: unknown;
}

/** The default export of a module made by `wasync build app.c -o app.mjs`
 * (typed so by the app.d.mts that wasync build writes beside it). */
export type ModuleFactory = (options?: ModuleOptions) => Promise<EmscriptenModule>;

/** The instantiated Emscripten module (memory views and exported C functions `_name`). */
export interface EmscriptenModule {
  HEAP8: Int8Array;
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPU32: Uint32Array;
  HEAPF64: Float64Array;
  UTF8ToString(ptr: number, maxBytes?: number): string;
  stringToUTF8(str: string, ptr: number, maxBytes: number): void;
  lengthBytesUTF8(str: string): number;
  _malloc(size: number): number;
  _free(ptr: number): void;
  [name: string]: unknown;
}

/** Bytes or text, one chunk of a stdin source. */
export type StdinChunk = string | ArrayBuffer | ArrayBufferView;
/** What load() takes as the C program's stdin. */
export type StdinSource = StdinChunk | AsyncIterable<StdinChunk> | Iterable<StdinChunk> | ReadableStream<StdinChunk>;

export interface LoadOptions {
  /** Default arguments for main(). */
  args?: string[];
  /** stdout of the C program, one line per call. If it throws, the first
   * exception is reported (on printErr, else console.error) and the module
   * goes on; the same holds for printErr. */
  print?: (line: string) => void;
  /** stderr of the C program, one line per call. */
  printErr?: (line: string) => void;
  /** The C program's stdin (fgets, scanf, read(0, …)): a string (UTF-8),
   * bytes, an async or sync iterable of strings or bytes (a Node stream is
   * one), or a ReadableStream; null is an empty stdin. A read in a task that
   * finds no data yet waits for the next chunk, suspending only that task.
   * Default: the process's stdin under Node, an empty one in a page. */
  stdin?: StdinSource | null;
  /** The backend to run a module built with `wasync build --backend=auto`
   * on: 'asyncify' or 'jspi'. The module rejects with one sentence where it
   * cannot (JSPI asked for where the engine lacks it, or a backend the
   * module was not built with). Default 'auto': JSPI where the engine has
   * it, else Asyncify. */
  backend?: Backend | 'auto';
  /** A module built with `wasync build --threads`: the size of
   * wa_to_thread's pool (1..256). Default: --threads=N, else the machine's
   * parallelism. Ignored by other modules. */
  threads?: number;
  /** More options for the module's factory. */
  moduleOptions?: ModuleOptions;
}

/** Argument types of cwrap: numbers, UTF-8 strings, byte arrays (copied in), booleans,
 * the WideArgType integers, and 'promise': any promise (or value), handed to C
 * as a uint32_t handle for wa_js_await / wa_js_release (as app.promise() does);
 * if the call is cancelled before its C function runs, the handle is
 * released for it. */
export type ArgType = 'number' | 'string' | 'array' | 'boolean' | 'promise' | WideArgType;
/** 'u32': a uint32_t, an integer 0..2^32-1. 'i64' / 'u64': an int64_t /
 * uint64_t, a BigInt (or a safe integer) in range; anything else rejects
 * with a TypeError. */
export type WideArgType = 'u32' | 'i64' | 'u64';
/** Return types of cwrap; 'array' is a Uint8Array the C function returned
 * with wa_js_bytes(); 'void', null or undefined for a void function (the
 * promise resolves with undefined). */
export type ReturnType = 'number' | 'string' | 'boolean' | 'array' | 'void' | null | undefined | WideReturnType;
/** 'u32': a uint32_t as a number 0..2^32-1; 'i64' / 'u64': an int64_t /
 * uint64_t as a BigInt, all 64 bits. */
export type WideReturnType = 'u32' | 'i64' | 'u64';

type JsArg<T extends ArgType> = T extends 'number' ? number
  : T extends 'string' ? string
  : T extends 'array' ? Uint8Array | ArrayLike<number>
  : T extends 'boolean' ? boolean
  : T extends 'u32' ? number
  : T extends 'promise' ? unknown
  : T extends 'i64' | 'u64' ? bigint | number : never;
/** The JS arguments for a list of cwrap argument types: ['number', 'string'] is [number, string]. */
export type JsArgs<T extends readonly ArgType[]> = { -readonly [K in keyof T]: T[K] extends ArgType ? JsArg<T[K]> : never };
/** What a call's promise resolves with for a cwrap return type. */
export type JsReturn<R extends ReturnType> = R extends 'number' ? number
  : R extends 'string' ? string | null
  : R extends 'boolean' ? boolean
  : R extends 'array' ? Uint8Array | null
  : R extends 'u32' ? number
  : R extends 'i64' | 'u64' ? bigint : undefined;

/** A cwrap call in flight. */
export interface CallPromise<T> extends Promise<T> {
  /** Cancels the call's task: its current or next await point returns
   * WA_ECANCELED and the promise rejects with code 'WA_ECANCELED'. */
  cancel(): void;
}

/** One live task, as app.tasks() reports it. */
export interface TaskInfo {
  /** Numbered from 1 in the order tasks were created in this module: main
   * is 1 only if app.main() ran before any cwrap call (in a library, the
   * first call's task is 1). */
  id: number;
  name: string;
  state: 'new' | 'ready' | 'running' | 'waiting' | 'done';
  /** What a waiting task waits on ('sleep', 'join', 'fetch <url>', …); '' otherwise. */
  waitingOn: string;
  /** How long it has been waiting, in ms; 0 unless waiting. (waitingOn is cut to 512 bytes.) */
  ms: number;
  /** The most of its stack, in bytes, the task has needed at any await point
   * so far (C frames plus the Asyncify save area; wa_task_stack_used). */
  stackUsed: number;
  /** Its stack's size in bytes (wa_task_opts.stack_size or the program's default). */
  stackSize: number;
}

export interface CwrapOptions {
  /**
   * Stack size in bytes of each call's task: an integer from 2048
   * (WA_STACK_MIN) to 2^30 (WA_STACK_MAX), or 0 for the program's default
   * (64 KiB, or `wasync build --stack-size=N`).
   * cwrap throws a TypeError for a non-integer and a RangeError for a size
   * out of range.
   */
  stackSize?: number;
  /**
   * With return type 'number' only: a negative result is a WA_E* code, and
   * the promise rejects with a WasyncError whose code is its name, status
   * the number and message the task's wa_last_error() (the code's
   * description when that is empty). Otherwise a status is just a number.
   */
  rejectErrors?: boolean;
}

/** A stack-switching backend: Binaryen's Asyncify or the engine's JSPI. */
export type Backend = 'asyncify' | 'jspi';

export interface App {
  /** The backend this module runs on (load() chose it, or was told with
   * options.backend). Every call behaves the same on either. */
  readonly backend: Backend;
  /** The Emscripten module (HEAP views, exported functions). Its exported
   * C functions may be called directly, also from a print callback (inside
   * a task's run): an await point in such a call returns WA_ENOTASK. */
  module: EmscriptenModule;
  /** Runs the program's entry, wa_main(args) or C main(), as task "main";
   * resolves with its status. Rejects with code 'WA_ENOTSUP' if the module
   * is a library (neither). */
  main(args?: string[]): Promise<number>;
  /**
   * An async function calling the exported C function `name`; each call runs
   * as its own C task, so calls may overlap. Rejects with a TypeError on a
   * wrong argument count or type, and with a WasyncError when the task was
   * cancelled (code 'WA_ECANCELED') or never returned (stack overflow).
   * The returned promise's cancel() cancels the call's task. The types are
   * inferred from the literals, no `as const` needed:
   * cwrap('f', 'number', ['number', 'string']) is
   * (a: number, b: string) => CallPromise<number>.
   */
  cwrap<const R extends ReturnType, const A extends readonly ArgType[] = []>(
    name: string, ret: R, argTypes?: A, options?: CwrapOptions,
  ): (...args: JsArgs<A>) => CallPromise<JsReturn<R>>;
  /**
   * Hands a promise to C: returns a handle that C awaits with
   * wa_js_await(handle, &value), suspending only that task (or gives back
   * with wa_js_release). The resolved value reaches C as a number. 0 (no
   * handle) once the module stopped.
   */
  promise(p: unknown): number;
  /** Calls `name` once (cwrap shorthand); the promise's cancel() cancels it. */
  ccall<const R extends ReturnType, const A extends readonly ArgType[]>(
    name: string, ret: R, argTypes: A, ...args: A extends readonly [] ? [args?: []] : [args: JsArgs<A>]
  ): CallPromise<JsReturn<R>>;
  /** The live task table: one entry per task not yet freed, sorted by id.
   * Allocates nothing in wasm (works with a full heap). Throws the module's
   * WasyncError (code 'WA_EXIT' or 'WA_EABORT') once the module stopped. */
  tasks(): TaskInfo[];
}

/** Instantiates a module built by `wasync build` and returns its app. */
export function load(factory: ModuleFactory, options?: LoadOptions): Promise<App>;

export default load;

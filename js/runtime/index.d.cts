// Type declarations for the `wasync` npm package's CommonJS entry
// (js/runtime/index.cjs): the same API as the ES module entry (index.d.ts).
import type * as wasync from './index.js';

export type WasyncError = wasync.WasyncError;
export type ModuleOptions = wasync.ModuleOptions;
export type ModuleFactory = wasync.ModuleFactory;
export type EmscriptenModule = wasync.EmscriptenModule;
export type LoadOptions = wasync.LoadOptions;
export type StdinChunk = wasync.StdinChunk;
export type StdinSource = wasync.StdinSource;
export type ArgType = wasync.ArgType;
export type ReturnType = wasync.ReturnType;
export type JsArgs<T extends readonly ArgType[]> = wasync.JsArgs<T>;
export type JsReturn<R extends ReturnType> = wasync.JsReturn<R>;
export type CallPromise<T> = wasync.CallPromise<T>;
export type TaskInfo = wasync.TaskInfo;
export type CwrapOptions = wasync.CwrapOptions;
export type App = wasync.App;
export type Backend = wasync.Backend;

/** Instantiates a module built by `wasync build` and returns its app. */
export declare function load(factory: ModuleFactory, options?: LoadOptions): Promise<App>;
declare const _default: typeof load;
export { _default as default };

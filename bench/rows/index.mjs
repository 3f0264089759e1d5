// index.mjs — the benchmark registry: one module per row group, in the
// order of the table. A group module default-exports its benchmarks, an
// array of { id, title, build?(), run(), rows?(r) }, and may export
// `method`, its paragraph under "Peers and methods" in RESULTS.md.
//  - build() builds what the entry needs (shared builds go through once()
//    in driver.mjs, so an entry may call them freely).
//  - run() returns named results: { key: { value, unit, note? } } (value:
//    the median of the repetitions). Results of every entry are merged into
//    one object r, so keys must be unique across entries.
//  - rows(r), optional, returns the entry's summary rows (table.mjs).
// Add a group by writing its module and listing it here; BENCH_ONLY
// selects entries by id.
import * as switchRows from './switch.mjs';
import * as ring from './ring.mjs';
import * as tree from './tree.mjs';
import * as chan from './chan.mjs';
import * as sleepers from './sleepers.mjs';
import * as kernelTax from './kernel_tax.mjs';
import * as fetch from './fetch.mjs';
import * as jspi from './jspi.mjs';
import * as sqlite from './sqlite.mjs';
import * as auto from './auto.mjs';
import * as toThread from './to_thread.mjs';

export const GROUPS = [switchRows, ring, tree, chan, sleepers, kernelTax, fetch, jspi, sqlite, auto, toThread];

export const BENCHMARKS = GROUPS.flatMap((g) => g.default);
export const METHODS = GROUPS.map((g) => g.method).filter(Boolean);

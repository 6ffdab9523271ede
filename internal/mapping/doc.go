// Package mapping owns declarative table mappings: it loads, checks and
// compiles mapping files and turns source row changes into target operations.
//
// # Files
//
// A mapping file is YAML. Its document is either one mapping or a list of
// mappings; a file may hold several documents separated by "---". Load reads
// files, or directories whose *.yaml and *.yml files it reads in name order
// (not recursively). A target table may be defined only once across all files.
//
//	target: global.members        # schema.table of the target
//	key: [id]                     # target primary key columns
//	ddl: halt                     # table statements: halt | ignore | propagate (see ddl.go, propagate.go)
//	sources:                      # contributors; at least one is driving
//	  - source: jp-accounts       # configured source name, glob allowed
//	    table: accounts.users     # schema.table, globs allowed ("shop.orders_*")
//	    driving: true             # default true when there is only one source
//	    owns: "id < 1000000000"   # driving only: the target keys it may write
//	    columns:                  # target column: expression over the source row
//	      id: id
//	      display_name: name
//	      origin: meta.source
//	      kind: "'user'"          # a constant; YAML quotes are not expr quotes
//	    all_columns: false        # copy every source column under its own name
//	    exclude: [avatar]         # ... except these (only with all_columns)
//	    filter: "status != 'draft'"
//	    delete: delete            # driving: delete | ignore | soft; others: clear | ignore
//	    soft_delete: {column: deleted_at, value: meta.commit_time}
//	    join: {user_id: id}       # non-driving only: its column -> driving column
//	lookups:                      # columns read from other tables at write time
//	  - source: jp-accounts       # one configured source, no patterns
//	    table: accounts.users
//	    match: {id: author_id}    # looked-up column -> target column it equals
//	    columns:                  # target column -> looked-up column
//	      author_name: name
//	      # or a JSON array over every matching row:
//	      # steps: {json_array: body, order_by: [position, id]}
//
// # Expressions
//
// Column values, filters, keys and soft-delete values are expr-lang
// expressions (github.com/expr-lang/expr). An identifier names a column of the
// source row; meta.source, meta.schema, meta.table, meta.gtid (strings) and
// meta.commit_time (a time.Time in UTC) describe where the change comes from.
// A source column named meta is hidden by the metadata.
//
// Source schemas are not known when mappings load, so expressions compile
// with every column typed as any: syntax, metadata fields, builtins and
// constant types are checked at load time, column types at run time. Every
// column an expression names must exist in the source table when a change
// arrives, or Apply fails with ErrSchemaDrift; a missing column never turns
// into NULL.
//
// Inside expressions DECIMAL, date and time, JSON and binary values are
// strings (DECIMAL keeps its exact digits; use float() to compute with it).
// A plain column reference, a metadata reference or a constant bypasses the
// expression machine and copies the value exactly. Results convert to change
// values: integers to int64 or uint64, floats to float64 (float32 kept),
// booleans to int64 1 or 0, time.Time to a Temporal in UTC with six
// fractional digits, strings and byte slices unchanged; other result types
// are errors. A filter must yield a boolean; NULL counts as false.
//
// Comparisons are the language's, not SQL's: NULL equals only NULL, so
// status != 'draft' holds for a NULL status (write status != nil &&
// status != 'draft' for SQL's answer). Integer +, - and * are exact
// (arith.go): a result above 2^63-1 is unsigned, and one beyond 64-bit
// integers stops the stream with an error instead of wrapping. string()
// of NULL is NULL.
//
// # Transform
//
// A driving contributor decides whether the target row exists. Its rows
// may come from several places (shards of one table on several clusters,
// or *_NN tables), and rows from two places must never write the same
// target key. So a driving entry whose source or table is a pattern must
// read in its target key what the pattern leaves open: meta.source for a
// source pattern, meta.schema and meta.table for a table pattern (e.g.
// id: "meta.source + ':' + string(id)", or a key column set to
// meta.source). A target with several driving entries needs, on each,
// owns: (a condition over the target key) or a key that reads a part of
// where its rows come from in which it differs from every other entry.
// Load refuses any other mapping (see collide.go). A write whose key fails
// its own owns: condition, or passes another driving source's, becomes a
// change.Reject carrying ErrNotOwned, which the sink hands to its error
// policy: never a silent overwrite.
// Insert (and
// Read, a row a backfill copied) gives an Upsert of all its columns when
// the filter matches; Delete removes the
// row per the delete policy when the old row matched. An Update whose old
// and new rows both match gives an Upsert, preceded by a removal of the old
// key when the target key changed; a row that stops matching is removed, one
// that starts matching is upserted. Removal follows the delete policy:
// delete gives DeleteRow, soft an Upsert of the key and the soft-delete
// column (which every other Upsert of the contributor sets to NULL), ignore
// nothing. A non-driving contributor joins its rows to driving rows (join:
// pairs its columns with driving columns; the target key is what the
// driving source computes from them, so key rewrites such as offsets carry
// over). It writes its owned columns with change.UpdateRow, which touches
// only a row that exists; removing its row (policy clear) sets them to
// NULL. A non-driving contributor pairs with the driving source reading the
// same source, else with the only driving source.
//
// Completion: every Upsert of a driving row carries change.Pending lookups,
// one per paired contributor (its columns for the joined values, read on
// the driving row's source when the contributor's pattern matches it) and
// one per declared lookup (by the target columns named in match:). The sink
// runs them right before the write, in the write's place among all writes
// to the row. So a contributor row that arrives before its driving row is
// not held anywhere: it stays in its source and is read when the driving
// row is written; later contributor changes overwrite in order.
//
// Re-derivation: a change to a looked-up table re-reads the lookup for
// every target row it may affect, from both images, unless an update
// touches none of the looked-up, matched or ordering columns. When match:
// covers the target key, that is an UpdateRow of the key; otherwise a
// change.Rederive, which is expanded into UpdateRows by asking the single
// driving source which rows hold the matched values (its key and matched
// columns must then be plain column copies), each conditional on the
// target still holding them. The read always happens after every change
// seen before it, in the row's write order, so the target converges.
//
// Contributors and lookups of one target own disjoint columns, except that
// driving entries, and entries reading the same table from different
// sources (shards, when the target has several driving sources), share
// theirs; the target key belongs to the driving contributors. all_columns is allowed only for a target with a
// single contributor, as its columns are known only at run time.
//
// Not done yet: typed compilation against a known source schema.
package mapping

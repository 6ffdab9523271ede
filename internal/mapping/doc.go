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
//	sources:                      # contributors; exactly one is driving
//	  - source: jp-accounts       # configured source name, glob allowed
//	    table: accounts.users     # schema.table, globs allowed ("shop.orders_*")
//	    driving: true             # default true when there is only one source
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
//	    key: {id: user_id}        # non-driving only: target key column -> expression
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
// # Transform
//
// A driving contributor decides whether the target row exists. Insert gives
// an Upsert of all its columns when the filter matches; Delete removes the
// row per the delete policy when the old row matched. An Update whose old
// and new rows both match gives an Upsert, preceded by a removal of the old
// key when the target key changed; a row that stops matching is removed, one
// that starts matching is upserted. Removal follows the delete policy:
// delete gives DeleteRow, soft an Upsert of the key and the soft-delete
// column (which every other Upsert of the contributor sets to NULL), ignore
// nothing. A non-driving contributor writes its owned columns as partial
// Upserts keyed by its key expressions; removing its row (policy clear)
// upserts those columns as NULL.
//
// Contributors of one target own disjoint columns; the target key belongs to
// the driving contributor. all_columns is allowed only for a target with a
// single contributor, as its columns are known only at run time.
//
// Not done yet: lookups (enrichment by re-querying a source), typed
// compilation against a known source schema, and coordinated existence
// rules for rows that non-driving contributors write before the driving row
// exists (their Upserts are applied as they come).
package mapping

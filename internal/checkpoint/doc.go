// Package checkpoint owns Tributary's on-disk state: a Pebble store of source positions, handed marks, backfill cursors, failed changes, ranges of rows to repair and table schema history.
//
// Keys start with a namespace and a slash ("pos/", "schema/"), followed by
// names that each end in a NUL byte, followed by fixed-width big-endian
// numbers. Names therefore cannot contain NUL, and no name is ever a prefix of
// another one's key: source "a" and source "a/b" stay apart. Values are JSON.
//
//	meta/store_id\x00                                  -> the store's random id, a JSON string
//	meta/last_failed_id\x00                            -> the last failed change id given, big-endian uint64
//	meta/last_range_id\x00                             -> the last range id given, big-endian uint64
//	server/<source>\x00                               -> Server: the server the source's positions belong to
//	pos/<source>\x00                                  -> change.Position
//	handed/<source>\x00                               -> Handed
//	backfill/<source>\x00<schema>\x00<table>\x00       -> Cursor of a table's backfill
//	failed/<id>                                       -> a failed change
//	range/<id>                                        -> Range: rows of a mapping to repair
//	schema/<source>\x00<schema>\x00<table>\x00<ordinal> -> {"table": change.Table or null}
package checkpoint

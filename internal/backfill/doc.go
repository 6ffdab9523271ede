// Package backfill owns watermark chunks: planning by primary key, reading chunks, merging them into a source's ordered stream, cursors.
//
// It copies the rows a source table already holds into the sinks while the
// source keeps taking writes, without locks, by the watermark algorithm of
// Netflix's DBLog. For each chunk of a table, in key order:
//
//  1. write a low watermark row into tributary.backfill_watermarks on the
//     source (its own transaction);
//  2. read the next chunk of rows by key (a plain consistent read);
//  3. hand the rows to the source's Merger;
//  4. write a high watermark row.
//
// The Merger sits in the source's ordered stream, between the binlog reader
// and the mappings. Between the low and the high watermark it records the
// key of every row of the table that a binlog change touched (before and
// after images); at the high watermark it drops those rows from the chunk
// and appends the others to the high watermark's transaction as
// change.Read rows. A row dropped there is one the stream itself carries
// from a state at least as recent as the read, so no copied row ever
// overwrites a newer change; a row kept was not changed between the read
// and the high watermark, so its copy is its state at that point of the
// stream. The watermark rows themselves never reach a sink.
//
// The cursor of a table (the key of the last row read) rides with the
// high watermark's transaction and is saved with the checkpoint that
// covers it, so after a crash a backfill resumes from the last chunk every
// sink has made durable and copies at most the chunks after it again.
//
// Sources that must not be written, or whose chunks are read on a
// replica, bound each chunk by GTID sets instead (Options.Watermarks
// WatermarksGTID): a low set of transactions the read saw, a high set
// holding every one it saw, found in the stream by the GTIDs of its
// transactions. gtidmerge.go says what the sets must be, gtidmarks.go
// how each flavor and read host gives them. Both kinds are a watermarker
// (marks.go) to the copy. With table watermarks several tables and up to
// readAhead chunks of each are in flight; with GTID sets a source copies
// one chunk at a time.
//
// A resync (resync.go) reads given keys, or a predicate's rows, again
// through the same windows, one at a time and without a cursor; a key its
// read does not find becomes a delete at the high watermark, dropped like
// a row when a change between the watermarks touched it.
package backfill

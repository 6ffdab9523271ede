// Package lookup owns the queries that complete target operations from the sources: batched, parameterised equality searches run on each source's writer right before a write (Resolve) or when a mapping re-derives rows (Expand).
//
// Every search of one lookup in a call becomes one query per Batch
// parameter sets, shaped as a join of the looked-up table with a derived
// table of the parameter sets:
//
//	SELECT p.i, t.`a` FROM (SELECT 0 AS i, ? AS m1 UNION ALL SELECT 1, ?) AS p
//	JOIN `s`.`t` AS t ON t.`k` = p.m1 ORDER BY p.i LOCK IN SHARE MODE
//
// so the server compares with the column's own collation and type and uses
// the column's index, and every row comes back tagged with the parameter
// set it matched. A search on one integer column with integer parameters,
// the common case of a foreign key, is a key range instead:
//
//	SELECT t.`k`, t.`a` FROM `s`.`t` AS t WHERE t.`k` IN (?, ?) ORDER BY t.`k`
//	LOCK IN SHARE MODE
//
// whose rows say by their integer value which sets they match; it spares
// the source the parsing and the join of the derived table, a quarter to
// a third of its CPU in the lookup benchmark. Values are read in the
// server's text form and converted
// to the change value of the column's kind, the same values the binlog
// decoder produces; sessions run in UTC so TIMESTAMPs read as the binlog
// has them.
//
// There is no cache. A cached row could predate a change whose own
// re-derivation has already been applied, and the last write to a target
// row must always reflect a read taken after the last change seen; only a
// read of the source right before the write guarantees that.
//
// What a read saw can be known, though: ResolveSeen also returns, per
// source, the transactions the source had logged before the call's first
// query of it. A writer that remembers it may leave out a later request
// for the same rows made for one of those transactions (see the MySQL
// sink's seen.go).
//
// Both calls are atomic: they change nothing unless every query succeeded,
// so a caller may retry them after a transient error (see IsTransient).
package lookup

package mysql

import (
	"strconv"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// quoteIdent quotes a MySQL identifier with backticks, doubling any backtick
// inside it.
func quoteIdent(b *strings.Builder, name string) {
	b.WriteByte('`')
	b.WriteString(strings.ReplaceAll(name, "`", "``"))
	b.WriteByte('`')
}

// quoteTable writes `schema`.`table`, or just `table` without a schema.
func quoteTable(b *strings.Builder, t *change.TargetTable) {
	if t.Schema != "" {
		quoteIdent(b, t.Schema)
		b.WriteByte('.')
	}
	quoteIdent(b, t.Name)
}

// placeholders writes "(?,?,...)" with n marks.
func placeholders(b *strings.Builder, n int) {
	b.WriteByte('(')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('?')
	}
	b.WriteByte(')')
}

// upsertSQL returns a multi-row INSERT ... ON DUPLICATE KEY UPDATE for rows
// rows of cols, which must include the key columns.
//
// A row may collide with a present row on a secondary unique key instead of
// the primary key; ON DUPLICATE KEY UPDATE would then silently update that
// other row. The first assignment guards against it: it keeps the first key
// column when the present row has the inserted row's key and sets it to
// NULL otherwise, which strict mode refuses with error 1048 (see
// keyGuardError). MySQL evaluates the assignments left to right, so the
// guard sees the present row's values. The other assignments write every
// column of cols that is not part of the key.
func upsertSQL(t *change.TargetTable, cols []string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	quoteTable(&b, t)
	b.WriteString(" (")
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		quoteIdent(&b, c)
	}
	b.WriteString(") VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		placeholders(&b, len(cols))
	}
	b.WriteString(" ON DUPLICATE KEY UPDATE ")
	keyGuard(&b, t)
	for _, c := range cols {
		if isKey(t, c) {
			continue
		}
		b.WriteByte(',')
		quoteIdent(&b, c)
		b.WriteString("=VALUES(")
		quoteIdent(&b, c)
		b.WriteByte(')')
	}
	return b.String()
}

// updateSQL returns an UPDATE of cols of the row with t's key, applied
// only where every cond column holds its value (<=>, so NULL matches
// NULL). It never inserts. Arguments: the values of cols, the key, the
// cond values.
func updateSQL(t *change.TargetTable, cols, cond []string) string {
	var b strings.Builder
	b.WriteString("UPDATE ")
	quoteTable(&b, t)
	b.WriteString(" SET ")
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		quoteIdent(&b, c)
		b.WriteString("=?")
	}
	b.WriteString(" WHERE ")
	for i, k := range t.Key {
		if i > 0 {
			b.WriteString(" AND ")
		}
		quoteIdent(&b, k)
		b.WriteString("=?")
	}
	for _, c := range cond {
		b.WriteString(" AND ")
		quoteIdent(&b, c)
		b.WriteString("<=>?")
	}
	return b.String()
}

// updateJoinSQL returns the multi-row form of updateSQL: an UPDATE of t
// joined on its key to rows rows of parameters (see paramRows). The rows
// must have distinct keys: the join would pick one of two rows for one key
// arbitrarily. The server updates the rows in the join's order, not
// necessarily theirs; rows with distinct keys end the same either way,
// except that on a table with another unique key a value moving between
// rows may collide on the way: the worker then applies the operations one
// by one, in order.
func updateJoinSQL(t *change.TargetTable, cols, cond []string, rows int) string {
	var b strings.Builder
	b.WriteString("UPDATE ")
	quoteTable(&b, t)
	b.WriteString(" AS t JOIN ")
	paramRows(&b, t, cols, cond, rows)
	b.WriteString(" ON ")
	joinOn(&b, t, cond, false)
	b.WriteString(" SET ")
	each(&b, len(cols), ",", func(i int) {
		b.WriteString("t.")
		quoteIdent(&b, cols[i])
		b.WriteByte('=')
		param(&b, "v.", "_c", i)
	})
	return b.String()
}

// updateInsertSQL returns another form of updateJoinSQL, with the same
// parameters: an INSERT of the parameter rows that match an existing row
// of t, whose ON DUPLICATE KEY UPDATE writes cols. It is meant for tables
// keyed by their primary key, where every row it inserts is a duplicate of
// that key; the key guard of upsertSQL fails the statement should another
// unique key match instead. The target sets the columns of existing rows
// this way with two thirds to four fifths of the CPU that the joined
// UPDATE costs it, which buffers every changed row in a temporary table,
// on disk when a column is a TEXT or BLOB (see BenchmarkUpdateForms).
// Unlike the UPDATE it needs the INSERT privilege, a default for every
// column it does not write, and it fires INSERT triggers, as every upsert
// does.
func updateInsertSQL(t *change.TargetTable, cols, cond []string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	quoteTable(&b, t)
	b.WriteString(" (")
	each(&b, len(t.Key), ",", func(i int) { quoteIdent(&b, t.Key[i]) })
	for _, c := range cols {
		b.WriteByte(',')
		quoteIdent(&b, c)
	}
	b.WriteString(") SELECT ")
	each(&b, len(t.Key), ",", func(i int) { param(&b, "v.", "_k", i) })
	for i := range cols {
		b.WriteByte(',')
		param(&b, "v.", "_c", i)
	}
	// The existing rows are joined with their columns renamed: under
	// their own names they would make those of the ON DUPLICATE KEY
	// UPDATE ambiguous. The server merges the derived table into the join
	// (the sink's sessions keep derived_merge on); a WHERE EXISTS form
	// needs no renaming but cost the target 10 to 25% more.
	b.WriteString(" FROM ")
	paramRows(&b, t, cols, cond, rows)
	b.WriteString(" JOIN (SELECT ")
	each(&b, len(t.Key), ",", func(i int) {
		quoteIdent(&b, t.Key[i])
		b.WriteString(" AS ")
		param(&b, "", "_k", i)
	})
	for i, c := range cond {
		b.WriteByte(',')
		quoteIdent(&b, c)
		b.WriteString(" AS ")
		param(&b, "", "_w", i)
	}
	b.WriteString(" FROM ")
	quoteTable(&b, t)
	b.WriteString(") AS t ON ")
	joinOn(&b, t, cond, true)
	b.WriteString(" ON DUPLICATE KEY UPDATE ")
	keyGuard(&b, t)
	for _, c := range cols {
		b.WriteByte(',')
		quoteIdent(&b, c)
		b.WriteString("=VALUES(")
		quoteIdent(&b, c)
		b.WriteByte(')')
	}
	return b.String()
}

// each calls item for 0 to n-1, writing sep between the calls.
func each(b *strings.Builder, n int, sep string, item func(i int)) {
	for i := range n {
		if i > 0 {
			b.WriteString(sep)
		}
		item(i)
	}
}

// param writes the column of paramRows named prefix and i, qualified by
// qual ("v.", or "" for none).
func param(b *strings.Builder, qual, prefix string, i int) {
	b.WriteString(qual)
	quoteIdent(b, prefix+strconv.Itoa(i))
}

// paramRows writes a derived table v of rows rows of parameters, each
// holding the key, the values of cols and the cond values, in that order.
// The columns are named by position (_k0, _c0, _w0, ...), so a column that
// is both set and compared does not clash.
func paramRows(b *strings.Builder, t *change.TargetTable, cols, cond []string, rows int) {
	b.WriteString("(SELECT ")
	first := true
	params := func(prefix string, n int) {
		for i := range n {
			if !first {
				b.WriteByte(',')
			}
			first = false
			b.WriteString("? AS ")
			param(b, "", prefix, i)
		}
	}
	params("_k", len(t.Key))
	params("_c", len(cols))
	params("_w", len(cond))
	width := len(t.Key) + len(cols) + len(cond)
	for range rows - 1 {
		b.WriteString(" UNION ALL SELECT ")
		for i := range width {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
	}
	b.WriteString(") AS v")
}

// joinOn writes the condition joining t to the parameter rows of
// paramRows: the key, and each cond column null-safe equal to its value.
// With renamed, t's columns are those of updateInsertSQL's derived table,
// _k0... and _w0... .
func joinOn(b *strings.Builder, t *change.TargetTable, cond []string, renamed bool) {
	column := func(name, prefix string, i int) {
		if renamed {
			param(b, "t.", prefix, i)
			return
		}
		b.WriteString("t.")
		quoteIdent(b, name)
	}
	each(b, len(t.Key), " AND ", func(i int) {
		column(t.Key[i], "_k", i)
		b.WriteByte('=')
		param(b, "v.", "_k", i)
	})
	for i, c := range cond {
		b.WriteString(" AND ")
		column(c, "_w", i)
		b.WriteString("<=>")
		param(b, "v.", "_w", i)
	}
}

// keyGuard writes the first assignment of an ON DUPLICATE KEY UPDATE: the
// first key column keeps its value when the row found holds the inserted
// key, and is set to NULL otherwise, which a key column refuses (see
// keyGuardError).
func keyGuard(b *strings.Builder, t *change.TargetTable) {
	quoteIdent(b, t.Key[0])
	b.WriteString("=IF(")
	for i, k := range t.Key {
		if i > 0 {
			b.WriteString(" AND ")
		}
		quoteIdent(b, k)
		b.WriteString("<=>VALUES(")
		quoteIdent(b, k)
		b.WriteByte(')')
	}
	b.WriteByte(',')
	quoteIdent(b, t.Key[0])
	b.WriteString(",NULL)")
}

// deleteSQL returns a DELETE of rows keys: "k IN (?,...)" for a one-column
// key, "(k1,k2) IN ((?,?),...)" for a composite one.
func deleteSQL(t *change.TargetTable, rows int) string {
	var b strings.Builder
	b.WriteString("DELETE FROM ")
	quoteTable(&b, t)
	b.WriteString(" WHERE ")
	if len(t.Key) == 1 {
		quoteIdent(&b, t.Key[0])
		b.WriteString(" IN ")
		placeholders(&b, rows)
		return b.String()
	}
	b.WriteByte('(')
	for i, k := range t.Key {
		if i > 0 {
			b.WriteByte(',')
		}
		quoteIdent(&b, k)
	}
	b.WriteString(") IN (")
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		placeholders(&b, len(t.Key))
	}
	b.WriteByte(')')
	return b.String()
}

func isKey(t *change.TargetTable, col string) bool {
	for _, k := range t.Key {
		if k == col {
			return true
		}
	}
	return false
}

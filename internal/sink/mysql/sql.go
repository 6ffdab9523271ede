package mysql

import (
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
	quoteIdent(&b, t.Key[0])
	b.WriteString("=IF(")
	for i, k := range t.Key {
		if i > 0 {
			b.WriteString(" AND ")
		}
		quoteIdent(&b, k)
		b.WriteString("<=>VALUES(")
		quoteIdent(&b, k)
		b.WriteByte(')')
	}
	b.WriteByte(',')
	quoteIdent(&b, t.Key[0])
	b.WriteString(",NULL)")
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

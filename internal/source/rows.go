package source

import (
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/source/decode"
)

// changeOverhead approximates the bytes a RowChange costs besides its
// values.
const changeOverhead = 64

// rowsOp maps the type of a rows event, of any version, to its operation.
func rowsOp(t replication.EventType) (change.Op, bool) {
	switch t {
	case replication.WRITE_ROWS_EVENTv0, replication.WRITE_ROWS_EVENTv1, replication.WRITE_ROWS_EVENTv2,
		replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1:
		return change.Insert, true
	case replication.UPDATE_ROWS_EVENTv0, replication.UPDATE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv2,
		replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1, replication.PARTIAL_UPDATE_ROWS_EVENT:
		return change.Update, true
	case replication.DELETE_ROWS_EVENTv0, replication.DELETE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv2,
		replication.MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1:
		return change.Delete, true
	}
	return 0, false
}

// rowChanges decodes the rows of ev, an op event, with dec and passes each
// change, with its approximate size, to add, in event order.
func rowChanges(op change.Op, ev *replication.RowsEvent, dec *decode.Decoder, add func(change.RowChange, int) error) error {
	table := dec.Table()
	step := 1
	if op == change.Update {
		step = 2
		if len(ev.Rows)%2 != 0 {
			return permanent(fmt.Errorf("update event for %s with %d row images, not pairs", table.QualifiedName(), len(ev.Rows)))
		}
	}
	for i := 0; i < len(ev.Rows); i += step {
		row, err := dec.Row(ev.Rows[i])
		if err != nil {
			return permanent(fmt.Errorf("decoding %s row of %s: %w", op, table.QualifiedName(), err))
		}
		c := change.RowChange{Table: table, Op: op}
		switch op {
		case change.Insert:
			c.After, c.AfterOmitted = row, skipped(ev, i)
		case change.Delete:
			c.Before, c.BeforeOmitted = row, skipped(ev, i)
		case change.Update:
			after, err := dec.Row(ev.Rows[i+1])
			if err != nil {
				return permanent(fmt.Errorf("decoding update row of %s: %w", table.QualifiedName(), err))
			}
			c.Before, c.After = row, after
			c.BeforeOmitted, c.AfterOmitted = skipped(ev, i), skipped(ev, i+1)
			c.Changed = changed(row, after, c.BeforeOmitted, c.AfterOmitted)
		}
		if missing := c.MissingKey(); missing != nil {
			return permanent(keyless(&c, missing))
		}
		if err := add(c, changeOverhead+rowSize(c.Before)+rowSize(c.After)); err != nil {
			return err
		}
	}
	return nil
}

// skipped returns the columns left out of row image i (partial images),
// nil when it holds every column.
func skipped(ev *replication.RowsEvent, i int) []int {
	if i < len(ev.SkippedColumns) && len(ev.SkippedColumns[i]) > 0 {
		return ev.SkippedColumns[i]
	}
	return nil
}

// keyless describes a change whose partial row images lack the key
// columns missing (see change.RowChange.MissingKey): nothing downstream
// could say which row it changed.
func keyless(c *change.RowChange, missing []int) error {
	names := make([]string, len(missing))
	for i, col := range missing {
		names[i] = c.Table.Columns[col].Name
	}
	article := "an"
	if c.Op == change.Delete {
		article = "a"
	}
	what := fmt.Sprintf("holds primary key %s %s in neither row image", plural(len(names), "column", "columns"), strings.Join(names, ", "))
	if len(c.Table.PrimaryKey) == 0 {
		image := "before"
		if c.Op == change.Insert {
			image = "after"
		}
		what = fmt.Sprintf("leaves %s %s out of its %s image, and the table has no primary key, so all its columns are its key",
			plural(len(names), "column", "columns"), strings.Join(names, ", "), image)
	}
	return fmt.Errorf("%w: %s %s of %s %s (binlog_row_image MINIMAL or NOBLOB logs only the columns the server needs "+
		"to find the row and those the statement set), so it cannot say which row it changed; give the table a primary key "+
		"that statements set, or set binlog_row_image=FULL on the source", ErrKeyNotLogged, article, c.Op, c.Table.QualifiedName(), what)
}

// plural returns the word for n things, without n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// changed lists the columns an update changed: those in the after image
// whose value differs from the before image or that the before image
// lacks. With full images that is every column where !change.Equal.
func changed(before, after change.Row, beforeSkipped, afterSkipped []int) []int {
	// Gathered on the stack, then copied once at their number: an update
	// changes a few columns, and growing the list would allocate for
	// each of the first ones.
	var buf [16]int
	out := buf[:0]
	for i := range after {
		if contains(afterSkipped, i) {
			continue
		}
		if contains(beforeSkipped, i) || i >= len(before) || !change.Equal(before[i], after[i]) {
			out = append(out, i)
		}
	}
	return append(make([]int, 0, len(out)), out...)
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// rowSize approximates the memory a row's values hold.
func rowSize(r change.Row) int {
	n := 0
	for _, v := range r {
		n += 16
		switch v := v.(type) {
		case string:
			n += len(v)
		case []byte:
			n += len(v)
		case change.JSON:
			n += len(v)
		case change.Decimal:
			n += len(v)
		case change.Temporal:
			n += len(v)
		}
	}
	return n
}

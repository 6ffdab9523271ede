package source

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// openHistory opens a checkpoint store as schema history for one test.
func openHistory(t *testing.T) *checkpoint.Store {
	t.Helper()
	st, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	return st
}

// TestAlterMidTable reads rows written before and after an ALTER TABLE
// that adds a column in the middle, only after the ALTER has run: with
// full row metadata and with minimal metadata plus schema history.
func TestAlterMidTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		metadata string
		history  bool
	}{
		{"full metadata", "FULL", false},
		{"full metadata with history", "FULL", true},
		{"minimal metadata with history", "MINIMAL", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startMariaDB(t, "--binlog-row-metadata="+tt.metadata)
			s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY, a VARCHAR(10), b VARCHAR(10))")
			opts := testOptions(s)
			if tt.history {
				opts.History = openHistory(t)
			}
			start := positionOf(t, s)

			// The reader starts before the ALTER and stops early; when it
			// reads again, the ALTER has run.
			first := run(t, New(opts), start, 16)
			s.Exec(t, "INSERT INTO db.t VALUES (1, 'x', 'y')")
			require.Equal(t, []string{"id", "a", "b"}, columnNames(first.nextWithChanges(t).Changes[0].Table))
			first.stop(t)

			s.Exec(t, "ALTER TABLE db.t ADD COLUMN mid INT AFTER id",
				"INSERT INTO db.t VALUES (2, 5, 'x2', 'y2')",
				"UPDATE db.t SET a = 'x1' WHERE id = 1")

			check := func(rr *running) {
				old := rr.nextWithChanges(t)
				require.Equal(t, []string{"id", "a", "b"}, columnNames(old.Changes[0].Table))
				require.Equal(t, change.Row{int64(1), "x", "y"}, old.Changes[0].After)

				ins := rr.nextWithChanges(t)
				require.Equal(t, []string{"id", "mid", "a", "b"}, columnNames(ins.Changes[0].Table))
				require.Equal(t, change.Row{int64(2), int64(5), "x2", "y2"}, ins.Changes[0].After)
				require.Equal(t, []int{0}, ins.Changes[0].Table.PrimaryKey)

				upd := rr.nextWithChanges(t)
				require.Equal(t, change.Row{int64(1), nil, "x", "y"}, upd.Changes[0].Before)
				require.Equal(t, change.Row{int64(1), nil, "x1", "y"}, upd.Changes[0].After)
				require.Equal(t, []int{2}, upd.Changes[0].Changed)
			}
			second := run(t, New(opts), start, 16)
			check(second)
			second.stop(t)

			// Another ALTER later; reading the first one again keeps the
			// description recorded for it instead of today's.
			s.Exec(t, "ALTER TABLE db.t ADD COLUMN z INT", "INSERT INTO db.t VALUES (3, 6, 'x3', 'y3', 7)")
			third := run(t, New(opts), start, 16)
			check(third)
			last := third.nextWithChanges(t)
			require.Equal(t, []string{"id", "mid", "a", "b", "z"}, columnNames(last.Changes[0].Table))
			third.quiet(t, 200*time.Millisecond)
		})
	}
}

// TestDDLHistory checks what DDL records in schema history.
func TestDDLHistory(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.keep (id INT PRIMARY KEY)")
	opts := testOptions(s)
	history := openHistory(t)
	opts.History = history
	opts.Include = func(schema, table string) bool { return table != "skipped" }
	rr := run(t, New(opts), positionOf(t, s), 16)
	// The reader records every mapped table as it is when it starts; once
	// a first row arrives it has, and what follows is DDL history.
	s.Exec(t, "INSERT INTO db.keep VALUES (1)")
	rr.nextWithChanges(t)
	// Each step waits for the reader: a DDL read after the table changed
	// again records the table as it is by then.
	step := func(ddl, insert string) {
		s.Exec(t, ddl, insert)
		rr.nextWithChanges(t)
	}
	step("USE db; CREATE TABLE a (id INT PRIMARY KEY, v INT)", "INSERT INTO db.a VALUES (1, 1)")
	step("CREATE TABLE db.skipped (id INT PRIMARY KEY)", "INSERT INTO db.a VALUES (2, 1)")
	step("RENAME TABLE db.a TO db.b", "INSERT INTO db.b VALUES (3, 1)")
	step("DROP TABLE db.keep", "INSERT INTO db.b VALUES (4, 1)")

	versions := func(table string) []checkpoint.SchemaVersion {
		v, err := history.SchemaVersions("src", "db", table)
		require.NoError(t, err)
		return v
	}
	a := versions("a")
	require.Len(t, a, 2, "created, then renamed away")
	require.Equal(t, []string{"id", "v"}, columnNames(a[0].Table))
	require.Nil(t, a[1].Table)
	b := versions("b")
	require.Len(t, b, 1)
	require.Equal(t, []string{"id", "v"}, columnNames(b[0].Table))
	require.Equal(t, a[1].Ordinal, b[0].Ordinal, "a rename records both names at one ordinal")
	keep := versions("keep")
	require.Len(t, keep, 2, "recorded at the start, then dropped")
	require.Equal(t, []string{"id"}, columnNames(keep[0].Table))
	require.Nil(t, keep[1].Table)
	require.Empty(t, versions("skipped"), "excluded tables have no history")
}

// TestDDLEventsReachTheStream checks that the statements that can make a
// target diverge arrive as Txn.DDL for included tables, the same when read
// again from the start, and not for excluded ones.
func TestDDLEventsReachTheStream(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY, a VARCHAR(10), b INT)",
		"CREATE TABLE db.gone (id INT PRIMARY KEY)", "CREATE TABLE db.old (id INT PRIMARY KEY)",
		"CREATE TABLE db.other (id INT PRIMARY KEY)")
	opts := testOptions(s)
	opts.History = openHistory(t)
	opts.Include = func(schema, table string) bool { return table != "other" }
	start := positionOf(t, s)
	// The reader runs before the statements, as in service: it records
	// the tables' descriptions when it starts.
	first := run(t, New(opts), start, 64)
	s.Exec(t, "INSERT INTO db.t VALUES (1, '7', 1)")
	first.nextWithChanges(t)
	s.Exec(t, "ALTER TABLE db.t ADD COLUMN c INT", // adds: no event
		"ALTER TABLE db.t MODIFY a VARCHAR(20)", // a wider type loses nothing
		"ALTER TABLE db.t DROP COLUMN b, MODIFY a INT",
		"TRUNCATE db.t", "DROP TABLE db.gone", "RENAME TABLE db.old TO db.renamed",
		"TRUNCATE db.other", "INSERT INTO db.t VALUES (2, 2, 3)")

	want := []change.DDL{
		{Kind: change.DDLAlter, Schema: "db", Table: "t", Columns: []string{"a", "b"}},
		{Kind: change.DDLTruncate, Schema: "db", Table: "t"},
		{Kind: change.DDLDrop, Schema: "db", Table: "gone"},
		{Kind: change.DDLRename, Schema: "db", Table: "old", NewSchema: "db", NewTable: "renamed"},
	}
	require.Equal(t, want, ddlUpTo(t, first, "2"))
	first.stop(t)
	again := run(t, New(opts), start, 64)
	again.nextWithChanges(t)
	require.Equal(t, want, ddlUpTo(t, again, "2"), "read again after a restart")
}

// ddlUpTo returns the table statements rr reads up to the transaction
// whose first change's first column is id.
func ddlUpTo(t *testing.T, rr *running, id string) []change.DDL {
	var got []change.DDL
	for {
		txn := rr.next(t)
		got = append(got, txn.DDL...)
		if len(txn.Changes) > 0 && fmt.Sprint(txn.Changes[0].After[0]) == id {
			return got
		}
	}
}

// TestDropDatabaseDropsItsTables: DROP DATABASE reaches the stream as a
// drop of each included table the history knows in it, the same when
// read again after a restart, and the tables' histories end there.
func TestDropDatabaseDropsItsTables(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY)",
		"CREATE TABLE shop.items (id INT PRIMARY KEY)", "CREATE TABLE shop.skipped (id INT PRIMARY KEY)",
		"CREATE TABLE db.t (id INT PRIMARY KEY)")
	opts := testOptions(s)
	history := openHistory(t)
	opts.History = history
	opts.Include = func(schema, table string) bool { return table != "skipped" }
	start := positionOf(t, s)
	// The reader records the tables it finds when it starts, before the
	// statements, as in service.
	first := run(t, New(opts), start, 64)
	s.Exec(t, "INSERT INTO shop.orders VALUES (1)")
	first.nextWithChanges(t)
	s.Exec(t, "DROP DATABASE shop", "INSERT INTO db.t VALUES (2)")
	want := []change.DDL{
		{Kind: change.DDLDrop, Schema: "shop", Table: "items"},
		{Kind: change.DDLDrop, Schema: "shop", Table: "orders"},
	}
	require.Equal(t, want, ddlUpTo(t, first, "2"))
	first.stop(t)
	again := run(t, New(opts), start, 64)
	again.nextWithChanges(t)
	require.Equal(t, want, ddlUpTo(t, again, "2"), "read again after a restart")
	again.stop(t)
	for _, name := range []string{"orders", "items"} {
		versions, err := history.SchemaVersions("src", "shop", name)
		require.NoError(t, err)
		require.Nil(t, versions[len(versions)-1].Table, "%s ends dropped", name)
	}
}

// TestNarrowingAlterReachesTheStream: a column made narrower may have
// had its values rewritten without row events, and counts as retyped; a
// wider one does not. Each statement is read before the next is run, as
// a reader that is not behind reads them (see schema.go).
func TestNarrowingAlterReachesTheStream(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY, v VARCHAR(20), d DECIMAL(20,6))")
	opts := testOptions(s)
	opts.History = openHistory(t)
	rr := run(t, New(opts), positionOf(t, s), 64)
	next := 0
	events := func(stmt string) []change.DDL {
		next++
		s.Exec(t, stmt, fmt.Sprintf("INSERT INTO db.t (id) VALUES (%d)", next))
		var got []change.DDL
		for {
			txn := rr.next(t)
			got = append(got, txn.DDL...)
			if len(txn.Changes) > 0 {
				return got
			}
		}
	}
	require.Empty(t, events("ALTER TABLE db.t MODIFY v VARCHAR(40), MODIFY d DECIMAL(22,8)"), "wider")
	require.Equal(t, []change.DDL{{Kind: change.DDLAlter, Schema: "db", Table: "t", Columns: []string{"v"}}},
		events("ALTER TABLE db.t MODIFY v VARCHAR(10)"), "a shorter string")
	require.Equal(t, []change.DDL{{Kind: change.DDLAlter, Schema: "db", Table: "t", Columns: []string{"d"}}},
		events("ALTER TABLE db.t MODIFY d DECIMAL(22,2)"), "fewer decimal digits")
	rr.stop(t)
}

// TestDDLEventsFromAGTIDStart checks that a reader started from a GTID set
// alone, with no binlog file, records the tables' descriptions once the
// stream names its file, so an ALTER that drops a column still arrives.
func TestDDLEventsFromAGTIDStart(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY, a VARCHAR(10), b INT)")
	opts := testOptions(s)
	history := openHistory(t)
	opts.History = history
	at := positionOf(t, s)
	start := change.Position{Flavor: at.Flavor, GTIDSet: at.GTIDSet}
	require.NotEmpty(t, start.GTIDSet)

	rr := run(t, New(opts), start, 64)
	s.Exec(t, "INSERT INTO db.t VALUES (1, 'x', 1)")
	rr.nextWithChanges(t)
	versions, err := history.SchemaVersions("src", "db", "t")
	require.NoError(t, err)
	require.Len(t, versions, 1, "recorded when the stream named its file")
	require.Equal(t, []string{"id", "a", "b"}, columnNames(versions[0].Table))

	s.Exec(t, "ALTER TABLE db.t DROP COLUMN b", "INSERT INTO db.t VALUES (2, 'y')")
	var got []change.DDL
	for {
		txn := rr.next(t)
		got = append(got, txn.DDL...)
		if len(txn.Changes) > 0 {
			break
		}
	}
	require.Equal(t, []change.DDL{{Kind: change.DDLAlter, Schema: "db", Table: "t", Columns: []string{"b"}}}, got)
	rr.stop(t)
}

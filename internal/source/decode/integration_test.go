package decode

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// decodedChange is one row change read back from the binlog.
type decodedChange struct {
	Table         string
	Op            change.Op
	Before, After change.Row
}

const (
	bigBlobID   = 100
	bigBlobSize = 16 << 20
)

func TestDecodeBinlog(t *testing.T) {
	tests := []struct {
		name     string
		metadata string
		fallback bool
		bigBlob  bool
	}{
		{name: "full metadata with schema", metadata: "FULL", fallback: true, bigBlob: true},
		{name: "full metadata alone", metadata: "FULL"},
		{name: "minimal metadata with schema", metadata: "MINIMAL", fallback: true},
		{name: "no metadata with schema", metadata: "NO_LOG", fallback: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testenv.StartT(t, testenv.Options{ExtraArgs: []string{"--binlog-row-metadata=" + tt.metadata}})
			srv.Exec(t, "SET GLOBAL sql_mode = ''")
			srv.Exec(t, workload(tt.bigBlob)...)
			db := srv.DB(t, "")
			changes, tables := readBinlog(t, srv.Dir+"/data/mysql-bin.000001", db, tt.fallback)

			wantChanges, wantTables := expected(!tt.fallback)
			if tt.bigBlob {
				require.NotEmpty(t, changes)
				last := changes[len(changes)-1]
				require.Equal(t, "d.bins", last.Table)
				require.Equal(t, change.Insert, last.Op)
				blob, ok := last.After[6].([]byte)
				require.True(t, ok, "big blob decodes to %T", last.After[6])
				require.Len(t, blob, bigBlobSize)
				require.True(t, bytes.Equal(bytes.Repeat([]byte{0xab, 0xcd}, bigBlobSize/2), blob), "big blob differs")
				changes = changes[:len(changes)-1]
			}
			require.Equal(t, len(wantChanges), len(changes))
			for i := range wantChanges {
				require.Equal(t, wantChanges[i], changes[i], "change %d", i)
			}
			require.Equal(t, wantTables, tables)

			if tt.fallback {
				for _, tbl := range testTables {
					got, err := LoadTable(t.Context(), db, "d", tbl.name)
					require.NoError(t, err)
					require.Equal(t, wantTables["d."+tbl.name], got)
				}
			}
		})
	}
}

// workload creates the test tables and changes their rows.
func workload(bigBlob bool) []string {
	stmts := []string{"CREATE DATABASE d"}
	for _, tbl := range testTables {
		defs := []string{"id INT UNSIGNED NOT NULL PRIMARY KEY"}
		names := []string{"id"}
		for _, c := range tbl.cols {
			defs = append(defs, c.ddl)
			names = append(names, c.want.Name)
		}
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE d.%s (%s)", tbl.name, strings.Join(defs, ", ")))
		for n, row := range tbl.rows {
			vals := []string{fmt.Sprint(n + 1)}
			for _, c := range row {
				vals = append(vals, c.sql)
			}
			stmts = append(stmts, fmt.Sprintf("INSERT INTO d.%s (%s) VALUES (%s)", tbl.name, strings.Join(names, ", "), strings.Join(vals, ", ")))
		}
		last := tbl.rows[len(tbl.rows)-1]
		sets := make([]string, len(last))
		for n, c := range last {
			sets[n] = tbl.cols[n].want.Name + " = " + c.sql
		}
		stmts = append(stmts,
			fmt.Sprintf("UPDATE d.%s SET %s WHERE id = 1", tbl.name, strings.Join(sets, ", ")),
			fmt.Sprintf("DELETE FROM d.%s WHERE id = 2", tbl.name))
	}
	if bigBlob {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO d.bins (id, lb) VALUES (%d, REPEAT(x'abcd', %d))", bigBlobID, bigBlobSize/2))
	}
	return stmts
}

// expected returns the changes workload makes and the tables as decoded.
// Without a schema, MariaDB's JSON column is a LONGTEXT string.
func expected(noSchema bool) ([]decodedChange, map[string]*change.Table) {
	var changes []decodedChange
	tables := map[string]*change.Table{}
	for _, tbl := range testTables {
		name := "d." + tbl.name
		table := &change.Table{Schema: "d", Name: tbl.name, Columns: []change.Column{idColumn}, PrimaryKey: []int{0}}
		for _, c := range tbl.cols {
			want := c.want
			if noSchema && want.Kind == change.KindJSON {
				want.Kind, want.Type, want.Charset = change.KindString, "longtext", "utf8mb4"
			}
			table.Columns = append(table.Columns, want)
		}
		tables[name] = table
		row := func(id uint64, cells []cell) change.Row {
			r := change.Row{id}
			for _, c := range cells {
				v := c.want
				if j, ok := v.(change.JSON); ok && noSchema {
					v = string(j)
				}
				r = append(r, v)
			}
			return r
		}
		for n, cells := range tbl.rows {
			changes = append(changes, decodedChange{Table: name, Op: change.Insert, After: row(uint64(n+1), cells)})
		}
		changes = append(changes,
			decodedChange{Table: name, Op: change.Update, Before: row(1, tbl.rows[0]), After: row(1, tbl.rows[len(tbl.rows)-1])},
			decodedChange{Table: name, Op: change.Delete, Before: row(2, tbl.rows[1])})
	}
	return changes, tables
}

// readBinlog decodes the row events of schema d in file, describing the
// tables with LoadTable when fallback is set.
func readBinlog(t *testing.T, file string, db *sql.DB, fallback bool) ([]decodedChange, map[string]*change.Table) {
	t.Helper()
	p := replication.NewBinlogParser()
	p.SetFlavor("mariadb")
	ConfigureParser(p)
	decoders := map[uint64]*Decoder{}
	tables := map[string]*change.Table{}
	var changes []decodedChange
	err := p.ParseFile(file, 0, func(e *replication.BinlogEvent) error {
		switch ev := e.Event.(type) {
		case *replication.TableMapEvent:
			if string(ev.Schema) != "d" {
				return nil
			}
			var schema *change.Table
			if fallback {
				var err error
				if schema, err = LoadTable(context.Background(), db, "d", string(ev.Table)); err != nil {
					return err
				}
			}
			d, err := NewDecoder(ev, schema)
			if err != nil {
				return err
			}
			decoders[ev.TableID] = d
			tables[d.Table().QualifiedName()] = d.Table()
		case *replication.RowsEvent:
			d := decoders[ev.TableID]
			if d == nil {
				return nil
			}
			got, err := decodeRows(d, ev)
			changes = append(changes, got...)
			return err
		}
		return nil
	})
	require.NoError(t, err)
	return changes, tables
}

func decodeRows(d *Decoder, ev *replication.RowsEvent) ([]decodedChange, error) {
	var out []decodedChange
	name := d.Table().QualifiedName()
	step := 1
	if ev.Type() == replication.EnumRowsEventTypeUpdate {
		step = 2
	}
	for n := 0; n+step <= len(ev.Rows); n += step {
		first, err := d.Row(ev.Rows[n])
		if err != nil {
			return nil, err
		}
		switch ev.Type() {
		case replication.EnumRowsEventTypeInsert:
			out = append(out, decodedChange{Table: name, Op: change.Insert, After: first})
		case replication.EnumRowsEventTypeDelete:
			out = append(out, decodedChange{Table: name, Op: change.Delete, Before: first})
		case replication.EnumRowsEventTypeUpdate:
			second, err := d.Row(ev.Rows[n+1])
			if err != nil {
				return nil, err
			}
			out = append(out, decodedChange{Table: name, Op: change.Update, Before: first, After: second})
		}
	}
	return out, nil
}

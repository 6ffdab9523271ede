package decode

import (
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// Rows of excluded tables stay undecoded; the others decode with their
// UNSIGNED values intact although go-mysql saw no signedness, and the
// parser's own table maps keep theirs for the decoders built from them.
func TestRowsDecodeFunc(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{})
	srv.Exec(t, "CREATE DATABASE d",
		"CREATE TABLE d.kept (id TINYINT UNSIGNED PRIMARY KEY, n BIGINT UNSIGNED, m MEDIUMINT UNSIGNED)",
		"CREATE TABLE d.skipped (id INT PRIMARY KEY)",
		"INSERT INTO d.kept VALUES (255, 18446744073709551615, 16777215), (1, 0, 0)",
		"INSERT INTO d.skipped VALUES (1)")
	p := replication.NewBinlogParser()
	p.SetFlavor("mariadb")
	ConfigureParser(p)
	p.SetRowsEventDecodeFunc(RowsDecodeFunc(func(schema, table string) bool { return table != "skipped" }))
	var maps []*replication.TableMapEvent
	decoders := map[uint64]*Decoder{}
	var kept [][]any
	skipped := 0
	err := p.ParseFile(srv.Dir+"/data/mysql-bin.000001", 0, func(e *replication.BinlogEvent) error {
		switch ev := e.Event.(type) {
		case *replication.TableMapEvent:
			if string(ev.Schema) != "d" {
				return nil
			}
			maps = append(maps, ev)
			d, err := NewDecoder(ev, nil)
			decoders[ev.TableID] = d
			return err
		case *replication.RowsEvent:
			switch d := decoders[ev.TableID]; {
			case d == nil:
			case d.Table().Name == "skipped":
				require.Nil(t, ev.Rows, "rows of an excluded table are not decoded")
				skipped++
			default:
				for _, raw := range ev.Rows {
					row, err := d.Row(raw)
					require.NoError(t, err)
					kept = append(kept, row)
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 1, skipped)
	require.Equal(t, [][]any{{uint64(255), uint64(18446744073709551615), uint64(16777215)}, {uint64(1), uint64(0), uint64(0)}}, kept)
	require.Len(t, maps, 2)
	for _, tm := range maps {
		require.NotEmpty(t, tm.SignednessBitmap, "the parser's table map keeps its signedness")
	}
}

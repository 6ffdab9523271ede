package decode

import (
	"fmt"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// Every temporal type at every precision, over spread values, zero dates,
// zero parts, negative times and their limits, decodes to the same text
// whether go-mysql prints it or packed.go does, and RowsDecodeFunc packs
// the columns it should.
func TestPackedTemporalMatchesGoMySQL(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{})
	var cols, exprs []string
	for fsp := 0; fsp <= 6; fsp++ {
		cols = append(cols, fmt.Sprintf("t%[1]d TIME(%[1]d), dt%[1]d DATETIME(%[1]d), ts%[1]d TIMESTAMP(%[1]d) NULL", fsp))
		// Spread over each type's range: seq steps through it by a prime,
		// the microseconds by another.
		micro := "INTERVAL (seq * 104729 % 1000000) MICROSECOND"
		exprs = append(exprs,
			fmt.Sprintf("SEC_TO_TIME(CAST(seq * 7919 %% 6040798 AS SIGNED) - 3020399) + %s", micro),
			fmt.Sprintf("'1000-01-01' + INTERVAL (seq * 7919 %% 3287181) DAY + INTERVAL (seq * 31 %% 86400) SECOND + %s", micro),
			fmt.Sprintf("FROM_UNIXTIME(1 + seq * 7919 %% 2147483646) + %s", micro))
	}
	srv.Exec(t, "SET GLOBAL sql_mode = ''", "CREATE DATABASE d",
		"CREATE TABLE d.times (id INT PRIMARY KEY, d DATE, "+strings.Join(cols, ", ")+")")
	db := srv.DB(t, "d")
	_, err := db.Exec("SET time_zone = '+00:00'")
	require.NoError(t, err)
	_, err = db.Exec("INSERT INTO times SELECT seq, '1000-01-01' + INTERVAL (seq * 7919 % 3287181) DAY, " +
		strings.Join(exprs, ", ") + " FROM seq_1_to_3000")
	require.NoError(t, err)
	// Limits, zero dates and zero parts (sql_mode '' lets them in), and a
	// negative time under a second, whose fraction is stored reversed.
	var limits, zeros, small []string
	for range 7 {
		limits = append(limits, "'-838:59:59.999999'", "'9999-12-31 23:59:59.999999'", "'2038-01-19 03:14:07.999999'")
		zeros = append(zeros, "'00:00:00'", "'0000-00-00 00:00:00'", "'0000-00-00 00:00:00'")
		small = append(small, "'-00:00:00.000001'", "'2024-00-00 12:00:00.5'", "'1970-01-01 00:00:01.000001'")
	}
	_, err = db.Exec("INSERT INTO times VALUES (10001, '9999-12-31', " + strings.Join(limits, ", ") + "), " +
		"(10002, '0000-00-00', " + strings.Join(zeros, ", ") + "), " +
		"(10003, '2024-02-00', " + strings.Join(small, ", ") + ")")
	require.NoError(t, err)
	_, err = db.Exec("UPDATE times SET t3 = '838:59:59.999', d = NULL WHERE id % 97 = 0")
	require.NoError(t, err)
	// Statements that alternate between tables of other layouts, each
	// decoded with its own table map's copy.
	srv.Exec(t, "CREATE TABLE d.dates (id INT PRIMARY KEY, n INT UNSIGNED, at DATETIME(3), day DATE)")
	tx, err := db.Begin()
	require.NoError(t, err)
	for i := range 20 {
		_, err = tx.Exec("INSERT INTO dates VALUES (?, 4294967295, '2026-12-07 10:11:12.345' + INTERVAL ? HOUR, '2026-12-07')", i, i)
		require.NoError(t, err)
		_, err = tx.Exec("UPDATE times SET dt6 = dt6 + INTERVAL 1 SECOND WHERE id = ?", i+1)
		require.NoError(t, err)
	}
	require.NoError(t, tx.Commit())

	printedAll := readTimes(t, srv.Dir+"/data/mysql-bin.000001", false)
	packedAll := readTimes(t, srv.Dir+"/data/mysql-bin.000001", true)
	require.Equal(t, printedAll, packedAll)
	printed := printedAll["times"]
	require.Len(t, printed, 3003+3000/97*2+20*2)
	require.Len(t, printedAll["dates"], 20)
	require.Equal(t, change.Row{int64(19), uint64(4294967295), change.Temporal("2026-12-08 05:11:12.345"), change.Temporal("2026-12-07")},
		printedAll["dates"][19])
	// Columns: id, d, then TIME, DATETIME and TIMESTAMP of each fsp.
	top, low := printed[3000], printed[3002]
	require.Equal(t, change.Temporal("-838:59:59.999"), top[2+3*3])
	require.Equal(t, change.Temporal("9999-12-31 23:59:59.999999"), top[3+3*6])
	require.Equal(t, change.Temporal("-00:00:00.000001"), low[2+3*6])
	require.Equal(t, change.Temporal("2024-00-00 12:00:00.50"), low[3+3*2])
	require.Equal(t, change.Temporal("2024-02-00"), low[1])
}

// readTimes decodes every row image of schema d in file, by table: with
// go-mysql's own decoding of row images, or with packed, RowsDecodeFunc's.
func readTimes(t *testing.T, file string, packed bool) map[string][]change.Row {
	p := replication.NewBinlogParser()
	p.SetFlavor("mariadb")
	ConfigureParser(p)
	if !packed {
		p.SetRowsEventDecodeFunc(nil)
	}
	rows := map[string][]change.Row{}
	decoders := map[uint64]*Decoder{}
	sawPacked := false
	err := p.ParseFile(file, 0, func(e *replication.BinlogEvent) error {
		switch ev := e.Event.(type) {
		case *replication.TableMapEvent:
			if string(ev.Schema) != "d" {
				return nil
			}
			require.NotContains(t, ev.ColumnType, byte(mysql.MYSQL_TYPE_BIT), "the parser's table map keeps its types")
			var err error
			decoders[ev.TableID], err = NewDecoder(ev, nil)
			return err
		case *replication.RowsEvent:
			dec := decoders[ev.TableID]
			if dec == nil {
				return nil
			}
			for _, typ := range ev.Table.ColumnType {
				sawPacked = sawPacked || typ == mysql.MYSQL_TYPE_BIT
			}
			for _, raw := range ev.Rows {
				row, err := dec.Row(raw)
				if err != nil {
					return err
				}
				rows[dec.Table().Name] = append(rows[dec.Table().Name], row)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, packed, sawPacked, "whether go-mysql read the temporal columns as BIT")
	return rows
}

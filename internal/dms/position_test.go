package dms

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// documented is the recovery checkpoint of DMS's API reference
// (ReplicationTask CdcStartPosition).
const documented = "checkpoint:V1#27#mysql-bin-changelog.157832:1975:-1:2002:677883278264080:mysql-bin-changelog.157832:1876#0#0#*#0#93"

func TestParseStopPosition(t *testing.T) {
	tests := []struct {
		name, in string
		want     StopPosition
		err      string
	}{
		{name: "recovery checkpoint", in: documented, want: StopPosition{File: "mysql-bin-changelog.157832", Pos: 2002,
			BeginFile: "mysql-bin-changelog.157832", BeginPos: 1876}},
		{name: "abbreviated file", in: "checkpoint:V1#3#$.583860:1357:-1:1388:91:$.583860:1200#0#0#*#0#7",
			want: StopPosition{File: "$.583860", Pos: 1388, BeginFile: "$.583860", BeginPos: 1200}},
		{name: "stream-position", in: "mysql-bin.000004:7000:-1:7000:42:mysql-bin.000004:6800",
			want: StopPosition{File: "mysql-bin.000004", Pos: 7000, BeginFile: "mysql-bin.000004", BeginPos: 6800}},
		{name: "file and offset", in: " mysql-bin-changelog.000024:373\n", want: StopPosition{File: "mysql-bin-changelog.000024", Pos: 373}},
		{name: "empty", in: "", err: "want a DMS checkpoint"},
		{name: "postgres stream-position", in: "00000002/7C007178.3.00000002/7C007178", err: "want a DMS checkpoint"},
		{name: "checkpoint without position", in: "checkpoint:V1#27", err: "want checkpoint:V1#N#file:offset"},
		{name: "bad offset", in: "mysql-bin.000001:x", err: "want file:offset"},
		{name: "next before commit", in: "mysql-bin.000001:500:-1:400", err: "want file:commit-offset"},
		{name: "begin after commit", in: "mysql-bin.000001:500:-1:530:1:mysql-bin.000001:600", err: "begins after its commit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStopPosition(tt.in)
			if tt.err != "" {
				require.ErrorIs(t, err, ErrBadPosition)
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestResolve(t *testing.T) {
	p := StopPosition{File: "$.583860", Pos: 1388, BeginFile: "$.583860", BeginPos: 1200}
	require.NoError(t, p.Resolve("mysql-bin-changelog.583901"))
	require.Equal(t, "mysql-bin-changelog.583860:1388", p.String())
	require.Equal(t, "mysql-bin-changelog.583860", p.BeginFile)
	require.ErrorIs(t, (&StopPosition{File: "$.1"}).Resolve("binlog"), ErrBadPosition)
}

// TestStreamPositionRoundTrips hands a record's stream-position back to
// ParseStopPosition: the final record of a transaction names the position
// after it, the others its start.
func TestStreamPositionRoundTrips(t *testing.T) {
	txn := &change.Txn{GTID: "0-1-9", Last: true,
		Begin: change.Position{File: "mysql-bin.000007", Pos: 400},
		End:   change.Position{File: "mysql-bin.000007", Pos: 900}}
	after, err := ParseStopPosition(StreamPosition(txn, true))
	require.NoError(t, err)
	require.Equal(t, StopPosition{File: "mysql-bin.000007", Pos: 900, BeginFile: "mysql-bin.000007", BeginPos: 400}, after)
	start, err := ParseStopPosition(StreamPosition(txn, false))
	require.NoError(t, err)
	require.Equal(t, uint32(400), start.Pos)
	txn.Last = false
	require.Equal(t, StreamPosition(txn, false), StreamPosition(txn, true), "End means nothing before the last part")
	require.Empty(t, StreamPosition(&change.Txn{}, true))
	require.True(t, start.Before(after))
}

func TestTableDefType(t *testing.T) {
	tests := []struct {
		col                     change.Column
		typ                     string
		length, precision, scal int
	}{
		{change.Column{Kind: change.KindInt, Type: "int"}, "INT32", 0, 0, 0},
		{change.Column{Kind: change.KindInt, Type: "bigint"}, "INT64", 0, 0, 0},
		{change.Column{Kind: change.KindUint, Type: "tinyint unsigned"}, "UINT8", 0, 0, 0},
		{change.Column{Kind: change.KindInt, Type: "smallint(6)"}, "INT16", 0, 0, 0},
		{change.Column{Kind: change.KindDecimal, Type: "decimal(10,2)"}, "DECIMAL", 0, 10, 2},
		{change.Column{Kind: change.KindString, Type: "varchar(128)"}, "STRING", 128, 0, 0},
		{change.Column{Kind: change.KindString, Type: "longtext"}, "STRING", 0, 0, 0},
		{change.Column{Kind: change.KindJSON, Type: "json"}, "STRING", 0, 0, 0},
		{change.Column{Kind: change.KindBytes, Type: "varbinary(16)"}, "BYTES", 16, 0, 0},
		{change.Column{Kind: change.KindBytes, Type: "blob"}, "BYTES", 0, 0, 0},
		{change.Column{Kind: change.KindDateTime, Type: "datetime(6)"}, "TIMESTAMP", 0, 0, 0},
		{change.Column{Kind: change.KindDate, Type: "date"}, "DATE", 0, 0, 0},
		{change.Column{Kind: change.KindDouble, Type: "double"}, "DOUBLE", 0, 0, 0},
	}
	for _, tt := range tests {
		typ, length, precision, scale := TableDefType(tt.col)
		require.Equal(t, []any{tt.typ, tt.length, tt.precision, tt.scal}, []any{typ, length, precision, scale}, tt.col.Type)
	}
}

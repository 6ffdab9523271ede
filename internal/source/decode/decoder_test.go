package decode

import (
	"math"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// mysqlTableMap is a table map as MySQL 8 writes it with
// binlog_row_metadata=FULL:
//
//	CREATE TABLE s.t (id BIGINT UNSIGNED PRIMARY KEY, doc JSON,
//	  name VARCHAR(20), bin BINARY(8), e ENUM('a','b'))
func mysqlTableMap(full bool) *replication.TableMapEvent {
	tm := &replication.TableMapEvent{
		Schema:      []byte("s"),
		Table:       []byte("t"),
		ColumnCount: 5,
		ColumnType: []byte{mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_JSON, mysql.MYSQL_TYPE_VARCHAR,
			mysql.MYSQL_TYPE_STRING, mysql.MYSQL_TYPE_STRING},
		ColumnMeta:       []uint16{0, 4, 80, 0xfe08, 0xf701},
		NullBitmap:       []byte{0b11110},
		SignednessBitmap: []byte{0x80},
		// utf8mb4_0900_ai_ci by default; the second character column is binary.
		DefaultCharset: []uint64{255, 1, 63},
	}
	if full {
		tm.ColumnName = [][]byte{[]byte("id"), []byte("doc"), []byte("name"), []byte("bin"), []byte("e")}
		tm.EnumStrValue = [][][]byte{{[]byte("a"), []byte("b")}}
		tm.PrimaryKey = []uint64{0}
	}
	return tm
}

var mysqlTable = &change.Table{
	Schema: "s", Name: "t",
	Columns: []change.Column{
		{Name: "id", Kind: change.KindUint, Type: "bigint unsigned"},
		{Name: "doc", Kind: change.KindJSON, Type: "json", Nullable: true},
		{Name: "name", Kind: change.KindString, Type: "varchar(20)", Charset: "utf8mb4", Nullable: true},
		{Name: "bin", Kind: change.KindBytes, Type: "binary(8)", Nullable: true},
		{Name: "e", Kind: change.KindEnum, Type: "enum('a','b')", Nullable: true},
	},
	PrimaryKey: []int{0},
}

func TestNewDecoderTables(t *testing.T) {
	stale := *mysqlTable
	stale.Columns = stale.Columns[:2]
	renamed := *mysqlTable
	renamed.Columns = append([]change.Column(nil), mysqlTable.Columns...)
	renamed.Columns[1].Name = "other"
	wrongKind := *mysqlTable
	wrongKind.Columns = append([]change.Column(nil), mysqlTable.Columns...)
	wrongKind.Columns[0].Kind = change.KindString
	noMembers := *mysqlTable
	noMembers.Columns = append([]change.Column(nil), mysqlTable.Columns...)
	noMembers.Columns[4].Type = "enum"

	tests := []struct {
		name     string
		full     bool
		fallback *change.Table
		want     *change.Table
		wantErr  error
		errText  []string
	}{
		{name: "full metadata alone", full: true, want: mysqlTable},
		{name: "full metadata ignores a stale schema", full: true, fallback: &stale, want: mysqlTable},
		{name: "full metadata ignores renamed columns", full: true, fallback: &renamed, want: mysqlTable},
		{name: "full metadata ignores an incompatible schema", full: true, fallback: &wrongKind, want: mysqlTable},
		{name: "minimal metadata with schema", fallback: mysqlTable, want: mysqlTable},
		{name: "minimal metadata alone", wantErr: ErrSchemaRequired, errText: []string{"s.t"}},
		{name: "column count mismatch", fallback: &stale, wantErr: ErrSchemaMismatch, errText: []string{"s.t", "5", "2"}},
		{name: "incompatible kind", fallback: &wrongKind, wantErr: ErrSchemaMismatch, errText: []string{"s.t", "id", "bigint unsigned", "string"}},
		{name: "enum members unknown", fallback: &noMembers, errText: []string{"s.t", "column e", "member names unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDecoder(mysqlTableMap(tt.full), tt.fallback)
			if tt.errText != nil {
				require.Error(t, err)
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
				}
				for _, s := range tt.errText {
					require.ErrorContains(t, err, s)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, d.Table())
		})
	}
}

func TestDecoderRow(t *testing.T) {
	tests := []struct {
		name    string
		raw     []any
		want    change.Row
		errText string
	}{
		{
			name: "values",
			raw:  []any{int64(-1), `{"a": 1}`, "x", "\x01", int64(2)},
			want: change.Row{uint64(math.MaxUint64), change.JSON(`{"a": 1}`), "x", []byte{1, 0, 0, 0, 0, 0, 0, 0}, "b"},
		},
		{
			name: "unsigned already decoded",
			raw:  []any{uint64(math.MaxUint64), nil, nil, nil, nil},
			want: change.Row{uint64(math.MaxUint64), nil, nil, nil, nil},
		},
		{
			name: "empty json document reads as null",
			raw:  []any{uint64(1), []byte{}, "", "", int64(0)},
			want: change.Row{uint64(1), change.JSON("null"), "", make([]byte, 8), ""},
		},
		{name: "partial json", raw: []any{uint64(1), &replication.JsonDiff{}, nil, nil, nil}, errText: "partial JSON"},
		{name: "too few values", raw: []any{uint64(1)}, errText: "1 values for 5 columns"},
		{name: "enum index out of range", raw: []any{uint64(1), nil, nil, nil, int64(987654)}, errText: "column e"},
		{name: "wrong go type", raw: []any{uint64(1), 1.5, nil, nil, nil}, errText: "column doc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDecoder(mysqlTableMap(true), nil)
			require.NoError(t, err)
			got, err := d.Row(tt.raw)
			if tt.errText != "" {
				require.ErrorContains(t, err, tt.errText)
				require.NotContains(t, err.Error(), "987654", "errors never hold values")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// TestDecoderRowKeepsValuesOfTheirType checks that values go-mysql already
// decoded as the type their column's kind prescribes are kept as they are,
// not copied to the heap again: a row of an unsigned key, a UTF-8 string
// and a full BINARY(8) converts without allocating.
func TestDecoderRowKeepsValuesOfTheirType(t *testing.T) {
	d, err := NewDecoder(mysqlTableMap(true), nil)
	require.NoError(t, err)
	id, name, bin := any(uint64(1)<<40), any("a name"), any([]byte("8 bytes!"))
	raw := make([]any, 5)
	allocs := testing.AllocsPerRun(100, func() {
		raw[0], raw[1], raw[2], raw[3], raw[4] = id, nil, name, bin, nil
		if _, err := d.Row(raw); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
	require.Equal(t, change.Row{uint64(1) << 40, nil, "a name", []byte("8 bytes!"), nil}, change.Row(raw))
}

func TestNewDecoderCharsets(t *testing.T) {
	tm := mysqlTableMap(true)
	tm.DefaultCharset = []uint64{9999}
	_, err := NewDecoder(tm, nil)
	require.ErrorContains(t, err, "unknown collation id 9999")

	fallback := *mysqlTable
	fallback.Columns = append([]change.Column(nil), mysqlTable.Columns...)
	fallback.Columns[2].Charset = "latin1"
	tm = mysqlTableMap(false)
	tm.DefaultCharset = nil
	d, err := NewDecoder(tm, &fallback)
	require.NoError(t, err, "without charset metadata the schema's charsets are used")
	require.Equal(t, "latin1", d.Table().Columns[2].Charset)
	row, err := d.Row([]any{int64(1), nil, "caf\xe9", "", nil})
	require.NoError(t, err)
	require.Equal(t, "café", row[2])

	fallback.Columns[2].Charset = ""
	_, err = NewDecoder(tm, &fallback)
	require.ErrorContains(t, err, "character set unknown")

	fallback.Columns[2].Charset = "klingon"
	_, err = NewDecoder(tm, &fallback)
	require.ErrorContains(t, err, "klingon")
}

func TestHasNames(t *testing.T) {
	require.True(t, HasNames(mysqlTableMap(true)))
	require.False(t, HasNames(mysqlTableMap(false)))
}

func FuzzRow(f *testing.F) {
	f.Add(int64(-1), `{"a": 1}`, "x", []byte{1}, int64(2))
	f.Add(int64(0), "", "", []byte{}, int64(-5))
	f.Fuzz(func(t *testing.T, id int64, doc, name string, bin []byte, e int64) {
		d, err := NewDecoder(mysqlTableMap(true), nil)
		require.NoError(t, err)
		row, err := d.Row([]any{id, doc, name, string(bin), e})
		if err != nil {
			require.ErrorContains(t, err, "column e")
			return
		}
		require.Equal(t, uint64(id), row[0])
		require.Equal(t, change.JSON(doc), row[1])
		require.Equal(t, name, row[2])
		require.Len(t, row[3], max(len(bin), 8))
		require.IsType(t, "", row[4])
	})
}

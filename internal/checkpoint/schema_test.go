package checkpoint

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestSchemaHistoryLookup(t *testing.T) {
	v1, v2, v3 := sampleTable("v1"), sampleTable("v2"), sampleTable("v3")
	s, _ := openTemp(t)
	// Written out of order: lookups must follow ordinals, not write order.
	require.NoError(t, s.PutSchema("src", 40, "db", "t", v3))
	require.NoError(t, s.PutSchema("src", 10, "db", "t", v1))
	require.NoError(t, s.PutSchema("src", 30, "db", "t", nil))
	require.NoError(t, s.PutSchema("src", 20, "db", "t", v2))

	tests := []struct {
		name    string
		ordinal uint64
		want    *change.Table
		wantErr error
	}{
		{"zero", 0, nil, ErrNotFound},
		{"before first", 9, nil, ErrNotFound},
		{"at first", 10, v1, nil},
		{"between first and second", 15, v1, nil},
		{"at second", 20, v2, nil},
		{"just before drop", 29, v2, nil},
		{"at drop", 30, nil, ErrDropped},
		{"after drop", 39, nil, ErrDropped},
		{"at re-create", 40, v3, nil},
		{"after last", 1 << 40, v3, nil},
		{"max ordinal", math.MaxUint64, v3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Schema("src", tt.ordinal, "db", "t")
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.ErrorIs(t, err, ErrNotFound)
				require.Nil(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}

	_, err := s.Schema("src", 25, "db", "other")
	require.ErrorIs(t, err, ErrNotFound)
	require.NotErrorIs(t, err, ErrDropped)

	versions, err := s.SchemaVersions("src", "db", "t")
	require.NoError(t, err)
	require.Equal(t, []SchemaVersion{
		{Ordinal: 10, Table: v1}, {Ordinal: 20, Table: v2}, {Ordinal: 30}, {Ordinal: 40, Table: v3},
	}, versions)
}

func TestSchemaExtremeOrdinals(t *testing.T) {
	s, _ := openTemp(t)
	first, last := sampleTable("first"), sampleTable("last")
	require.NoError(t, s.PutSchema("src", 0, "db", "t", first))
	require.NoError(t, s.PutSchema("src", math.MaxUint64, "db", "t", last))

	got, err := s.Schema("src", 0, "db", "t")
	require.NoError(t, err)
	require.Equal(t, first, got)
	got, err = s.Schema("src", math.MaxUint64-1, "db", "t")
	require.NoError(t, err)
	require.Equal(t, first, got)
	got, err = s.Schema("src", math.MaxUint64, "db", "t")
	require.NoError(t, err)
	require.Equal(t, last, got)
}

func TestPutSchemaReplacesSameOrdinal(t *testing.T) {
	s, _ := openTemp(t)
	before := s.Syncs()
	require.NoError(t, s.PutSchema("src", 7, "db", "t", sampleTable("old")))
	require.NoError(t, s.PutSchema("src", 7, "db", "t", sampleTable("new")))
	require.Equal(t, before+2, s.Syncs(), "every PutSchema is synced")

	versions, err := s.SchemaVersions("src", "db", "t")
	require.NoError(t, err)
	require.Equal(t, []SchemaVersion{{Ordinal: 7, Table: sampleTable("new")}}, versions)
}

func TestSchemaVersionsEmpty(t *testing.T) {
	s, _ := openTemp(t)
	versions, err := s.SchemaVersions("src", "db", "t")
	require.NoError(t, err)
	require.Empty(t, versions)
}

func TestSchemaTables(t *testing.T) {
	s, _ := openTemp(t)
	for _, ref := range []TableRef{{"db", "b"}, {"db", "a"}, {"app", "z"}, {"db", "a"}} {
		for ord := range uint64(3) {
			require.NoError(t, s.PutSchema("src", ord, ref.Schema, ref.Table, sampleTable("x")))
		}
	}
	require.NoError(t, s.PutSchema("src2", 1, "other", "t", nil))

	tables, err := s.SchemaTables("src")
	require.NoError(t, err)
	require.Equal(t, []TableRef{{"app", "z"}, {"db", "a"}, {"db", "b"}}, tables)

	tables, err = s.SchemaTables("none")
	require.NoError(t, err)
	require.Empty(t, tables)
}

func TestSchemaRejectsBadNames(t *testing.T) {
	tests := []struct {
		name                  string
		source, schema, table string
	}{
		{"empty source", "", "db", "t"},
		{"empty schema", "src", "", "t"},
		{"empty table", "src", "db", ""},
		{"NUL in source", "s\x00", "db", "t"},
		{"NUL in schema", "src", "d\x00b", "t"},
		{"NUL in table", "src", "db", "\x00"},
	}
	s, _ := openTemp(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Error(t, s.PutSchema(tt.source, 1, tt.schema, tt.table, nil))
			_, err := s.Schema(tt.source, 1, tt.schema, tt.table)
			require.Error(t, err)
			require.NotErrorIs(t, err, ErrNotFound)
			_, err = s.SchemaVersions(tt.source, tt.schema, tt.table)
			require.Error(t, err)
		})
	}
	require.Zero(t, s.Syncs())
}

package checkpoint

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// similarNames are source, schema and table names that naive key layouts
// would confuse: prefixes of each other, and names holding the separators of
// other layouts.
var similarNames = []string{"a", "ab", "a/b", "a.b", "a/", "a\x01", "b", "/", "."}

func TestSimilarSourcesDoNotCollide(t *testing.T) {
	s, _ := openTemp(t)
	want := make(map[string]change.Position)
	for i, name := range similarNames {
		want[name] = change.Position{File: "mysql-bin.000001", Pos: uint32(i)}
		require.NoError(t, s.PutSchema(name, 1, "db", "t", &change.Table{Schema: "db", Name: name}))
	}
	require.NoError(t, s.SavePositions(want))

	got, err := s.Positions()
	require.NoError(t, err)
	require.Equal(t, want, got)
	for _, name := range similarNames {
		pos, err := s.Position(name)
		require.NoError(t, err)
		require.Equal(t, want[name], pos, "source %q", name)

		versions, err := s.SchemaVersions(name, "db", "t")
		require.NoError(t, err)
		require.Equal(t, []SchemaVersion{{Ordinal: 1, Table: &change.Table{Schema: "db", Name: name}}}, versions, "source %q", name)

		tables, err := s.SchemaTables(name)
		require.NoError(t, err)
		require.Equal(t, []TableRef{{"db", "t"}}, tables, "source %q", name)
	}
}

func TestSimilarTablesDoNotCollide(t *testing.T) {
	s, _ := openTemp(t)
	var refs []TableRef
	for _, schema := range similarNames {
		for _, table := range similarNames {
			refs = append(refs, TableRef{schema, table})
		}
	}
	for _, ref := range refs {
		require.NoError(t, s.PutSchema("src", 5, ref.Schema, ref.Table, &change.Table{Schema: ref.Schema, Name: ref.Table}))
	}
	for _, ref := range refs {
		got, err := s.Schema("src", 5, ref.Schema, ref.Table)
		require.NoError(t, err)
		require.Equal(t, &change.Table{Schema: ref.Schema, Name: ref.Table}, got)
		versions, err := s.SchemaVersions("src", ref.Schema, ref.Table)
		require.NoError(t, err)
		require.Len(t, versions, 1, "%q.%q", ref.Schema, ref.Table)
	}
	tables, err := s.SchemaTables("src")
	require.NoError(t, err)
	require.ElementsMatch(t, refs, tables)
}

func TestSchemaKeysSortByOrdinal(t *testing.T) {
	ordinals := []uint64{0, 1, 255, 256, 1 << 32, 1<<32 | 1, 42<<32 | 4, 1<<63 + 5, 1<<64 - 1}
	for i := 1; i < len(ordinals); i++ {
		prev := schemaKey("src", "db", "t", ordinals[i-1])
		next := schemaKey("src", "db", "t", ordinals[i])
		require.Negative(t, bytes.Compare(prev, next), "%d < %d", ordinals[i-1], ordinals[i])
	}
}

func FuzzKeysRoundTrip(f *testing.F) {
	for _, name := range similarNames {
		f.Add(name, "db", name, uint64(len(name)))
	}
	f.Add("src", "a\x00b", "t", uint64(1<<64-1))
	f.Fuzz(func(t *testing.T, source, schema, table string, ordinal uint64) {
		if checkTableNames(source, schema, table) != nil {
			return
		}
		got, err := parsePositionKey(positionKey(source))
		require.NoError(t, err)
		require.Equal(t, source, got)

		key := schemaKey(source, schema, table, ordinal)
		ref, ord, err := parseSchemaKey(source, key)
		require.NoError(t, err)
		require.Equal(t, TableRef{schema, table}, ref)
		require.Equal(t, ordinal, ord)

		// A key belongs to exactly the prefixes of its own names.
		require.True(t, bytes.HasPrefix(key, schemaPrefix(source, schema, table)))
		require.False(t, bytes.HasPrefix(key, schemaPrefix(source+"x", schema, table)))
		require.False(t, bytes.HasPrefix(key, keyPrefix(nsSchema, source+"/")), fmt.Sprintf("%q", key))
	})
}

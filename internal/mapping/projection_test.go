package mapping

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProjection(t *testing.T) {
	head := "target: g.t\nkey: [id]\nsources:\n  - source: a\n    table: s.t\n"
	for _, tc := range []struct {
		name, spec string
		// want maps each source column of s.t (id, name, note) to the
		// target column it is copied to; why is the reason when it is no
		// projection.
		want map[string]string
		why  string
	}{
		{"all columns", "    all_columns: true\n", map[string]string{"id": "id", "name": "name", "note": "note"}, ""},
		{"excluded and renamed", "    all_columns: true\n    exclude: [note]\n    columns: {label: name}\n",
			map[string]string{"id": "id", "label": "name", "name": "name"}, ""},
		{"renames", "    columns: {id: id, label: name}\n", map[string]string{"id": "id", "label": "name"}, ""},
		{"expression", "    columns: {id: id, label: \"name + '!'\"}\n", nil, "target column label is computed"},
		{"metadata", "    columns: {id: id, src: meta.source}\n", nil, "target column src is computed"},
		{"filter", "    all_columns: true\n    filter: \"id > 0\"\n", nil, "the mapping has a filter"},
		{"soft delete", "    columns: {id: id}\n    delete: soft\n    soft_delete: {column: gone}\n", nil,
			"the mapping does not delete target rows with their source rows"},
		{"merge", "    driving: true\n    columns: {id: id}\n  - source: a\n    table: s.u\n    join: {id: id}\n    columns: {bio: bio}\n",
			nil, "the mapping merges several source entries"},
		{"lookup", "    columns: {id: id, uid: uid}\nlookups:\n  - source: a\n    table: s.users\n    match: {id: uid}\n    columns: {user: name}\n",
			nil, "the mapping has lookups"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := Parse("m.yaml", []byte(head+tc.spec), []string{"a"})
			require.NoError(t, err)
			p, why := set.Projection("g.t")
			require.Equal(t, tc.why, why)
			if tc.want == nil {
				require.Nil(t, p)
				return
			}
			require.Equal(t, tc.want, p.Copies([]string{"id", "name", "note"}))
		})
	}
	set, err := Parse("m.yaml", []byte(head+"    all_columns: true\n"), []string{"a"})
	require.NoError(t, err)
	p, why := set.Projection("g.nothing")
	require.Nil(t, p)
	require.Equal(t, "no mapping writes g.nothing", why)
}

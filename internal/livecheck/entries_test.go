package livecheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadEntries(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want map[place][]entry
	}{
		{
			name: "one mapping",
			yaml: "target: g.t\nkey: [id]\nsources:\n  - source: a\n    table: s.t\n    columns:\n      id: id\n      n: \"name\"\n      k: \"'user'\"\n      m: meta.source\n      u: upper(name)\n      z: ~\n      b: true\n",
			want: map[place][]entry{{4, 5}: {
				{target: "id", copies: "id", line: 7, col: 7},
				{target: "n", copies: "name", line: 8, col: 7},
				{target: "k", line: 9, col: 7},
				{target: "m", line: 10, col: 7},
				{target: "u", line: 11, col: 7},
				{target: "z", line: 12, col: 7},
				{target: "b", line: 13, col: 7},
			}},
		},
		{
			name: "list and documents",
			yaml: "- target: g.a\n  key: [id]\n  sources:\n    - {source: a, table: s.a, columns: {id: x}}\n---\ntarget: g.b\nkey: [id]\nsources:\n  - source: b\n    table: s.b\n    all_columns: true\n",
			want: map[place][]entry{
				{4, 7}: {{target: "id", copies: "x", line: 4, col: 41}},
				{9, 5}: nil,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "m.yaml")
			require.NoError(t, os.WriteFile(file, []byte(tt.yaml), 0o600))
			got, err := readEntries(file)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestReadEntriesErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := readEntries(filepath.Join(dir, "absent.yaml"))
	require.ErrorContains(t, err, "reading mapping file")
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("a: [\n"), 0o600))
	_, err = readEntries(bad)
	require.ErrorContains(t, err, "parsing mapping file")
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "m.yaml", Line: 3, Column: 5, Message: "bad"}, "m.yaml:3:5: bad"},
		{Problem{File: "m.yaml", Line: 3, Severity: Warning, Message: "hm"}, "m.yaml:3: warning: hm"},
		{Problem{File: "m.yaml", Message: "bad"}, "m.yaml: bad"},
		{Problem{Message: "bad"}, "bad"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.p.String())
	}
	ps := Problems{tests[0].p, tests[1].p}
	require.Equal(t, 1, ps.Errors())
	require.Equal(t, "m.yaml:3:5: bad\nm.yaml:3: warning: hm", ps.Error())
}

package mapping

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/bad")

// testSources are the configured source names the tests check against.
var testSources = []string{"jp-accounts", "jp-accounts-2", "jp-recipes", "us-accounts"}

func TestLoadGood(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "good", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := Load([]string{f}, testSources)
			require.NoError(t, err)
			require.NotEmpty(t, s.Targets())
		})
	}
	s, err := Load([]string{filepath.Join("testdata", "good")}, testSources)
	require.NoError(t, err)
	var names []string
	for _, tt := range s.Targets() {
		names = append(names, tt.QualifiedName())
	}
	require.Equal(t, []string{"global.a", "global.b", "global.orders", "global.audit", "global.members"}, names)
}

func TestLoadBad(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "bad", "*"))
	require.NoError(t, err)
	for _, dir := range dirs {
		if strings.HasSuffix(dir, ".golden") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			s, err := Load([]string{dir}, testSources)
			require.Nil(t, s)
			require.Error(t, err)
			var ps Problems
			require.ErrorAs(t, err, &ps)
			for _, p := range ps {
				require.NotEmpty(t, p.File)
			}
			got := err.Error() + "\n"
			golden := dir + ".golden"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), got)
		})
	}
}

func TestLoadPaths(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		want  string
	}{
		{"missing file", []string{"testdata/nope.yaml"}, "testdata/nope.yaml: reading mappings: no such file or directory"},
		{"files and dirs", []string{"testdata/good/docs.yaml", "testdata/good/docs.yaml"}, "testdata/good/docs.yaml:1:9: target: global.a is already defined at testdata/good/docs.yaml:1:9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.paths, nil)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestLoadSourceNamesUnchecked(t *testing.T) {
	_, err := Parse("m.yaml", []byte("target: a.b\nkey: [id]\nsources: [{source: anything, table: s.t, columns: {id: id}}]\n"), nil)
	require.NoError(t, err)
}

func TestDemoMappings(t *testing.T) {
	s, err := Load([]string{filepath.Join("..", "..", "mappings")}, []string{"jp-accounts", "jp-accounts-2", "jp-recipes"})
	require.NoError(t, err)
	var names []string
	for _, tt := range s.Targets() {
		names = append(names, tt.QualifiedName())
		require.Equal(t, []string{"id"}, tt.Key)
	}
	require.Equal(t, []string{"global.cooksnaps", "global.members", "global.recipes"}, names)
	require.True(t, s.Includes("jp-accounts", "accounts", "users"))
	require.True(t, s.Includes("jp-recipes", "recipes", "recipes"))
	require.True(t, s.Includes("jp-recipes", "recipes", "cooksnaps"))
	require.True(t, s.Includes("jp-recipes", "recipes", "steps"), "steps are looked up")
	require.True(t, s.Includes("jp-accounts-2", "accounts", "user_profiles"))
	require.False(t, s.Includes("jp-accounts-2", "recipes", "recipes"))
	require.True(t, s.NeedsLookups())

	written := map[string][]string{}
	for _, r := range s.Requirements() {
		written[r.Target.QualifiedName()] = append(written[r.Target.QualifiedName()], r.Written...)
	}
	require.Equal(t, map[string][]string{
		"global.members":   {"id", "email", "display_name", "id", "email", "display_name", "bio", "locale"},
		"global.recipes":   {"id", "author_id", "title", "description", "status", "author_name", "steps"},
		"global.cooksnaps": {"id", "recipe_id", "user_id", "comment"},
	}, written)
}

func TestLoadRefusesAnEmptyFolder(t *testing.T) {
	dir := t.TempDir()
	_, err := Load([]string{dir}, nil)
	require.ErrorContains(t, err, dir+": the folder holds no mapping file (*.yaml, *.yml): nothing would be written")
}

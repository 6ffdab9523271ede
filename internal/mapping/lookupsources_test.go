package mapping

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLookupSources(t *testing.T) {
	plain := `
target: global.plain
key: [id]
sources:
  - source: jp-recipes
    table: recipes.steps
    columns: {id: id, body: body}
`
	s := parseWith(t, shardedMembers+"---\n"+enrichedRecipes+"---\n"+plain)
	require.Equal(t, map[string][]string{
		// the profiles' pattern matches both shards
		"global.members": {"jp-accounts", "jp-accounts-2"},
		// one lookup on another source, one on the driving source
		"global.recipes": {"jp-accounts", "jp-recipes"},
	}, s.LookupSources([]string{"jp-accounts", "jp-accounts-2", "jp-recipes"}))
}

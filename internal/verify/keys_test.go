package verify_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/verify"
)

// Keys restrict a comparison to those target keys: a difference outside
// them is not looked at, an extra row among them is found, a soft-deleted
// one is not extra.
func TestVerifyKeys(t *testing.T) {
	p := startPair(t)
	p.target.Exec(t, "DELETE FROM shop.items WHERE id = 1", "UPDATE shop.items SET name = 'changed' WHERE id IN (2, 20)",
		"INSERT INTO shop.items (id, price) VALUES (5000, 1.00), (5001, 1.00)")
	keys := func(target string, keys ...string) *verify.Report {
		var ks [][]string
		for _, k := range keys {
			ks = append(ks, []string{k})
		}
		rep, err := verify.Run(t.Context(), verify.Options{
			Set: p.set, Targets: []string{target}, Keys: ks,
			Sources:   map[string]string{"src": p.source.DSN("root", "", "")},
			TargetDSN: p.target.DSN("root", "", ""), ChunkRows: 2, Settle: 300 * time.Millisecond,
		})
		require.NoError(t, err)
		return rep
	}
	rep := keys("shop.items", "1", "2", "3", "4", "5000", "7777")
	require.Equal(t, []string{
		"shop.items different 2 [name]",
		"shop.items extra 5000 []",
		"shop.items missing 1 []",
	}, found(rep))
	require.Equal(t, 4, rep.Mappings[0].Compared, "the source rows of 1 to 4")
	require.True(t, rep.Mappings[0].ExtraChecked)

	require.Empty(t, found(keys("shop.notes", "1", "3")), "a soft-deleted row outlives its source row")

	_, err := verify.Run(t.Context(), verify.Options{
		Set: p.set, Targets: []string{"shop.items"}, Keys: [][]string{{"1", "2"}},
		Sources:   map[string]string{"src": p.source.DSN("root", "", "")},
		TargetDSN: p.target.DSN("root", "", ""),
	})
	require.ErrorContains(t, err, "key 1 has 2 values for the 1 key columns")
}

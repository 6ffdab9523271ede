package gtid

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

const (
	uuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	uuidB = "4e11fa47-71ca-11e1-9e33-c80aa9429562"
)

func TestSetHas(t *testing.T) {
	tests := []struct {
		flavor, set, gtid string
		want              bool
	}{
		{change.MariaDB, "0-1-10", "0-1-10", true},
		{change.MariaDB, "0-1-10", "0-1-11", false},
		// Another server's GTID in the same domain: the domain's sequence
		// decides, as for MariaDB's own positions.
		{change.MariaDB, "0-1-10", "0-2-9", true},
		{change.MariaDB, "0-1-10,1-1-5", "1-2-6", false},
		{change.MariaDB, "0-1-10,1-1-5", "1-1-5", true},
		{change.MariaDB, "0-1-10", "2-1-1", false},
		{change.MariaDB, "", "0-1-1", false},
		{change.MariaDB, "0-1-10", "", false},
		{change.MySQL, uuidA + ":1-10", uuidA + ":10", true},
		{change.MySQL, uuidA + ":1-10", uuidA + ":11", false},
		{change.MySQL, uuidA + ":1-10:12", uuidA + ":11", false},
		{change.MySQL, uuidA + ":1-10,\n" + uuidB + ":1-3", uuidB + ":3", true},
		{change.MySQL, uuidA + ":1-10", uuidB + ":1", false},
		{change.MySQL, uuidA + ":1-10", "", false},
	}
	for _, tt := range tests {
		set, err := Parse(tt.flavor, tt.set)
		require.NoError(t, err)
		require.Equal(t, tt.want, set.Has(tt.gtid), "%s in %q", tt.gtid, tt.set)
	}
}

func TestSetContains(t *testing.T) {
	tests := []struct {
		flavor, set, other string
		want               bool
	}{
		{change.MariaDB, "0-1-10,1-1-5", "0-1-10", true},
		{change.MariaDB, "0-1-10,1-1-5", "1-1-5,0-1-9", true},
		// Every domain must have reached its sequence number.
		{change.MariaDB, "0-1-10,1-1-5", "0-1-10,1-1-6", false},
		{change.MariaDB, "0-1-10", "0-1-10,1-1-1", false},
		{change.MariaDB, "0-1-10", "", true},
		{change.MariaDB, "", "", true},
		{change.MySQL, uuidA + ":1-10," + uuidB + ":1-5", uuidA + ":1-10", true},
		{change.MySQL, uuidA + ":1-10", uuidA + ":1-11", false},
		{change.MySQL, uuidA + ":1-10", uuidA + ":1-10," + uuidB + ":1", false},
		{change.MySQL, uuidA + ":1-10", "", true},
	}
	for _, tt := range tests {
		set, err := Parse(tt.flavor, tt.set)
		require.NoError(t, err)
		other, err := Parse(tt.flavor, tt.other)
		require.NoError(t, err)
		require.Equal(t, tt.want, set.Contains(other), "%q in %q", tt.other, tt.set)
	}
}

func TestParse(t *testing.T) {
	set, err := Parse(change.MariaDB, "1-2-5, 0-1-10,0-3-7")
	require.NoError(t, err)
	require.Equal(t, "0-1-10,1-2-5", set.String(), "the highest sequence per domain")
	require.NoError(t, set.Add("0-4-11"))
	require.Equal(t, "0-4-11,1-2-5", set.String())
	for _, bad := range []string{"0-1", "a-1-2", "0-1-2-3", "0--1"} {
		_, err := Parse(change.MariaDB, bad)
		require.Error(t, err, bad)
	}
	for _, bad := range []string{"nope", uuidA + ":x", ":1-2"} {
		_, err := Parse(change.MySQL, bad)
		require.Error(t, err, bad)
	}
	_, err = Parse("oracle", "")
	require.ErrorContains(t, err, "unknown flavor")
}

func TestSeen(t *testing.T) {
	set, err := Parse(change.MariaDB, "0-1-10,1-2-5")
	require.NoError(t, err)
	seen := &Seen{}
	seen.Put("a", set)
	require.True(t, seen.Saw("a", "0-1-10"))
	require.True(t, seen.Saw("a", "1-2-5"))
	require.False(t, seen.Saw("a", "0-1-11"))
	require.False(t, seen.Saw("b", "0-1-1"), "a source not read")
	require.False(t, seen.Saw("a", ""), "a transaction without a GTID")
	var none *Seen
	require.False(t, none.Saw("a", "0-1-1"))
}

package problem

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.yaml", Line: 3, Column: 7, Key: "sources[0].name", Message: "is required"}, "a.yaml:3:7: sources[0].name: is required"},
		{Problem{File: "a.yaml", Line: 3, Message: "bad"}, "a.yaml:3: bad"},
		{Problem{File: "a.yaml", Message: "empty"}, "a.yaml: empty"},
		{Problem{Key: "pebble.dir", Message: "is required"}, "pebble.dir: is required"},
		{Problem{Line: 2, Column: 1, Message: "x"}, "2:1: x"},
		{Problem{File: "m.yaml", Line: 1, Column: 2, Severity: Warning, Message: "may truncate"}, "m.yaml:1:2: warning: may truncate"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.p.String())
	}
}

func TestSortAndCount(t *testing.T) {
	l := List{
		{File: "b", Line: 1, Message: "1"},
		{File: "a", Line: 2, Column: 5, Message: "2"},
		{File: "a", Line: 2, Column: 1, Severity: Warning, Message: "3"},
		{File: "a", Line: 2, Column: 1, Message: "4"},
	}
	l.Sort()
	require.Equal(t, "a:2:1: warning: 3\na:2:1: 4\na:2:5: 2\nb:1: 1", l.Error())
	require.Equal(t, 3, l.Errors())
}

func TestUnderPrefixesKeys(t *testing.T) {
	var l List
	r := Under(Under(&l, "sinks[1]"), "kinesis")
	r.At("region", "is required")
	r.At("routes[0].stream", "is required")
	r.At("", "either stream or routes is required")
	Under(&l, "lookups").At("[2]", "odd")
	require.Equal(t, "sinks[1].kinesis.region: is required\nsinks[1].kinesis.routes[0].stream: is required\n"+
		"sinks[1].kinesis: either stream or routes is required\nlookups[2]: odd", l.Error())
	require.False(t, r.Rejected("region"))
	require.NoError(t, List(nil).Err())
	require.Error(t, l.Err())
}

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

package source

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestReachable(t *testing.T) {
	cur := change.Position{Flavor: change.MariaDB, File: "mysql-bin.000002", Pos: 400, GTIDSet: "0-1-50,1-1-7"}
	logs := []binlogFile{{"mysql-bin.000001", 1000}, {"mysql-bin.000002", 400}}
	tests := []struct {
		name string
		pos  change.Position
		want string
	}{
		{"gtid behind", change.Position{GTIDSet: "0-1-20"}, ""},
		{"gtid equal", change.Position{GTIDSet: "0-1-50,1-1-7"}, ""},
		{"gtid ahead", change.Position{GTIDSet: "0-1-51"}, "GTID set 0-1-51 is ahead of the server, which has executed 0-1-50,1-1-7"},
		{"gtid of an unknown domain", change.Position{GTIDSet: "5-1-1"}, "is ahead of the server"},
		{"file and offset", change.Position{File: "mysql-bin.000001", Pos: 4}, ""},
		{"end of the last file", change.Position{File: "mysql-bin.000002", Pos: 400}, ""},
		{"past the end", change.Position{File: "mysql-bin.000002", Pos: 401}, "offset 401 is past the end of mysql-bin.000002 (400 bytes)"},
		{"missing file", change.Position{File: "mysql-bin.000009", Pos: 4}, "the server has no binary log mysql-bin.000009 (it has mysql-bin.000001 to mysql-bin.000002)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := reachable(tt.pos, cur, logs)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
	mysql := change.Position{Flavor: change.MySQL, GTIDSet: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"}
	require.NoError(t, reachable(change.Position{GTIDSet: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-3"}, mysql, nil))
	require.ErrorContains(t, reachable(change.Position{GTIDSet: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9"}, mysql, nil), "ahead")
}

func TestMariadbStateHas(t *testing.T) {
	tests := []struct {
		state, set string
		want       bool
	}{
		{"0-1-100", "0-1-90", true},
		{"0-1-100,0-2-150", "0-1-100", true},
		{"0-2-150", "0-1-100", false}, // same domain, another origin: not this history
		{"0-1-99", "0-1-100", false},
		{"0-1-100,1-1-5", "0-1-100,1-1-5", true},
		{"0-1-100", "0-1-100,1-1-5", false},
		{"", "0-1-1", false},
	}
	for _, tt := range tests {
		got, err := mariadbStateHas(tt.state, tt.set)
		require.NoError(t, err)
		require.Equal(t, tt.want, got, "%s has %s", tt.state, tt.set)
	}
	_, err := mariadbStateHas("0-1", "0-1-1")
	require.Error(t, err)
}

package source

import (
	"fmt"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	driver "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// TestTransientServerErrors pins the codes a reconnect may cure by number,
// so that naming them cannot change which ones they are.
func TestTransientServerErrors(t *testing.T) {
	want := []uint16{1040, 1053, 1152, 1158, 1159, 1160, 1161, 1205, 1213, 1317, 1927, 2006, 2013, 3169}
	var got []uint16
	for code := range uint16(10000) {
		if !isPermanent(&driver.MySQLError{Number: code}) {
			got = append(got, code)
		}
	}
	require.Equal(t, want, got)
}

func TestClassifyStreamError(t *testing.T) {
	purged := classifyStreamError(&gomysql.MyError{Code: 1236, Message: "Could not find first log file name in binary log index file"})
	require.ErrorIs(t, purged, ErrPositionPurged)
	require.False(t, isPermanent(fmt.Errorf("x: %w", &gomysql.MyError{Code: 1040})))
	for _, err := range []error{
		&gomysql.MyError{Code: 4052, Message: "A slave with the same server_uuid/server_id as this slave has connected to the master"},
		&gomysql.MyError{Code: 1236, Message: "A replica with the same server_uuid/server_id as this replica has connected to the source"},
	} {
		got := classifyStreamError(err)
		require.NotErrorIs(t, got, ErrPositionPurged)
		require.ErrorContains(t, got, "server id unique")
		require.True(t, isPermanent(got))
	}
}

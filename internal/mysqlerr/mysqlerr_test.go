package mysqlerr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		err             error
		transient, code bool
		lost            bool
	}{
		{&mysql.MySQLError{Number: 1213}, true, true, false},
		{fmt.Errorf("applying: %w", &mysql.MySQLError{Number: 2013}), true, true, false},
		{&mysql.MySQLError{Number: 1062}, false, true, false},
		{io.ErrUnexpectedEOF, false, false, true},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), false, false, true},
		{context.Canceled, false, false, false},
		{errors.New("several rows"), false, false, false},
	} {
		transient, code := TransientCode(tt.err)
		require.Equal(t, tt.transient, transient, "%v", tt.err)
		require.Equal(t, tt.code, code, "%v", tt.err)
		require.Equal(t, tt.lost, ConnectionLost(tt.err), "%v", tt.err)
	}
}

// TestTransientCodes pins the transient codes by number, so that naming
// them cannot change which ones they are.
func TestTransientCodes(t *testing.T) {
	want := []uint16{1040, 1053, 1158, 1159, 1160, 1161, 1205, 1213, 1290, 1317, 1836, 1927, 2006, 2013}
	var got []uint16
	for code := range uint16(10000) {
		if transient, _ := TransientCode(&mysql.MySQLError{Number: code}); transient {
			got = append(got, code)
		}
	}
	require.Equal(t, want, got)
}

// A server that cannot take a connection now is unreachable; one that
// refuses the user, or a statement, is not.
func TestUnreachable(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("connecting: %w", syscall.ECONNREFUSED), true},
		{&mysql.MySQLError{Number: 1040}, true}, // too many connections
		{errors.Join(errors.New("preflight"), &mysql.MySQLError{Number: 1053}), true},
		{&mysql.MySQLError{Number: 1045}, false}, // access denied
		{&mysql.MySQLError{Number: 1213}, false}, // a deadlock is transient, not unreachable
		{errors.New("binlog_format is STATEMENT"), false},
	} {
		require.Equal(t, tt.want, Unreachable(tt.err), "%v", tt.err)
	}
}

// The driver's own lines go to the service's log at Debug, with their
// component, not to stderr.
func TestDriverLogger(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	DriverLogger(l).Print("packets.go:58 ", "read tcp: connection reset by peer")
	require.Contains(t, buf.String(), `level=DEBUG msg="packets.go:58 read tcp: connection reset by peer" component=mysql-driver`)
	buf.Reset()
	DriverLogger(slog.New(slog.NewTextHandler(&buf, nil))).Print("hidden at info")
	require.Empty(t, buf.String())
}

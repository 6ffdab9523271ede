package mysqlerr

import (
	"errors"
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

const canary = "canary-7f3a"

func TestRedact(t *testing.T) {
	signal := &mysql.MySQLError{Number: 1644, SQLState: [5]byte{'4', '5', '0', '0', '0'}, Message: "rejected " + canary}
	dup := &mysql.MySQLError{Number: 1062, SQLState: [5]byte{'2', '3', '0', '0', '0'}, Message: "Duplicate entry '" + canary + "' for key 'u'"}
	noTable := &mysql.MySQLError{Number: 1146, SQLState: [5]byte{'4', '2', 'S', '0', '2'}, Message: "Table 'app.t' doesn't exist"}
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"signal", fmt.Errorf("applying 2 operations to app.t: %w", signal),
			"applying 2 operations to app.t: error 1644 (45000): message withheld"},
		{"no sqlstate", &mysql.MySQLError{Number: 1292, Message: "Incorrect datetime value: '" + canary + "'"},
			"error 1292: message withheld"},
		{"verbatim", fmt.Errorf("querying: %w", noTable), "querying: Error 1146 (42S02): Table 'app.t' doesn't exist"},
		{"joined", errors.Join(fmt.Errorf("first: %w", dup), noTable),
			"first: error 1062 (23000): message withheld\nError 1146 (42S02): Table 'app.t' doesn't exist"},
		{"message repeated by a wrapper", fmt.Errorf("server said %q: %w", signal.Message, signal),
			"error 1644 (45000): message withheld"},
		{"redacted again", fmt.Errorf("outer: %w", Redact(fmt.Errorf("inner: %w", signal))),
			"outer: inner: error 1644 (45000): message withheld"},
		{"redacted inside a join", errors.Join(Redact(signal), dup),
			"error 1644 (45000): message withheld\nerror 1062 (23000): message withheld"},
		{"not a server error", errors.New("several rows"), "several rows"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Redact(tt.err)
			require.Equal(t, tt.want, got.Error())
			require.NotContains(t, got.Error(), canary)
			require.Equal(t, Unredacted(tt.err), Unredacted(got), "Unredacted gives the full text back")
			var me *mysql.MySQLError
			require.Equal(t, errors.As(tt.err, &me), errors.As(got, &me), "the server error stays reachable")
			_, known := TransientCode(got)
			_, wasKnown := TransientCode(tt.err)
			require.Equal(t, wasKnown, known)
			if tt.err.Error() == tt.want {
				require.Same(t, tt.err, got, "nothing withheld: err itself")
			}
		})
	}
	require.NoError(t, Redact(nil))
	nested := fmt.Errorf("outer: %w", Redact(fmt.Errorf("inner: %w", signal)))
	require.Equal(t, "outer: inner: "+signal.Error(), Unredacted(Redact(nested)))
}

// TestVerbatimCodes pins the codes whose messages are logged as they are,
// by number, so that naming them cannot change which ones they are.
func TestVerbatimCodes(t *testing.T) {
	want := []uint16{1040, 1044, 1045, 1048, 1049, 1053, 1054, 1136, 1142, 1143, 1146, 1153, 1158, 1159, 1160, 1161,
		1205, 1213, 1227, 1290, 1317, 1364, 1615, 1836, 1927, 1969, 2006, 2013, 3024, 3169, 3572}
	var got []uint16
	for code := range uint16(10000) {
		if Verbatim(code) {
			got = append(got, code)
		}
	}
	require.Equal(t, want, got)
	for _, code := range []uint16{1062, 1064, 1105, 1264, 1265, 1292, 1366, 1406, 1451, 1452, 1644, 3819, 4025} {
		require.False(t, Verbatim(code), "%d may quote values", code)
	}
}

// A code whose messages name no value is logged only in one of its known
// forms: a trigger's SIGNAL may give that code with a message of its own,
// quoting a row, and that is withheld.
func TestVerbatimOnlyInItsKnownForms(t *testing.T) {
	for _, tt := range []struct {
		err  *mysql.MySQLError
		kept bool
	}{
		{&mysql.MySQLError{Number: 1048, SQLState: [5]byte{'2', '3', '0', '0', '0'}, Message: "Column 'email' cannot be null"}, true},
		{&mysql.MySQLError{Number: 1213, SQLState: [5]byte{'4', '0', '0', '0', '1'},
			Message: "Deadlock found when trying to get lock; try restarting transaction"}, true},
		{&mysql.MySQLError{Number: 2013, Message: "Lost connection to MySQL server during query"}, true},
		{&mysql.MySQLError{Number: 1048, SQLState: [5]byte{'4', '5', '0', '0', '0'}, Message: "SECRETVALUE"}, false},
		{&mysql.MySQLError{Number: 1213, SQLState: [5]byte{'4', '0', '0', '0', '1'}, Message: "SECRETVALUE"}, false},
		{&mysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded; try restarting transaction SECRETVALUE"}, false},
	} {
		got := Redact(fmt.Errorf("applying: %w", tt.err)).Error()
		if tt.kept {
			require.Contains(t, got, tt.err.Message)
		} else {
			require.NotContains(t, got, "SECRETVALUE")
			require.Contains(t, got, "message withheld")
		}
	}
}

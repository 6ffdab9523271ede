package replicator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestParseReplayBounds(t *testing.T) {
	tests := []struct {
		in, kind, want, err string
	}{
		{in: "0-1-42", kind: boundGTID, want: "gtid:0-1-42"},
		{in: "gtid:0-1-42,1-2-7", kind: boundGTID, want: "gtid:0-1-42,1-2-7"},
		{in: "mysql-bin.000042:1234", kind: boundFile, want: "mysql-bin.000042:1234"},
		{in: "2026-03-01T10:00:00+01:00", kind: boundTime, want: "2026-03-01T09:00:00Z"},
		{in: "mysql-bin.000042:99999999999", err: "does not fit 32 bits"},
		{in: "yesterday", err: "is neither an RFC 3339 time"},
		{in: " ", err: "--from is empty"},
	}
	for _, tt := range tests {
		b, err := parseBound("--from", tt.in, change.MariaDB)
		if tt.err != "" {
			require.ErrorContains(t, err, tt.err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.kind, b.kind, tt.in)
		require.Equal(t, tt.want, b.String(), tt.in)
	}
}

func TestReplayBoundsOrderAndReach(t *testing.T) {
	parse := func(s string) bound {
		b, err := parseBound("--from", s, change.MariaDB)
		require.NoError(t, err)
		return b
	}
	cur := change.Position{Flavor: change.MariaDB, GTIDSet: "0-1-100", File: "mysql-bin.000003", Pos: 500}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		from, to, err string
	}{
		{from: "0-1-10", to: "0-1-20"},
		{from: "0-1-20", to: "0-1-10", err: "--from is after --to"},
		{from: "0-1-20", to: "0-1-20", err: "at or after --to"},
		{from: "0-1-20", to: "0-1-101", err: "beyond the source's current position"},
		{from: "mysql-bin.000002:4", to: "mysql-bin.000003:400"},
		{from: "mysql-bin.000003:400", to: "mysql-bin.000002:4", err: "at or after --to"},
		{from: "mysql-bin.000003:4", to: "mysql-bin.000003:501", err: "beyond the source's current position"},
		{from: "2026-03-01T10:00:00Z", to: "2026-03-01T11:00:00Z"},
		{from: "2026-03-01T10:00:00Z", to: "2026-03-01T13:00:00Z", err: "in the future"},
		{from: "0-1-10", to: "2026-03-01T11:00:00Z", err: "give both ends the same way"},
	}
	for _, tt := range tests {
		from, to := parse(tt.from), parse(tt.to)
		err := checkOrder(from, to)
		if err == nil {
			err = checkReached(to, cur, now)
		}
		if tt.err == "" {
			require.NoError(t, err, "%s..%s", tt.from, tt.to)
		} else {
			require.ErrorContains(t, err, tt.err, "%s..%s", tt.from, tt.to)
		}
	}
	require.ErrorContains(t, checkRetained(parse("0-1-10"), change.Position{Flavor: change.MariaDB, File: "mysql-bin.000002",
		GTIDSet: "0-1-50"}), "no longer retained")
	require.NoError(t, checkRetained(parse("0-1-60"), change.Position{Flavor: change.MariaDB, File: "mysql-bin.000002",
		GTIDSet: "0-1-50"}))
}

package decode

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestWithFSP(t *testing.T) {
	tests := []struct {
		in   string
		fsp  int
		want string
	}{
		{"2024-02-29", 0, "2024-02-29"},
		{"838:59:59", 0, "838:59:59"},
		{"-838:59:59", 6, "-838:59:59.000000"},
		{"00:00:00", 2, "00:00:00.00"},
		{"-00:00:00.01", 2, "-00:00:00.01"},
		{"12:34:56.5", 3, "12:34:56.500"},
		{"0000-00-00 00:00:00", 0, "0000-00-00 00:00:00"},
		{"0000-00-00 00:00:00.000", 3, "0000-00-00 00:00:00.000"},
		{"0000-00-00 00:00:00", 6, "0000-00-00 00:00:00.000000"},
		{"2024-02-29 12:34:56.000001", 6, "2024-02-29 12:34:56.000001"},
		{"2024-02-29 12:34:56.123456", 3, "2024-02-29 12:34:56.123"},
		{"2024-02-29 12:34:56.123", 0, "2024-02-29 12:34:56"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, withFSP(tt.in, tt.fsp), "%q fsp %d", tt.in, tt.fsp)
	}
}

func TestTemporalValue(t *testing.T) {
	got, err := temporalValue("-838:59:59", 6)
	require.NoError(t, err)
	require.Equal(t, change.Temporal("-838:59:59.000000"), got)

	_, err = temporalValue(time.Unix(0, 0), 0)
	require.ErrorContains(t, err, "ConfigureParser")
}

func FuzzWithFSP(f *testing.F) {
	f.Add("12:34:56.5", 3)
	f.Add("0000-00-00 00:00:00", 6)
	f.Add("..", 2)
	f.Fuzz(func(t *testing.T, s string, fsp int) {
		fsp %= 7
		got := withFSP(s, fsp)
		wantWhole, _, _ := strings.Cut(s, ".")
		whole, frac, dot := strings.Cut(got, ".")
		require.Equal(t, wantWhole, whole)
		if fsp <= 0 {
			require.False(t, dot)
			return
		}
		require.True(t, dot)
		require.Len(t, frac, fsp)
	})
}

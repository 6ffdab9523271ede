package change

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOrdinal(t *testing.T) {
	tests := []struct {
		file    string
		pos     uint32
		want    uint64
		wantErr bool
	}{
		{file: "mysql-bin.000042", pos: 0, want: 42 << 32},
		{file: "mysql-bin.000042", pos: 1234, want: 42<<32 | 1234},
		{file: "binlog.000001", pos: math.MaxUint32, want: 1<<32 | math.MaxUint32},
		{file: "mysql-bin-changelog.123456", pos: 4, want: 123456<<32 | 4},
		{file: "mysql-bin.000000", pos: 7, want: 7},
		{file: "log7", pos: 1, want: 7<<32 | 1},
		{file: "mysql-bin.4294967295", pos: 1, want: math.MaxUint32<<32 | 1},
		{file: "123", pos: 9, want: 123<<32 | 9},
		{file: "mysql-bin.4294967296", wantErr: true},
		{file: "mysql-bin.99999999999999999999999", wantErr: true},
		{file: "", wantErr: true},
		{file: "mysql-bin", wantErr: true},
		{file: "mysql-bin.", wantErr: true},
		{file: "mysql-bin.00004a", wantErr: true},
		{file: "mysql-bin.000042 ", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q/%d", tt.file, tt.pos), func(t *testing.T) {
			got, err := Position{File: tt.file, Pos: tt.pos}.Ordinal()
			if tt.wantErr {
				require.Error(t, err)
				require.Contains(t, err.Error(), strconv.Quote(tt.file))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestOrdinalFollowsBinlogOrder(t *testing.T) {
	positions := []Position{
		{File: "mysql-bin.000001", Pos: 4},
		{File: "mysql-bin.000001", Pos: 4294967295},
		{File: "mysql-bin.000002", Pos: 0},
		{File: "mysql-bin.000002", Pos: 120},
		{File: "mysql-bin.000010", Pos: 4},
		{File: "mysql-bin.999999", Pos: 4},
		{File: "mysql-bin.1000000", Pos: 4},
	}
	var prev uint64
	for i, p := range positions {
		got, err := p.Ordinal()
		require.NoError(t, err)
		if i > 0 {
			require.Greater(t, got, prev, "%s after %s", p, positions[i-1])
		}
		prev = got
	}
}

func FuzzOrdinal(f *testing.F) {
	f.Add("mysql-bin.000042", uint32(1234))
	f.Add("mysql-bin.4294967296", uint32(0))
	f.Add("", uint32(0))
	f.Add("x9", uint32(math.MaxUint32))
	f.Fuzz(func(t *testing.T, file string, pos uint32) {
		got, err := Position{File: file, Pos: pos}.Ordinal()
		stem := strings.TrimRight(file, "0123456789")
		digits := file[len(stem):]
		if err != nil {
			n, perr := strconv.ParseUint(digits, 10, 32)
			require.True(t, digits == "" || perr != nil, "rejected %q with suffix %d", file, n)
			return
		}
		require.Equal(t, uint64(pos), got&math.MaxUint32)
		require.Equal(t, strings.TrimLeft(digits, "0"), strings.TrimLeft(strconv.FormatUint(got>>32, 10), "0"))

		// The next position of the same file and the first of the next file
		// order after this one.
		if pos < math.MaxUint32 {
			next, err := Position{File: file, Pos: pos + 1}.Ordinal()
			require.NoError(t, err)
			require.Greater(t, next, got)
		}
		if n := got >> 32; n < math.MaxUint32 {
			next, err := Position{File: stem + strconv.FormatUint(n+1, 10), Pos: 0}.Ordinal()
			require.NoError(t, err)
			require.Greater(t, next, got)
		}
	})
}

func TestPositionString(t *testing.T) {
	require.Equal(t, "none", Position{}.String())
	require.Equal(t, "gtid=1-1-5", Position{GTIDSet: "1-1-5"}.String())
	require.Equal(t, "file=mysql-bin.000001 pos=4", Position{File: "mysql-bin.000001", Pos: 4}.String())
	require.Equal(t, "gtid=1-1-5 file=mysql-bin.000001 pos=4", Position{GTIDSet: "1-1-5", File: "mysql-bin.000001", Pos: 4}.String())
}

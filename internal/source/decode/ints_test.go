package decode

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSignedValue(t *testing.T) {
	tests := []struct {
		in      any
		want    int64
		wantErr bool
	}{
		{in: int8(-128), want: -128},
		{in: int16(math.MinInt16), want: math.MinInt16},
		{in: int32(-8388608), want: -8388608},
		{in: int32(math.MinInt32), want: math.MinInt32},
		{in: int64(math.MinInt64), want: math.MinInt64},
		{in: int64(math.MaxInt64), want: math.MaxInt64},
		{in: 2155, want: 2155},
		{in: uint8(255), want: 255},
		{in: uint16(65535), want: 65535},
		{in: uint32(math.MaxUint32), want: math.MaxUint32},
		{in: uint64(math.MaxInt64), want: math.MaxInt64},
		{in: uint64(math.MaxInt64 + 1), wantErr: true},
		{in: "1", wantErr: true},
		{in: 1.0, wantErr: true},
	}
	for _, tt := range tests {
		got, err := signedValue(tt.in)
		if tt.wantErr {
			require.Error(t, err, "%T %v", tt.in, tt.in)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.want, got, "%T %v", tt.in, tt.in)
	}
}

func TestUnsignedValue(t *testing.T) {
	tests := []struct {
		name    string
		in      any
		width   int
		want    uint64
		wantErr bool
	}{
		{name: "tinyint 255 arrives as -1", in: int8(-1), width: 1, want: 255},
		{name: "tinyint 128", in: int8(math.MinInt8), width: 1, want: 128},
		{name: "tinyint 127", in: int8(127), width: 1, want: 127},
		{name: "smallint 65535", in: int16(-1), width: 2, want: 65535},
		{name: "smallint 32768", in: int16(math.MinInt16), width: 2, want: 32768},
		{name: "mediumint 16777215 sign-extended", in: int32(-1), width: 3, want: 16777215},
		{name: "mediumint 8388608", in: int32(-8388608), width: 3, want: 8388608},
		{name: "mediumint 8388607", in: int32(8388607), width: 3, want: 8388607},
		{name: "int 4294967295", in: int32(-1), width: 4, want: math.MaxUint32},
		{name: "int 2147483648", in: int32(math.MinInt32), width: 4, want: 2147483648},
		{name: "bigint max", in: int64(-1), width: 8, want: math.MaxUint64},
		{name: "bigint 2^63", in: int64(math.MinInt64), width: 8, want: 1 << 63},
		{name: "zero", in: int64(0), width: 8, want: 0},
		{name: "already unsigned 8", in: uint8(255), width: 1, want: 255},
		{name: "already unsigned 16", in: uint16(65535), width: 2, want: 65535},
		{name: "already unsigned 24", in: uint32(16777215), width: 3, want: 16777215},
		{name: "already unsigned 32", in: uint32(math.MaxUint32), width: 4, want: math.MaxUint32},
		{name: "already unsigned 64", in: uint64(math.MaxUint64), width: 8, want: math.MaxUint64},
		{name: "string", in: "1", width: 8, wantErr: true},
		{name: "float", in: float32(1), width: 4, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := unsignedValue(tt.in, tt.width)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// signedAs returns u as go-mysql decodes an integer of width bytes without
// signedness metadata: the low bytes, sign-extended, in the Go type of that
// width.
func signedAs(u uint64, width int) any {
	switch width {
	case 1:
		return int8(u)
	case 2:
		return int16(u)
	case 3:
		v := uint32(u) & 0xffffff
		if v&0x800000 != 0 {
			v |= 0xff000000
		}
		return int32(v)
	case 4:
		return int32(u)
	}
	return int64(u)
}

func FuzzUnsignedRoundTrip(f *testing.F) {
	for _, seed := range []uint64{0, 1, 127, 128, 255, 256, 32768, 65535, 8388608, 16777215, 1 << 31, math.MaxUint32, 1 << 63, math.MaxUint64} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, u uint64) {
		for _, width := range []int{1, 2, 3, 4, 8} {
			want := u
			if width < 8 {
				want &= 1<<(8*width) - 1
			}
			got, err := unsignedValue(signedAs(u, width), width)
			require.NoError(t, err)
			require.Equal(t, want, got, "width %d", width)
		}
	})
}

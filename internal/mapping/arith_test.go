package mapping

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestArithIsExact(t *testing.T) {
	add, sub, mul := arith('+'), arith('-'), arith('*')
	for _, tt := range []struct {
		f    func(...any) (any, error)
		a, b any
		want any
	}{
		{add, 1, 2, 3},
		{add, int64(math.MaxInt64), 1, uint64(math.MaxInt64) + 1},
		{add, uint64(math.MaxUint64 - 1), 1, uint64(math.MaxUint64)},
		{sub, int64(math.MinInt64) + 1, 1, math.MinInt64},
		{sub, uint64(math.MaxUint64), int64(math.MaxUint64 >> 1), uint64(1) << 63},
		{mul, int64(math.MinInt64), 1, math.MinInt64},
		{mul, int64(-3), int64(3), -9},
		{mul, 0, int64(math.MinInt64), 0},
		{mul, int64(math.MinInt64), -1, uint64(1) << 63},
		{add, "a", "b", "ab"},
		{add, 1.5, 1, 2.5},
	} {
		got, err := tt.f(tt.a, tt.b)
		require.NoError(t, err, "%v, %v", tt.a, tt.b)
		require.Equal(t, tt.want, got, "%v, %v", tt.a, tt.b)
	}
	for _, tt := range []struct {
		f    func(...any) (any, error)
		a, b any
	}{
		{add, uint64(math.MaxUint64), 1},
		{sub, int64(math.MinInt64), 1},
		{mul, uint64(math.MaxUint64), 2},
	} {
		_, err := tt.f(tt.a, tt.b)
		require.ErrorContains(t, err, "integer overflow", "%v, %v", tt.a, tt.b)
	}
}

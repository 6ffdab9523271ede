package checkpoint

import (
	"fmt"
	"strconv"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Ordinal orders binlog positions of one server: the numeric suffix of
// p.File (mysql-bin.000042 gives 42) in the high 32 bits, p.Pos in the low
// ones. It fails when p.File has no numeric suffix or the suffix does not fit
// in 32 bits.
func Ordinal(p change.Position) (uint64, error) {
	i := len(p.File)
	for i > 0 && p.File[i-1] >= '0' && p.File[i-1] <= '9' {
		i--
	}
	if i == len(p.File) {
		return 0, fmt.Errorf("computing ordinal of binlog file %q: no numeric suffix", p.File)
	}
	n, err := strconv.ParseUint(p.File[i:], 10, 32)
	if err != nil {
		return 0, fmt.Errorf("computing ordinal of binlog file %q: %w", p.File, err)
	}
	return n<<32 | uint64(p.Pos), nil
}

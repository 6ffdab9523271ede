package backfill

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const uuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"

func TestGTIDModeError(t *testing.T) {
	require.NoError(t, gtidModeError("source a", "ON"))
	for _, mode := range []string{"OFF", "OFF_PERMISSIVE", "ON_PERMISSIVE"} {
		err := gtidModeError("source a", mode)
		require.ErrorIs(t, err, ErrNoGTIDs)
		require.ErrorContains(t, err, "source a has gtid_mode="+mode+", and backfill_watermarks: gtid needs gtid_mode=ON")
	}
}

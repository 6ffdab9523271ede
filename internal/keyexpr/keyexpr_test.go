package keyexpr

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompile(t *testing.T) {
	_, err := Compile(`meta.table + "/" + string(tenant_id)`)
	require.NoError(t, err)
	_, err = Compile("")
	require.EqualError(t, err, "empty expression")
	_, err = Compile("(a")
	require.EqualError(t, err, "unexpected token EOF at column 2")
	_, err = Compile(`string(now())`)
	require.EqualError(t, err, "now() is not allowed: a replayed change must get the same key")
}

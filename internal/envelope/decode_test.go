package envelope

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		wantErr string
	}{
		{"empty", ``, "EOF"},
		{"not an object", `[1]`, "cannot unmarshal"},
		{"truncated", `{"source":"a"`, "unexpected EOF"},
		{"trailing data", `{"op":"insert"} {}`, "data after the object"},
		{"unknown op", `{"op":"upsert"}`, `unknown op "upsert"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.line))
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestDecodeAcceptsTrailingNewline(t *testing.T) {
	e, err := Decode([]byte(`{"op":"delete","row":3}` + "\n"))
	require.NoError(t, err)
	require.Equal(t, "delete", e.Op)
	require.Equal(t, 3, e.Row)
}

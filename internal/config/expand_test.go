package config

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExpand(t *testing.T) {
	t.Setenv("TRIBUTARY_TEST_SET", "value")
	t.Setenv("TRIBUTARY_TEST_EMPTY", "")
	t.Setenv("TRIBUTARY_TEST_UNSET", "")
	require.NoError(t, os.Unsetenv("TRIBUTARY_TEST_UNSET"))

	tests := []struct {
		in       string
		want     string
		problems []string
	}{
		{"plain", "plain", nil},
		{"${TRIBUTARY_TEST_SET}", "value", nil},
		{"a${TRIBUTARY_TEST_SET}b${TRIBUTARY_TEST_SET}c", "avaluebvaluec", nil},
		{"${TRIBUTARY_TEST_EMPTY}", "", nil},
		{"${TRIBUTARY_TEST_UNSET:-fallback}", "fallback", nil},
		{"${TRIBUTARY_TEST_EMPTY:-fallback}", "fallback", nil},
		{"${TRIBUTARY_TEST_SET:-fallback}", "value", nil},
		{"${TRIBUTARY_TEST_UNSET:-}", "", nil},
		{"${TRIBUTARY_TEST_UNSET:-a:b-c$}", "a:b-c$", nil},
		{"$$", "$", nil},
		{"$${TRIBUTARY_TEST_SET}", "${TRIBUTARY_TEST_SET}", nil},
		{"$$$${TRIBUTARY_TEST_SET}", "$${TRIBUTARY_TEST_SET}", nil},
		{"$$${TRIBUTARY_TEST_SET}", "$value", nil},
		{"pa$word$", "pa$word$", nil},
		{"$TRIBUTARY_TEST_SET", "$TRIBUTARY_TEST_SET", nil},
		{"${TRIBUTARY_TEST_UNSET}", "", []string{"environment variable TRIBUTARY_TEST_UNSET is not set"}},
		{"${TRIBUTARY_TEST_UNSET}/${TRIBUTARY_TEST_UNSET}", "/", []string{
			"environment variable TRIBUTARY_TEST_UNSET is not set",
			"environment variable TRIBUTARY_TEST_UNSET is not set",
		}},
		{"${}", "", []string{"invalid variable reference ${}"}},
		{"${1A}", "", []string{"invalid variable reference ${1A}"}},
		{"${A-b}", "", []string{"invalid variable reference ${A-b}"}},
		{"x${TRIBUTARY_TEST_SET", "x", []string{"unterminated ${ (write $$ for a literal $)"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, problems := expand(tt.in)
			require.Equal(t, tt.problems, problems)
			if problems == nil {
				require.Equal(t, tt.want, got)
			}
		})
	}
}

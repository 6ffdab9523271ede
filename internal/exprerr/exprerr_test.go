package exprerr

import (
	"testing"

	"github.com/expr-lang/expr"
	"github.com/stretchr/testify/require"
)

// Runtime errors of expressions that fail on a row's value keep their
// class and lose the value, quoted or not, before or after the colon.
func TestClassLeavesOutTheValues(t *testing.T) {
	env := map[string]any{"name": "SECRET_1", "n": int64(7), "meta": map[string]any{"table": "t"}}
	for src, want := range map[string]string{
		`date(name)`:               "invalid date ‹name›",
		`date(name, "2006")`:       `parsing time "…" as "…"`,
		`date("2020-01-01", name)`: "",
		`timezone(name)`:           "unknown time zone ‹name›",
		`fromJSON(name)`:           "invalid character \"…\" looking for beginning of value",
		`1 / (n - 7) > 0 ? 1 : 2`:  "",
	} {
		prog, err := expr.Compile(src, expr.AllowUndefinedVariables())
		require.NoError(t, err, src)
		_, err = expr.Run(prog, env)
		if err == nil {
			continue
		}
		got := Class(err, env)
		require.NotContains(t, got, "SECRET", src)
		require.NotContains(t, got, "S'", src)
		if want != "" {
			require.Equal(t, want, got, src)
		}
	}
	require.Equal(t, "value ‹n› too large", Class(errString("value 7 too large"), env))
	require.Equal(t, "page 17 of ‹n›", Class(errString("page 17 of 7"), env), "7 inside 17 is not the value")
}

type errString string

func (e errString) Error() string { return string(e) }

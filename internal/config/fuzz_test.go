package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
)

func FuzzParse(f *testing.F) {
	for _, name := range []string{"valid.yaml", "invalid.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(data)
	}
	for _, s := range []string{
		"", "~", "[]", "a", "---\n---\n", "log: *x", "a: &x [*x]",
		"sources: [&s {name: a, host: h, user: u, server_id: 1}, *s]",
		"pebble: {dir: '${X:-${Y}}'}", "sinks: [{jsonl: ~}]",
		"sources: [{dsn: '@tcp([::1]:0)/', server_id: 99999999999999999999}]",
		"checkpoint: {interval: 9223372036854775807ns}",
		"<<: *a", "? [a]\n: b", "!!binary x: 1",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse("f.yaml", data)
		if err != nil {
			var problems config.Problems
			require.True(t, errors.As(err, &problems), "error %T is not Problems", err)
			require.NotEmpty(t, problems)
			require.Nil(t, cfg)
			for i, p := range problems {
				require.NotEmpty(t, p.Message)
				if i > 0 {
					require.LessOrEqual(t, problems[i-1].Line, p.Line)
				}
			}
			return
		}
		require.NotNil(t, cfg)
		require.NoError(t, cfg.Validate(), "a parsed config is valid")
		for _, s := range cfg.Sources {
			_ = s.DSN("db")
		}
	})
}

package demo

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// The whole demo, shortened, in a folder of its own: it passes, and no
// file it leaves but the JSON lines sink holds the tributary user's
// password or the canary row value it wrote on purpose.
func TestDemoScriptLeaksNothing(t *testing.T) {
	local := filepath.Join(t.TempDir(), "local")
	t.Cleanup(func() { _ = Down(context.Background(), local, slog.New(slog.DiscardHandler)) })
	cmd := exec.CommandContext(t.Context(), "bash", filepath.Join("..", "demo.sh"))
	cmd.Env = append(os.Environ(), "LOCAL="+local, "HTTP="+testenv.FreeAddr(t),
		"DURATION=4s", "PRELOAD=300", "RATE=100")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	text := string(out)
	require.Contains(t, text, "demo: PASS — every comparison equal")
	require.Contains(t, text, "no password or row value in the logs")

	canary := regexp.MustCompile(`canary-[0-9]+-row-value`).FindString(mustRead(t, filepath.Join(local, "changes.jsonl")))
	require.NotEmpty(t, canary, "the canary row went through the sinks")
	require.NotContains(t, text, canary, "the demo's own output")
	env, err := ReadEnv(filepath.Join(local, EnvFile))
	require.NoError(t, err)
	password := env[KeyPassword]
	require.NotEmpty(t, password)
	require.NotContains(t, text, password)
	files, err := os.ReadDir(local)
	require.NoError(t, err)
	checked := 0
	for _, f := range files {
		if f.IsDir() || f.Name() == "changes.jsonl" || f.Name() == EnvFile {
			continue
		}
		body := mustRead(t, filepath.Join(local, f.Name()))
		require.NotContains(t, body, password, f.Name())
		require.NotContains(t, body, canary, f.Name())
		checked++
	}
	require.GreaterOrEqual(t, checked, 5, "the service's log and the commands' outputs")
	require.True(t, strings.Contains(mustRead(t, filepath.Join(local, "tributary.log")), "streaming"))
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

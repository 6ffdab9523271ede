package httpapi

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// chromium returns the headless browser the page test drives; make deps
// installs Debian's chromium.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the status page test needs Debian's chromium: run make deps (apt-get install -y chromium)")
	return ""
}

// TestStatusPageRenders loads / in headless Chromium against a server whose
// /status reports two sources and a backfill, and checks what the page
// shows after its script ran, and that it can be captured.
func TestStatusPageRenders(t *testing.T) {
	browser := chromium(t)
	status := `[{"source":"jp-accounts","streaming":true,"lag_seconds":1.5,"transactions":42,"changes":99,
	  "applied":{"flavor":"mariadb","gtid_set":"1-1-42","file":"mysql-bin.000001","pos":1234},
	  "backfill":[{"table":"accounts.users","rows":1500,"estimate":3000,"done":false}]},
	 {"source":"jp-recipes","streaming":false,"lag_seconds":125,"transactions":7,"changes":7,
	  "last_error":{"message":"connection refused","at":"2026-12-06T10:00:00Z"}}]`
	mappings := `[{"target":"global.members","operations":1234,"failed":2,"open_ranges":1,
	  "verify":{"target":"global.members","state":"done","started":"2026-12-06T10:00:00Z","finished":"2026-12-06T10:01:00Z",
	   "compared":5000,"missing":1,"extra":0,"different":2}},
	 {"target":"global.recipes","operations":10,"failed":0,"open_ranges":0}]`
	addr := make(chan net.Addr, 1)
	s := &Server{Addr: "127.0.0.1:0", Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler),
		Status:   func() any { return rawJSON(status) },
		Mappings: func(context.Context) (any, error) { return rawJSON(mappings), nil },
		Ready:    func(a net.Addr) { addr <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	url := "http://" + (<-addr).String() + "/"

	dir := t.TempDir()
	run := func(args ...string) string {
		bctx, stop := context.WithTimeout(context.Background(), 90*time.Second)
		defer stop()
		cmd := exec.CommandContext(bctx, browser, append([]string{"--headless", "--no-sandbox", "--disable-gpu",
			"--user-data-dir=" + filepath.Join(dir, "profile"), "--virtual-time-budget=3000"}, args...)...)
		out, err := cmd.Output()
		require.NoError(t, err, "chromium %v", args)
		return string(out)
	}
	dom := run("--dump-dom", url)
	for _, want := range []string{"<td>jp-accounts</td>", "<td>jp-recipes</td>", `<td class="num">1.5</td>`,
		`<td class="num bad">125.0</td>`, `<td class="bad">no</td>`, "<td>accounts.users</td>", `<td class="num">3000</td>`,
		"gtid=1-1-42 mysql-bin.000001:1234", "updated ", "connection refused",
		"<td>global.members</td>", `<td class="num">1234</td>`, `<td class="num bad">2</td>`,
		"5000 rows, 3 differences (1 missing, 0 extra, 2 different)", "<td>global.recipes</td>"} {
		require.Contains(t, dom, want)
	}
	require.NotContains(t, dom, `class="bad">cannot read`)

	shot := filepath.Join(dir, "status.png")
	run("--screenshot="+shot, "--window-size=1000,600", url)
	info, err := os.Stat(shot)
	require.NoError(t, err)
	require.Greater(t, info.Size(), int64(5000), "an empty capture")
	png, err := os.ReadFile(shot)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(png), "\x89PNG"))
}

// rawJSON is JSON text that encodes as itself.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

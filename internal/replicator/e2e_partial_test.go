package replicator_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/source"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// TestPartialRowImageKeys streams a server that logs minimal row images
// into a jsonl file: every envelope's key holds the row's primary key,
// taken from whichever image has it, also for updates that leave the key
// alone (their after image lacks it); the images hold only the columns
// the server logged. An insert whose images hold no key
// stops the service with an error naming the table.
func TestPartialRowImageKeys(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1, ExtraArgs: []string{"--binlog-row-image=MINIMAL"}})
	srv.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id BIGINT PRIMARY KEY DEFAULT 0, v TEXT)")
	dir := t.TempDir()
	cfgPath, out := writeConfig(t, dir, map[string]*testenv.Server{"alpha": srv})
	data, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	text := strings.Replace(string(data), "    server_id:", "    allow_partial_row_image: true\n    server_id:", 1)
	require.NoError(t, os.WriteFile(cfgPath, []byte(text), 0o600))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	runWhile(t, cfg, replicator.Options{}, func() {
		srv.Exec(t, "INSERT INTO app.t VALUES (1, 'a')", "UPDATE app.t SET v = 'b' WHERE id = 1",
			"UPDATE app.t SET id = 2 WHERE id = 1", "DELETE FROM app.t WHERE id = 2")
		waitFor(t, 30*time.Second, "four changes", func() bool { return len(readEnvelopes(t, out)) == 4 })
	})
	var got, images []string
	for _, e := range readEnvelopes(t, out) {
		key, err := json.Marshal(e.Key)
		require.NoError(t, err)
		got = append(got, e.Op+" "+string(key))
		before, err := json.Marshal(e.Before)
		require.NoError(t, err)
		after, err := json.Marshal(e.After)
		require.NoError(t, err)
		images = append(images, string(before)+" "+string(after))
	}
	require.Equal(t, []string{`insert {"id":1}`, `update {"id":1}`, `update {"id":2}`, `delete {"id":2}`}, got)
	// The images hold only what the server logged: a column left out is
	// absent, not null.
	require.Equal(t, []string{`null {"id":1,"v":"a"}`, `{"id":1} {"v":"b"}`, `{"id":1} {"id":2}`, `{"id":2} null`}, images)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- replicator.Run(ctx, cfg, replicator.Options{}, quietLogger()) }()
	waitStreaming(t, cfg)
	srv.Exec(t, "INSERT INTO app.t (v) VALUES ('no key')")
	select {
	case err := <-errc:
		require.ErrorIs(t, err, source.ErrKeyNotLogged)
		require.ErrorContains(t, err, "an insert of app.t holds primary key column id in neither row image")
	case <-time.After(30 * time.Second):
		t.Fatal("a change without its key went through")
	}
}

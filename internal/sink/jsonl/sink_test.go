package jsonl

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestConcurrentApplyWritesWholeParts(t *testing.T) {
	var out bytes.Buffer
	s, err := New(Options{Path: "-", Out: &out})
	require.NoError(t, err)
	const parts, perPart = 200, 25
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for g, source := range []string{"jp", "eu"} {
		wg.Go(func() {
			for p := range parts {
				txn := part(source, uint64(p/4), p%4, p%4 == 3, p*perPart, perPart)
				txn.FirstRow = (p % 4) * perPart
				if err := s.Apply(ctx, txn); err != nil {
					errs[g] = err
					return
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	require.NoError(t, s.Close())

	lines := decodeLines(t, out.Bytes())
	require.Len(t, lines, 2*parts*perPart)
	next := map[string]int64{}
	for i := 0; i < len(lines); i += perPart {
		// Every run of perPart lines is one whole part of one source.
		src := lines[i].Source
		for j, e := range lines[i : i+perPart] {
			require.Equal(t, src, e.Source, "line %d interleaves", i+j)
			require.Equal(t, json.Number(strconv.FormatInt(next[src], 10)), e.After["id"])
			p := int(next[src]) / perPart
			require.Equal(t, (p%4)*perPart+j, e.Row, "row index of line %d", i+j)
			next[src]++
		}
	}
	require.Equal(t, map[string]int64{"jp": parts * perPart, "eu": parts * perPart}, next)
}

func TestRowIndexAcrossParts(t *testing.T) {
	// The reader numbers a transaction's rows across its parts (FirstRow);
	// the sink writes each change's row as FirstRow plus its index.
	at := func(txn *change.Txn, first int) *change.Txn { txn.FirstRow = first; return txn }
	tests := []struct {
		name  string
		parts []*change.Txn
		want  []int // row of every line, in order
	}{
		{"one part", []*change.Txn{part("a", 1, 0, true, 0, 3)}, []int{0, 1, 2}},
		{"three parts", []*change.Txn{
			part("a", 1, 0, false, 0, 2), at(part("a", 1, 1, false, 2, 3), 2), at(part("a", 1, 2, true, 5, 1), 5),
		}, []int{0, 1, 2, 3, 4, 5}},
		{"sources interleaved", []*change.Txn{
			part("a", 1, 0, false, 0, 2), part("b", 1, 0, false, 0, 1),
			at(part("a", 1, 1, true, 2, 1), 2), at(part("b", 1, 1, true, 1, 2), 1),
		}, []int{0, 1, 0, 2, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			s, err := New(Options{Path: "-", Out: &out})
			require.NoError(t, err)
			for _, txn := range tt.parts {
				require.NoError(t, s.Apply(context.Background(), txn))
			}
			require.NoError(t, s.Flush(context.Background()))
			var rows []int
			for _, e := range decodeLines(t, out.Bytes()) {
				rows = append(rows, e.Row)
			}
			require.Equal(t, tt.want, rows)
			require.NoError(t, s.Close())
		})
	}
}

func TestFileSurvivesCloseAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "changes.jsonl")
	for run := range 3 {
		s, err := New(Options{Path: path})
		require.NoError(t, err)
		require.NoError(t, s.Apply(context.Background(), part("a", uint64(run), 0, true, run*10, 2)))
		require.NoError(t, s.Close())
	}
	lines := decodeLines(t, readFile(t, path))
	require.Len(t, lines, 6)
	for i, id := range []string{"0", "1", "10", "11", "20", "21"} {
		require.Equal(t, json.Number(id), lines[i].After["id"])
	}
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Zero(t, fi.Mode().Perm()&^0o640, "mode %v is wider than 0640", fi.Mode().Perm())
}

func TestReopenEndsUnfinishedLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "changes.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(`{"source":"a","op":"ins`), 0o640))
	s, err := New(Options{Path: path})
	require.NoError(t, err)
	require.NoError(t, s.Apply(context.Background(), part("a", 1, 0, true, 7, 1)))
	require.NoError(t, s.Close())
	data := readFile(t, path)
	first, rest, ok := bytes.Cut(data, []byte("\n"))
	require.True(t, ok)
	require.Equal(t, `{"source":"a","op":"ins`, string(first))
	lines := decodeLines(t, rest)
	require.Len(t, lines, 1)
	require.Equal(t, json.Number("7"), lines[0].After["id"])
}

func TestFlushSyncs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "changes.jsonl")
	s, err := New(Options{Path: path})
	require.NoError(t, err)

	require.NoError(t, s.Flush(ctx))
	require.Zero(t, s.Syncs(), "nothing written, nothing to sync")

	require.NoError(t, s.Apply(ctx, part("a", 1, 0, true, 0, 3)))
	require.Empty(t, readFile(t, path), "small lines stay buffered until Flush")
	require.NoError(t, s.Flush(ctx))
	require.Equal(t, uint64(1), s.Syncs())
	require.Len(t, decodeLines(t, readFile(t, path)), 3)

	require.NoError(t, s.Flush(ctx))
	require.Equal(t, uint64(1), s.Syncs(), "no new lines, no fsync")

	require.NoError(t, s.Apply(ctx, part("a", 2, 0, true, 3, 1)))
	require.NoError(t, s.Close())
	require.Equal(t, uint64(2), s.Syncs(), "Close syncs what it flushes")
	require.Len(t, decodeLines(t, readFile(t, path)), 4)
}

func TestConcurrentFlushWaitsForSync(t *testing.T) {
	ctx := context.Background()
	s, err := New(Options{Path: filepath.Join(t.TempDir(), "changes.jsonl")})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				if err := s.Apply(ctx, part("s", uint64(i), 0, true, g*100+i, 1)); err != nil {
					t.Error(err)
					return
				}
				if err := s.Flush(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	require.NotZero(t, s.Syncs())
	require.NoError(t, s.Close())
}

func TestStandardOutputNeverSyncs(t *testing.T) {
	var out bytes.Buffer
	s, err := New(Options{Path: "-", Out: &out})
	require.NoError(t, err)
	require.NoError(t, s.Apply(context.Background(), part("a", 1, 0, true, 0, 1)))
	require.NoError(t, s.Flush(context.Background()))
	require.Len(t, decodeLines(t, out.Bytes()), 1)
	require.NoError(t, s.Close())
	require.Zero(t, s.Syncs())
}

func TestDeviceIsNotSynced(t *testing.T) {
	ctx := context.Background()
	s, err := New(Options{Path: os.DevNull})
	require.NoError(t, err)
	require.NoError(t, s.Apply(ctx, part("a", 1, 0, true, 0, 1)))
	require.NoError(t, s.Flush(ctx))
	require.NoError(t, s.Close())
	require.Zero(t, s.Syncs())
}

func TestLargeValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "changes.jsonl")
	s, err := New(Options{Path: path})
	require.NoError(t, err)
	blob := make([]byte, 16<<20)
	for i := range blob {
		blob[i] = byte(i*7 + i>>13)
	}
	txn := part("a", 1, 0, true, 1, 3)
	txn.Changes[1].After[2] = blob
	require.NoError(t, s.Apply(context.Background(), txn))
	require.Less(t, cap(s.mu.line), 1<<20, "a large value is streamed, not built in the line buffer")
	require.NoError(t, s.Close())

	lines := decodeLines(t, readFile(t, path))
	require.Len(t, lines, 3)
	got, err := base64.StdEncoding.DecodeString(lines[1].After["avatar"].(string))
	require.NoError(t, err)
	require.True(t, bytes.Equal(blob, got), "16 MiB value differs after the round trip")
	require.Nil(t, lines[0].After["avatar"])
	require.Equal(t, []int{0, 1, 2}, []int{lines[0].Row, lines[1].Row, lines[2].Row})
}

func TestInvalidChangeWritesNothing(t *testing.T) {
	var out bytes.Buffer
	s, err := New(Options{Path: "-", Out: &out})
	require.NoError(t, err)
	txn := part("a", 1, 0, true, 0, 3)
	txn.Changes[2].After = txn.Changes[2].After[:1]
	err = s.Apply(context.Background(), txn)
	require.ErrorContains(t, err, "after image has 1 values for 3 columns")
	require.NoError(t, s.Close())
	require.Empty(t, out.String())
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestWriteErrorStopsTheSink(t *testing.T) {
	ctx := context.Background()
	s, err := New(Options{Path: "-", Out: failingWriter{}})
	require.NoError(t, err)
	require.NoError(t, s.Apply(ctx, part("a", 1, 0, true, 0, 1)), "buffered, not written yet")
	require.ErrorContains(t, s.Flush(ctx), "writing to standard output: disk on fire")
	require.ErrorContains(t, s.Apply(ctx, part("a", 2, 0, true, 1, 1)), "disk on fire")
	require.ErrorContains(t, s.Flush(ctx), "disk on fire")
	require.NoError(t, s.Close())
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	s, err := New(Options{Path: filepath.Join(t.TempDir(), "changes.jsonl")})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.Apply(ctx, part("a", 1, 0, true, 0, 1)), ErrClosed)
	require.ErrorIs(t, s.Flush(ctx), ErrClosed)
}

func TestCanceledContext(t *testing.T) {
	var out bytes.Buffer
	s, err := New(Options{Path: "-", Out: &out})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, s.Apply(ctx, part("a", 1, 0, true, 0, 1)), context.Canceled)
	require.ErrorIs(t, s.Flush(ctx), context.Canceled)
	require.NoError(t, s.Close())
	require.Empty(t, out.String())
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{"empty path", "", "empty path"},
		{"missing directory", filepath.Join(t.TempDir(), "nope", "changes.jsonl"), "no such file or directory"},
		{"directory", t.TempDir(), "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Options{Path: tt.path})
			require.ErrorContains(t, err, tt.wantErr)
			require.Nil(t, s)
		})
	}
}

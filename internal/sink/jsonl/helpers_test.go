package jsonl

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// sink is the contract the pipeline expects of every sink.
type sink interface {
	Apply(ctx context.Context, txn *change.Txn) error
	Flush(ctx context.Context) error
	Close() error
}

var _ sink = (*Sink)(nil)

var users = &change.Table{
	Schema: "accounts", Name: "users",
	Columns: []change.Column{
		{Name: "id", Kind: change.KindInt},
		{Name: "name", Kind: change.KindString},
		{Name: "avatar", Kind: change.KindBytes, Nullable: true},
	},
	PrimaryKey: []int{0},
}

// part returns part p of transaction seq from source with n inserts whose
// ids start at id.
func part(source string, seq uint64, p int, last bool, id, n int) *change.Txn {
	txn := &change.Txn{
		Source: source, Seq: seq, Part: p, Last: last,
		CommitTime: time.Date(2026, 11, 22, 3, 56, 48, 0, time.UTC),
		Begin:      change.Position{File: "mysql-bin.000001", Pos: uint32(seq)},
	}
	for i := range n {
		txn.Changes = append(txn.Changes, change.RowChange{
			Table: users, Op: change.Insert,
			After: change.Row{int64(id + i), "user\n\"" + source + "\"", nil},
		})
	}
	return txn
}

// decodeLines decodes every line of data, requiring each to be a whole
// envelope.
func decodeLines(t *testing.T, data []byte) []envelope.Envelope {
	t.Helper()
	var out []envelope.Envelope
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		e, err := envelope.Decode(sc.Bytes())
		require.NoError(t, err, "line %d: %.200q", len(out)+1, sc.Text())
		out = append(out, e)
	}
	require.NoError(t, sc.Err())
	require.True(t, len(data) == 0 || data[len(data)-1] == '\n', "output ends mid-line")
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

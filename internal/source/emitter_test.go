package source

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestEmitter(t *testing.T) {
	pos := func(p uint32) change.Position { return change.Position{File: "f.000001", Pos: p} }
	empty := func(p uint32) *change.Txn { return &change.Txn{Last: true, End: pos(p)} }
	full := func(p uint32) *change.Txn {
		return &change.Txn{Last: true, End: pos(p), Changes: []change.RowChange{{Op: change.Insert}}}
	}
	part := func(n int) *change.Txn {
		return &change.Txn{Part: n, Changes: []change.RowChange{{Op: change.Insert}}}
	}
	type step struct {
		advance time.Duration
		txn     *change.Txn // nil: the flush deadline passes
	}
	tests := []struct {
		name     string
		steps    []step
		wantSeq  []uint64
		wantEnd  []uint32 // End.Pos of the last parts sent
		resume   uint32
		heldLeft bool
	}{
		{
			name:    "changes are sent at once, numbered",
			steps:   []step{{0, full(10)}, {0, full(20)}},
			wantSeq: []uint64{1, 2}, wantEnd: []uint32{10, 20}, resume: 20,
		},
		{
			name:    "empty transactions are held and replaced",
			steps:   []step{{0, empty(10)}, {0, empty(20)}},
			wantSeq: nil, resume: 20, heldLeft: true,
		},
		{
			name:    "a held one is dropped by one with changes",
			steps:   []step{{0, empty(10)}, {0, full(20)}},
			wantSeq: []uint64{1}, wantEnd: []uint32{20}, resume: 20,
		},
		{
			name:    "a held one goes out when due",
			steps:   []step{{0, empty(10)}, {0, empty(20)}, {time.Second, nil}},
			wantSeq: []uint64{1}, wantEnd: []uint32{20}, resume: 20,
		},
		{
			name:    "a held one goes out once the stream settles",
			steps:   []step{{0, full(5)}, {5 * time.Millisecond, empty(10)}, {10 * time.Millisecond, empty(20)}, {idleSettle, nil}},
			wantSeq: []uint64{1, 2}, wantEnd: []uint32{5, 20}, resume: 20,
		},
		{
			name:    "a busy excluded stream still sends one a second",
			steps:   []step{{0, full(5)}, {600 * time.Millisecond, empty(10)}, {600 * time.Millisecond, empty(20)}, {100 * time.Millisecond, empty(30)}},
			wantSeq: []uint64{1, 2}, wantEnd: []uint32{5, 20}, resume: 30, heldLeft: true,
		},
		{
			name: "a table statement is sent at once, not held",
			steps: []step{{0, empty(10)}, {0, &change.Txn{Last: true, End: pos(20),
				DDL: []change.DDL{{Kind: change.DDLTruncate, Schema: "db", Table: "t"}}}}},
			wantSeq: []uint64{1}, wantEnd: []uint32{20}, resume: 20,
		},
		{
			name:    "parts share a Seq and drop a held one",
			steps:   []step{{0, empty(10)}, {0, part(0)}, {2 * time.Second, part(1)}, {0, &change.Txn{Part: 2, Last: true, End: pos(40)}}},
			wantSeq: []uint64{1, 1, 1}, wantEnd: []uint32{40}, resume: 40,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := make(chan *change.Txn, 100)
			now := time.Unix(1000, 0)
			e := newEmitter("s", ch, pos(1))
			e.now = func() time.Time { return now }
			e.lastSent = now
			ctx := context.Background()
			for _, s := range tt.steps {
				now = now.Add(s.advance)
				if s.txn == nil {
					due, ok := e.flushDeadline()
					require.True(t, ok)
					require.False(t, now.Before(due))
					require.NoError(t, e.flush(ctx))
					continue
				}
				require.NoError(t, e.emit(ctx, s.txn))
			}
			close(ch)
			var seqs []uint64
			var ends []uint32
			for txn := range ch {
				require.Equal(t, "s", txn.Source)
				seqs = append(seqs, txn.Seq)
				if txn.Last {
					ends = append(ends, txn.End.Pos)
				}
			}
			require.Equal(t, tt.wantSeq, seqs)
			require.Equal(t, tt.wantEnd, ends)
			require.Equal(t, tt.resume, e.resume.Pos)
			_, held := e.flushDeadline()
			require.Equal(t, tt.heldLeft, held)
		})
	}
}

func TestEmitterSendHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := newEmitter("s", make(chan *change.Txn), change.Position{})
	err := e.emit(ctx, &change.Txn{Last: true, Changes: []change.RowChange{{}}})
	require.ErrorIs(t, err, context.Canceled)
}

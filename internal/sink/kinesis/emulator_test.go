package kinesis

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// TestEmulator runs the sink against one kinesis-local emulator, each
// subtest on streams of its own.
func TestEmulator(t *testing.T) {
	e := startEmulator(t)
	t.Run("every change once and in order per key", func(t *testing.T) {
		stream := e.stream(t, "ordered")
		s := e.open(t, Options{Stream: stream}, nil)
		txns, want := workload(1, 3000, 200)
		applyAll(t, s, txns)
		flush(t, s)
		checkDelivery(t, e.readAll(t, stream, len(want)), want)
		require.Equal(t, uint64(len(want)), s.Sent())
		require.Zero(t, s.Retried())
	})

	t.Run("partial failures and throttling lose nothing", func(t *testing.T) {
		stream := e.stream(t, "faulty")
		f := newInjector(7)
		f.set(failShare, 0.3)
		// A backoff cap of 1 s instead of 5 s: the keys that failed
		// through the whole phase would otherwise wait up to 5 s each.
		s := e.open(t, Options{Stream: stream, maxBackoff: time.Second}, f)
		txns, want := workload(2, 3000, 200)
		half := len(txns) / 2
		t0 := time.Now()
		applyAll(t, s, txns[:half])
		flush(t, s)
		t.Logf("first half flushed in %s", time.Since(t0))

		// Everything fails for about a second: first whole calls, then
		// every record of the calls.
		f.set(throttleCall, 0)
		applyAll(t, s, txns[half:])
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		err := s.Flush(ctx)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded, "flush with records unacknowledged")
		flushed := make(chan error, 1)
		go func() { flushed <- s.Flush(t.Context()) }()
		time.Sleep(400 * time.Millisecond)
		f.set(failRecords, 0)
		time.Sleep(600 * time.Millisecond)
		select {
		case err := <-flushed:
			t.Fatalf("flush returned while every record failed: %v", err)
		default:
		}
		f.set(failShare, 0.3)
		t0 = time.Now()
		select {
		case err := <-flushed:
			require.NoError(t, err)
			t.Logf("second half flushed in %s", time.Since(t0))
		case <-time.After(30 * time.Second):
			t.Fatal("flush did not return after failures stopped")
		}
		checkDelivery(t, e.readAll(t, stream, len(want)), want)
		require.Positive(t, s.Retried())
		require.Positive(t, f.throttled.Load())
		require.Positive(t, f.failedRecords.Load())
		require.Equal(t, uint64(len(want)), s.Sent())
		t.Logf("calls %d, records failed %d, calls throttled %d, sink retries %d",
			f.calls.Load(), f.failedRecords.Load(), f.throttled.Load(), s.Retried())
	})

	t.Run("key-changing updates keep each key's order", func(t *testing.T) { testKeyChanges(t, e) })

	t.Run("oversize", func(t *testing.T) {
		store, err := checkpoint.Open(filepath.Join(t.TempDir(), "store"), nil)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, store.Close()) })
		failStream, dropStream := e.stream(t, "oversize-fail"), e.stream(t, "oversize-drop")
		failing := e.open(t, Options{Stream: failStream, Failed: store}, nil)
		dropping := e.open(t, Options{Stream: dropStream, Failed: store,
			Routes: []Route{{Tables: "shop.photos", Oversize: OversizeDropColumns, DropColumns: []string{"photo"}}}}, nil)
		txn := photoTxn(3 << 20)
		for _, s := range []*Sink{failing, dropping} {
			require.NoError(t, s.Apply(t.Context(), txn))
			flush(t, s)
		}

		got := e.readAll(t, failStream, 2)
		require.Len(t, got, 2, "the small changes arrive")
		for _, r := range got {
			env, err := envelope.Decode(r.data)
			require.NoError(t, err)
			require.NotEqual(t, json.Number("2"), env.Key["id"])
		}
		require.Equal(t, uint64(1), failing.Failed())
		failed, err := store.FailedChanges()
		require.NoError(t, err)
		require.Len(t, failed, 1)
		fc := failed[0]
		require.Equal(t, "kinesis:"+failStream, fc.Target)
		require.Equal(t, "insert", fc.Op)
		require.Equal(t, []change.Value{int64(2)}, fc.Key)
		require.Equal(t, txn.End, fc.Position)
		require.Equal(t, txn.GTID, fc.GTID)
		require.Regexp(t, `^record of \d+ bytes exceeds Kinesis's 1 MiB$`, fc.Error)

		got = e.readAll(t, dropStream, 3)
		require.Len(t, got, 3)
		require.Zero(t, dropping.Failed())
		var big envelope.Envelope
		for _, r := range got {
			env, err := envelope.Decode(r.data)
			require.NoError(t, err)
			if env.Key["id"] == json.Number("2") {
				big = env
			}
		}
		require.Equal(t, map[string]any{"tributary_dropped": true, "bytes": json.Number("3145728")}, big.After["photo"])
		require.Equal(t, "caption", big.After["caption"])
	})

	t.Run("dms format", func(t *testing.T) {
		stream := e.stream(t, "dms")
		s := e.open(t, Options{Stream: stream, Format: FormatDMS, DMS: dmsDefaults()}, nil)
		txn := &change.Txn{Source: "src", Seq: 1, Last: true, GTID: "0-1-9",
			CommitTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			Begin:      change.Position{File: "mysql-bin.000002", Pos: 4}, Changes: []change.RowChange{
				{Table: items, Op: change.Insert, After: change.Row{int64(1), "a", int64(1)}},
				{Table: items, Op: change.Update, Before: change.Row{int64(1), "a", int64(1)},
					After: change.Row{int64(1), "b", int64(2)}, Changed: []int{1, 2}},
				{Table: items, Op: change.Delete, Before: change.Row{int64(1), "b", int64(2)}},
			}}
		require.NoError(t, s.Apply(t.Context(), txn))
		flush(t, s)
		got := e.readAll(t, stream, 3)
		require.Len(t, got, 3)
		type dmsRecord struct {
			Data        map[string]any `json:"data"`
			BeforeImage map[string]any `json:"before-image"`
			Metadata    map[string]any `json:"metadata"`
		}
		var ops []string
		for _, r := range got {
			var rec dmsRecord
			dec := json.NewDecoder(bytes.NewReader(r.data))
			dec.UseNumber()
			require.NoError(t, dec.Decode(&rec))
			op := rec.Metadata["operation"].(string)
			ops = append(ops, op)
			require.Equal(t, "data", rec.Metadata["record-type"])
			require.Equal(t, "shop", rec.Metadata["schema-name"])
			require.Equal(t, "items", rec.Metadata["table-name"])
			require.Equal(t, "primary-key", rec.Metadata["partition-key-type"])
			require.Equal(t, json.Number("1"), rec.Data["id"])
			switch op {
			case "insert":
				require.Equal(t, "a", rec.Data["v"])
				require.Nil(t, rec.BeforeImage)
			case "update":
				require.Equal(t, "b", rec.Data["v"])
				require.Equal(t, "a", rec.BeforeImage["v"])
			case "delete":
				require.Equal(t, "b", rec.Data["v"])
			}
		}
		require.Equal(t, []string{"insert", "update", "delete"}, ops)
	})

	t.Run("aggregation", func(t *testing.T) {
		stream := e.stream(t, "aggregated")
		s := e.open(t, Options{Stream: stream, PartitionKey: PartitionKeyTable, Aggregate: true}, nil)
		txns, want := workload(3, 1000, 50)
		applyAll(t, s, txns)
		flush(t, s)
		got := e.readAll(t, stream, 1)
		require.Less(t, len(got), 20, "far fewer Kinesis records than changes")
		var lines []shardRecord
		for _, r := range got {
			for _, line := range bytes.Split(r.data, []byte("\n")) {
				lines = append(lines, shardRecord{shard: r.shard, data: line})
			}
		}
		checkDelivery(t, lines, want)
		// One key, so the lines also keep the overall order.
		for i, line := range lines {
			env, err := envelope.Decode(line.data)
			require.NoError(t, err)
			require.Equal(t, want[i].pos, env.Binlog.Pos)
			require.Equal(t, want[i].row, env.Row)
		}
		t.Logf("%d changes in %d kinesis records", len(want), len(got))
	})

	t.Run("a missing stream stops the sink", func(t *testing.T) {
		s := e.open(t, Options{Stream: "missing"}, nil)
		txns, _ := workload(4, 10, 5)
		applyAll(t, s, txns)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		err := s.Flush(ctx)
		var se *StreamError
		require.ErrorAs(t, err, &se)
		require.Equal(t, "missing", se.Stream)
		require.Equal(t, "ResourceNotFoundException", se.Code)
		require.Contains(t, err.Error(), "putting records to kinesis stream missing: ResourceNotFoundException")
		require.ErrorAs(t, s.Apply(t.Context(), txns[0]), &se)
	})
}

// checkDelivery checks that recs, read back shard by shard, hold every
// change of want exactly once, each key's changes in order on one shard.
func checkDelivery(t *testing.T, recs []shardRecord, want []applied) {
	t.Helper()
	type id struct {
		pos uint32
		row int
	}
	seen := map[id]bool{}
	shardOf := map[int64]string{}
	got := map[int64][]applied{}
	for _, r := range recs {
		env, err := envelope.Decode(r.data)
		require.NoError(t, err)
		key, err := env.Key["id"].(json.Number).Int64()
		require.NoError(t, err)
		image := env.After
		if env.Op == "delete" {
			image = env.Before
		}
		n, err := image["n"].(json.Number).Int64()
		require.NoError(t, err)
		a := applied{op: env.Op, id: key, pos: env.Binlog.Pos, row: env.Row, n: n}
		require.False(t, seen[id{a.pos, a.row}], "duplicate %+v", a)
		seen[id{a.pos, a.row}] = true
		if sh, ok := shardOf[key]; ok {
			require.Equal(t, sh, r.shard, "key %d on two shards", key)
		}
		shardOf[key] = r.shard
		got[key] = append(got[key], a)
	}
	require.Len(t, seen, len(want))
	wantBy := map[int64][]applied{}
	for _, a := range want {
		wantBy[a.id] = append(wantBy[a.id], a)
	}
	require.Equal(t, len(wantBy), len(got))
	for key, w := range wantBy {
		require.Equal(t, w, got[key], "changes of key %d", key)
	}
}

// photos is a table with a big column.
var photos = &change.Table{
	Schema: "shop", Name: "photos",
	Columns: []change.Column{
		{Name: "id", Kind: change.KindInt}, {Name: "caption", Kind: change.KindString},
		{Name: "photo", Kind: change.KindBytes},
	},
	PrimaryKey: []int{0},
}

// photoTxn inserts three photos; the one with id 2 has size bytes.
func photoTxn(size int) *change.Txn {
	row := func(id int64, n int) change.Row {
		return change.Row{id, "caption", bytes.Repeat([]byte{0xff}, n)}
	}
	return &change.Txn{Source: "src", Seq: 1, Last: true, GTID: "0-1-7",
		Begin: change.Position{File: "mysql-bin.000001", Pos: 4},
		End:   change.Position{File: "mysql-bin.000001", Pos: 900},
		Changes: []change.RowChange{
			{Table: photos, Op: change.Insert, After: row(1, 10)},
			{Table: photos, Op: change.Insert, After: row(2, size)},
			{Table: photos, Op: change.Insert, After: row(3, 10)},
		}}
}

func TestPreflightNamesMissingStreams(t *testing.T) {
	e := startEmulator(t)
	stream := e.stream(t, "present")
	s := e.open(t, Options{Stream: stream, Routes: []Route{{Tables: "a.*", Stream: "nowhere"}, {Tables: "b.*", Stream: "nowhere-2"}}}, nil)
	err := s.Preflight(t.Context())
	require.ErrorContains(t, err, "kinesis stream nowhere does not exist in region us-east-1")
	require.ErrorContains(t, err, "kinesis stream nowhere-2 does not exist")
	require.NotContains(t, err.Error(), "stream "+stream+" ")

	ok := e.open(t, Options{Stream: stream}, nil)
	require.NoError(t, ok.Preflight(t.Context()))
}

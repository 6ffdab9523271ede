package source

import (
	"bytes"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// packet returns a protocol packet with a payload of n bytes.
func packet(n int, seq byte) []byte {
	p := make([]byte, 4+n)
	p[0], p[1], p[2], p[3] = byte(n), byte(n>>8), byte(n>>16), seq
	return p
}

// TestPacketFramer feeds streams of packets cut at every kind of boundary
// and counts the continuation headers found.
func TestPacketFramer(t *testing.T) {
	t.Parallel()
	var stream bytes.Buffer
	stream.Write(packet(5, 0))                // a small message
	stream.Write(packet(maxPacketPayload, 1)) // a message of three packets
	stream.Write(packet(maxPacketPayload, 2))
	stream.Write(packet(17, 3))
	stream.Write(packet(0, 4))                // an empty message
	stream.Write(packet(maxPacketPayload, 5)) // one whose length is a multiple
	stream.Write(packet(0, 6))
	stream.Write(packet(3, 7))
	data := stream.Bytes()
	const want = 3
	for _, cut := range []int{1, 3, 4, 7, 4096, 1 << 20} {
		var f packetFramer
		got := 0
		for rest := data; len(rest) > 0; {
			n := min(cut, len(rest))
			if f.feed(rest[:n]) {
				got++
			}
			rest = rest[n:]
		}
		require.Equal(t, want, got, "reads of %d bytes", cut)
		require.Zero(t, f.got, "ends at a packet boundary")
		require.False(t, f.continues)
	}
	// Reads holding several headers report once.
	var f packetFramer
	require.True(t, f.feed(data))
}

// TestReadGate holds reads while a tracked buffer is in use and the reader
// holds no rows of its own, and only then.
func TestReadGate(t *testing.T) {
	t.Parallel()
	waits := func(g *readGate) <-chan struct{} {
		done := make(chan struct{})
		go func() {
			g.wait()
			close(done)
		}()
		return done
	}
	held := func(t *testing.T, done <-chan struct{}) {
		t.Helper()
		select {
		case <-done:
			t.Fatal("the read went on")
		case <-time.After(200 * time.Millisecond):
		}
	}
	passes := func(t *testing.T, done <-chan struct{}) {
		t.Helper()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatal("the read is still held")
		}
	}

	// holding returns a gate holding reads back for a tracked buffer, the
	// buffer, and a read waiting at the gate.
	holding := func(t *testing.T) (*readGate, []byte, <-chan struct{}) {
		g := newReadGate(slog.New(slog.DiscardHandler))
		buf := make([]byte, 1<<20)
		g.track(buf)
		passes(t, waits(g)) // the reader still holds its rows
		g.settle(false)
		done := waits(g)
		held(t, done)
		return g, buf, done
	}

	t.Run("until collected", func(t *testing.T) {
		t.Parallel()
		_, buf, done := holding(t)
		runtime.KeepAlive(buf)
		buf = nil // the sinks are done with it
		passes(t, done)
		_ = buf
	})
	t.Run("reader holding rows", func(t *testing.T) {
		t.Parallel()
		g, buf, done := holding(t)
		g.settle(true) // the reader needs the next events to let it go
		passes(t, done)
		runtime.KeepAlive(buf)
	})
	t.Run("abandoned", func(t *testing.T) {
		t.Parallel()
		g, buf, done := holding(t)
		g.abandon()
		passes(t, done)
		passes(t, waits(g))
		runtime.KeepAlive(buf)
	})
	t.Run("text values", func(t *testing.T) {
		t.Parallel()
		g := newReadGate(slog.New(slog.DiscardHandler))
		c := &change.RowChange{Op: change.Insert, After: change.Row{int64(1), strings.Repeat("x", largeValue),
			change.JSON(`"` + strings.Repeat("y", largeValue) + `"`), strings.Repeat("z", largeValue-1)}}
		g.hold(c)
		g.settle(false)
		done := waits(g)
		held(t, done)
		c.After[1] = nil // the text goes; the JSON document is still in use
		held(t, done)
		runtime.KeepAlive(c)
		c = nil
		passes(t, done)
		_ = c
	})
	t.Run("limit", func(t *testing.T) {
		t.Parallel()
		g := newReadGate(slog.New(slog.DiscardHandler))
		g.limit = 300 * time.Millisecond
		buf := make([]byte, 1<<20)
		g.track(buf)
		g.settle(false)
		done := waits(g)
		held(t, done)
		passes(t, done)
		passes(t, waits(g)) // the buffer no longer holds reads back
		// Nor does its collection disturb a later one's count.
		runtime.KeepAlive(buf)
		next := make([]byte, 1<<20)
		g.track(next)
		buf = nil
		runtime.GC()
		held(t, waits(g))
		runtime.KeepAlive(next)
		_ = buf
	})
}

package source

import (
	"context"
	"net"
	"runtime"
	"sync/atomic"
	"time"
)

// silentConn counts the reads of a binlog connection so that a watchdog
// can tell a dead connection, one whose read has waited silenceLimit with
// the server sending nothing, not even its heartbeat, from one idle
// because the pipeline is not taking events. It replaces go-mysql's
// ReadTimeout, which costs a clock read and a deadline update per packet.
type silentConn struct {
	net.Conn
	// reads is odd while a read is under way; it changes with each read.
	reads atomic.Uint64
	// closed is set when the watchdog closed the connection.
	closed atomic.Bool
	// gate, when set, holds reads back while a large event is in use
	// (largeevent.go).
	gate *readGate
	// frames, when set, follows the protocol packets read (packets.go).
	frames *packetFramer
	// collectNext asks for a collection after the next read.
	collectNext bool
}

func (c *silentConn) Read(p []byte) (int, error) {
	if c.gate != nil {
		c.gate.wait()
	}
	c.reads.Add(1)
	n, err := c.Conn.Read(p)
	c.reads.Add(1)
	if c.frames != nil {
		// go-mysql is about to grow its buffer for a continuation: the
		// one it outgrew before is garbage, and collecting it first keeps
		// it from adding to the new one's peak. The next read comes once
		// it has grown, so that collects the buffer it copied from.
		if c.frames.feed(p[:n]) {
			c.collectNext = true
			runtime.GC()
		} else if c.collectNext {
			c.collectNext = false
			runtime.GC()
		}
	}
	return n, err
}

// SetReadDeadline is how go-mysql stops its reading goroutine: a held
// read must not keep it waiting.
func (c *silentConn) SetReadDeadline(t time.Time) error {
	if c.gate != nil && !t.IsZero() {
		c.gate.abandon()
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *silentConn) Close() error {
	if c.gate != nil {
		c.gate.abandon()
	}
	return c.Conn.Close()
}

// watch closes c once one read has waited limit, checking every tick,
// until ctx ends.
func (c *silentConn) watch(ctx context.Context, limit, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	last, since := c.reads.Load(), time.Now()
	for {
		select {
		case <-ctx.Done():
			if c.gate != nil {
				c.gate.abandon()
			}
			return
		case now := <-t.C:
			n := c.reads.Load()
			if n != last {
				last, since = n, now
				continue
			}
			if n%2 == 1 && now.Sub(since) >= limit {
				c.closed.Store(true)
				_ = c.Conn.Close()
				return
			}
		}
	}
}

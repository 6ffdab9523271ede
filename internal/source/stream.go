package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/credential"
	"github.com/tributary-cdc/tributary/internal/source/decode"
	"github.com/tributary-cdc/tributary/internal/tlsconf"
)

// Binlog connection settings.
const (
	// heartbeat asks the server for a heartbeat event when idle, so a dead
	// connection shows within silenceLimit (see silence.go).
	heartbeat    = 10 * time.Second
	silenceLimit = 60 * time.Second
)

// stream runs one binlog connection from the last complete transaction
// until it fails or ctx is done.
func (r *Reader) stream(ctx context.Context, db *sql.DB, st *runState) error {
	srv, start, gset, err := r.prepare(ctx, db, st)
	if err != nil {
		return err
	}
	cfg, err := r.syncerConfig(ctx, srv)
	if err != nil {
		return err
	}
	if r.opts.TLS.Mode == tlsconf.Preferred {
		// go-mysql refuses a server without TLS when given a TLS
		// configuration; preferred then falls back to plaintext as the SQL
		// connections do.
		if plain, err := plaintext(ctx, db); err != nil {
			return err
		} else if plain {
			cfg.TLSConfig = nil
		}
	}
	// Close kills the dump connection by id through a new connection. Once
	// the stream has failed, the server may have restarted and given that
	// id to another client, so the connection is closed directly instead.
	var conn *client.Conn
	var watched *silentConn
	gate := newReadGate(r.log)
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	// The handshake is bounded by a deadline on the new connection; from
	// the dump command on, by the watchdog of silence.go.
	cfg.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if err := c.SetDeadline(time.Now().Add(silenceLimit)); err != nil {
			_ = c.Close()
			return nil, err
		}
		return c, nil
	}
	cfg.Option = func(c *client.Conn) error {
		conn = c
		if err := c.SetDeadline(time.Time{}); err != nil {
			return err
		}
		// Connected: the next byte read begins a packet.
		watched = &silentConn{Conn: c.Conn.Conn, gate: gate, frames: &packetFramer{}}
		c.Conn.Conn = watched
		go watched.watch(wctx, silenceLimit, heartbeat)
		return nil
	}
	qctx, stopQueue := context.WithCancel(ctx)
	defer stopQueue()
	queue := newEventQueue(qctx)
	cfg.SynchronousEventHandler = queue
	syncer := replication.NewBinlogSyncer(cfg)
	streamFailed := false
	defer func() {
		// First release go-mysql's goroutine from a wait for room.
		stopQueue()
		if streamFailed && conn != nil {
			_ = conn.Close()
			return
		}
		syncer.Close()
	}()
	var streamer *replication.BinlogStreamer
	if start.GTIDSet != "" {
		// go-mysql updates the set it is given from its own goroutine.
		streamer, err = syncer.StartSyncGTID(gset.Clone())
	} else {
		streamer, err = syncer.StartSync(gomysql.Position{Name: start.File, Pos: start.Pos})
	}
	if err != nil {
		err = classifyStreamError(fmt.Errorf("starting binlog dump: %w", err))
		if credential.AccessDenied(err) && !st.denied && r.opts.state().creds.Refused() {
			// A rotated secret: read it again and reconnect, once.
			st.denied = true
			// %v: the server error would make the reconnect loop stop.
			return fmt.Errorf("%s: the server refused the password; reading it again: %v", r.opts.label(), err)
		}
		return err
	}
	go queue.follow(qctx, streamer)
	st.denied = false
	r.log.Info("streaming binlog", "from", start.String(), "by_gtid", start.GTIDSet != "")
	r.streaming.Store(true)
	defer r.streaming.Store(false)

	pos := start
	pos.ServerID, pos.ServerUUID = srv.ID, srv.UUID
	asm := newAssembler(srv.Flavor, pos, gset, st.tables, r.opts.MaxPartChanges, r.opts.MaxPartBytes, r.log)
	emit := func(t *change.Txn) error {
		// Before a send that may wait: a large event's rows gone on with
		// t must not find the connection reading ahead meanwhile.
		gate.settle(asm.holding())
		return st.em.emit(ctx, t)
	}
	for {
		ev, err := nextEvent(ctx, queue, st.em, r.mark)
		if errors.Is(err, errMarkWanted) {
			r.mark.taken()
			if err := st.em.sendPosition(ctx, asm); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			streamFailed = true // go-mysql's reading goroutine has ended
			if watched != nil && watched.closed.Load() {
				err = fmt.Errorf("%w (the server sent nothing for %s, not even a heartbeat: the connection was taken for dead and closed)", err, silenceLimit)
			}
			return classifyStreamError(fmt.Errorf("reading binlog at %s:%d: %w", asm.pos.File, asm.pos.Pos, err))
		}
		if !st.seeded && asm.pos.File != "" {
			// A start from a GTID set: the artificial rotate that opens
			// the stream named the file before any row or DDL came.
			if err := r.seedOnce(ctx, db, st, asm.pos); err != nil {
				return err
			}
		}
		if ev.Header.EventSize >= largeEvent {
			gate.track(ev.RawData)
			asm.large = gate.hold
		}
		err = asm.feed(ctx, ev, emit)
		asm.large = nil
		if err != nil {
			return fmt.Errorf("processing binlog at %s:%d: %w", asm.pos.File, asm.pos.Pos, err)
		}
		gate.settle(asm.holding())
	}
}

// prepare identifies the server, settles where to start and the executed
// GTID set there, and readies schema tracking for the connection.
func (r *Reader) prepare(ctx context.Context, db *sql.DB, st *runState) (server, change.Position, gomysql.GTIDSet, error) {
	srv, err := r.identify(ctx, db)
	if err != nil {
		return srv, change.Position{}, nil, err
	}
	start := st.em.resume
	if start.IsZero() {
		if start, err = currentPosition(ctx, db, srv); err != nil {
			return srv, start, nil, err
		}
		st.em.resume = start
	}
	if start.Flavor != "" && start.Flavor != srv.Flavor {
		return srv, start, nil, permanent(fmt.Errorf("the start position is a %s position but the server is %s", start.Flavor, srv.Flavor))
	}
	gset, err := r.startSet(ctx, db, srv, start)
	if err != nil {
		return srv, start, nil, err
	}
	vars, err := variables(ctx, db, "binlog_row_metadata", "lower_case_table_names")
	if err != nil {
		return srv, start, nil, err
	}
	st.tables.flavor, st.tables.fold = srv.Flavor, vars["lower_case_table_names"] == "1"
	// Seeded history also gives a later ALTER the description it changed,
	// to tell whether it dropped or retyped columns a mapping reads; so
	// it is seeded whatever the metadata. A start from a GTID set alone
	// has no binlog file to record it at: the stream names it first (see
	// seedOnce).
	if start.File != "" {
		if err := r.seedOnce(ctx, db, st, start); err != nil {
			return srv, start, nil, err
		}
	}
	st.tables.reset()
	return srv, start, gset, nil
}

// seedOnce records in schema history, at, the current description of every
// included table it has none for, once per reader.
func (r *Reader) seedOnce(ctx context.Context, db *sql.DB, st *runState, at change.Position) error {
	if st.seeded {
		return nil
	}
	if r.opts.History != nil {
		if err := st.tables.seed(ctx, db, at); err != nil {
			return err
		}
	}
	st.seeded = true
	return nil
}

// startSet returns the executed GTID set at start, nil when unknown. A
// start without GTIDs must come from this very server; MariaDB can then
// still tell its GTID position.
func (r *Reader) startSet(ctx context.Context, db *sql.DB, srv server, start change.Position) (gomysql.GTIDSet, error) {
	if start.GTIDSet != "" {
		set, err := ParseGTIDSet(srv.Flavor, start.GTIDSet)
		return set, permanent(err)
	}
	if (start.ServerID != 0 && start.ServerID != srv.ID) || (start.ServerUUID != "" && start.ServerUUID != srv.UUID) {
		return nil, fmt.Errorf("%w: position of server id %d uuid %q, connected to server id %d uuid %q",
			ErrServerChanged, start.ServerID, start.ServerUUID, srv.ID, srv.UUID)
	}
	if srv.Flavor != change.MariaDB {
		return nil, nil
	}
	text, known, err := binlogGTIDPos(ctx, db, start.File, start.Pos)
	if err != nil || !known {
		return nil, err
	}
	set, err := ParseGTIDSet(srv.Flavor, text)
	return set, permanent(err)
}

// nextEvent waits for the next event; while an empty transaction is held
// back it sends that when it falls due. It returns errMarkWanted when a
// position transaction was asked for meanwhile.
func nextEvent(ctx context.Context, q *eventQueue, em *emitter, mark *marker) (*replication.BinlogEvent, error) {
	for {
		wait := mark.context(ctx)
		due, held := em.flushDeadline()
		if !held {
			ev, err := q.next(wait)
			if err != nil && woken(ctx, wait, err) {
				return nil, errMarkWanted
			}
			return ev, err
		}
		wctx, cancel := context.WithDeadline(wait, due)
		ev, err := q.next(wctx)
		cancel()
		if err != nil && woken(ctx, wait, err) {
			return nil, errMarkWanted
		}
		if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return ev, err
		}
		if err := em.flush(ctx); err != nil {
			return nil, err
		}
	}
}

// syncerConfig configures go-mysql for srv: no retries of its own (Run
// reconnects at transaction boundaries), heartbeats, the decoder's value
// options, and rows of excluded tables left undecoded. stream adds the
// handler that hands events to the reader (eventQueue).
//
// The password and TLS configuration are made anew for every connection
// (a fresh IAM token, a re-read password file). go-mysql keeps them for
// the syncer's life: the extra connection its Close opens to KILL the dump
// uses the same password, so with a 15-minute IAM token that KILL fails
// on a long-lived stream and the dump connection is merely closed.
func (r *Reader) syncerConfig(ctx context.Context, srv server) (replication.BinlogSyncerConfig, error) {
	password, tlsConf, err := r.opts.binlogAuth(ctx)
	if err != nil {
		return replication.BinlogSyncerConfig{}, fmt.Errorf("preparing the binlog connection: %w", err)
	}
	cfg := replication.BinlogSyncerConfig{
		ServerID:  r.opts.ServerID,
		Flavor:    srv.Flavor,
		Host:      r.opts.Host,
		Port:      r.opts.Port,
		User:      r.opts.User,
		Password:  password,
		TLSConfig: tlsConf,
		Logger:    goMySQLLogger(r.log),

		DisableRetrySync: true,
		DiscardGTIDSet:   true,
		HeartbeatPeriod:  heartbeat,
		// Events come through eventQueue, not go-mysql's channel.
		EventCacheCount: 1,
		// MariaDB 11.4 and later may send events with a zero end offset.
		FillZeroLogPos: srv.Flavor == change.MariaDB && versionAtLeast(srv.Version, 11, 4),
	}
	decode.ConfigureSyncer(&cfg, r.opts.Include)
	return cfg, nil
}

// versionAtLeast reports whether a "major.minor.patch-suffix" version is at
// least major.minor.
func versionAtLeast(version string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(version, "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

package mysql

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// BenchmarkLooseKeys drains the same 40,000 small transactions (two
// updates, a delete and the insert of the deleted key, as sysbench's
// write-only transactions) over 100,000 rows keyed by UUID strings into
// three tables through a sink of 4 workers: keyed by VARBINARY(36),
// routed by exact bytes; by CHAR(36) under utf8mb4_general_ci, routed by
// the folded key; and the same CHAR(36) table written by one worker in
// order, its long runs split, as after a key outside printable ASCII
// (and as every table keyed by such a column was before folding), each
// as one backlog and flushed every 50 transactions. The target makes
// every commit durable. It reports each drain's
// transactions/s and its ratio to the binary key's in the same pass. Run
// it with -benchtime=1x.
func BenchmarkLooseKeys(b *testing.B) {
	const rows, txns = 100_000, 40_000
	ddl := map[string]string{
		"exact":  "k VARBINARY(36) NOT NULL PRIMARY KEY",
		"folded": "k CHAR(36) COLLATE utf8mb4_general_ci NOT NULL PRIMARY KEY",
		"serial": "k CHAR(36) COLLATE utf8mb4_general_ci NOT NULL PRIMARY KEY",
	}
	names := []string{"exact", "folded", "serial"}
	var stmts []string
	for _, n := range names {
		stmts = append(stmts, "CREATE TABLE tgt."+n+" ("+ddl[n]+", v BIGINT NOT NULL, c VARCHAR(120) NOT NULL)")
	}
	// A durable target, as production servers are: every commit waits
	// for its fsyncs, so a table's writes gain from several connections.
	srv := testenv.StartT(b, testenv.Options{ExtraArgs: []string{"--innodb-flush-log-at-trx-commit=1", "--sync-binlog=1"}})
	srv.Exec(b, append([]string{"CREATE DATABASE tgt"}, stmts...)...)
	tg := &target{srv: srv, db: srv.DB(b, "tgt")}
	key := func(i int) string {
		return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(i*2654435761), i%0xffff, i%0xfff, (i*7)%0xfff, i)
	}
	pad := func(i int) string { return fmt.Sprintf("%0120d", i) }
	cols := []string{"k", "v", "c"}
	work := func(t *change.TargetTable) []*change.Txn {
		out := make([]*change.Txn, txns)
		for i := range out {
			a, c := (i*7919)%rows, (i*104729+13)%rows
			out[i] = txn(uint64(i+1),
				upsert(t, cols, key(a), int64(i), pad(a)),
				upsert(t, cols, key((a+1)%rows), int64(i), pad(a+1)),
				del(t, key(c)),
				upsert(t, cols, key(c), int64(i), pad(c)))
		}
		return out
	}
	ctx := context.Background()
	// Each table is drained twice: as one backlog, and flushed every 50
	// transactions, as a stream that keeps up commits (its batches are
	// then too short to split).
	type drain struct {
		name  string
		every int
	}
	var drains []drain
	for _, every := range []int{txns, 50} {
		for _, n := range names {
			drains = append(drains, drain{n, every})
		}
	}
	for b.Loop() {
		rates := map[drain]float64{}
		for i := range drains {
			d := drains[(i+formsTurn)%len(drains)]
			t := table(d.name, "k")
			tg.srv.Exec(b, "TRUNCATE TABLE tgt."+d.name)
			var setup []change.TargetOp
			for r := range rows {
				setup = append(setup, upsert(t, cols, key(r), int64(0), pad(r)))
			}
			s := tg.sink(b, Options{})
			applyAll(b, s, txn(1, setup...))
			if d.name == "serial" {
				s.keys.setSerial(t)
			}
			parts := work(t)
			start := time.Now()
			for i, p := range parts {
				require.NoError(b, s.Apply(ctx, p))
				if (i+1)%d.every == 0 {
					require.NoError(b, s.Flush(ctx))
				}
			}
			require.NoError(b, s.Flush(ctx))
			rates[d] = txns / time.Since(start).Seconds()
			info, err := s.keys.info(ctx, t)
			require.NoError(b, err)
			require.Equal(b, d.name == "serial", info.serial, d.name)
		}
		formsTurn++
		for _, d := range drains {
			base := rates[drain{"exact", d.every}]
			b.Logf("%-7s flushed every %5d  %9.0f txn/s  ratio-vs-exact %.2f", d.name, d.every, rates[d], rates[d]/base)
		}
		for _, every := range []int{txns, 50} {
			base := rates[drain{"exact", every}]
			suffix := "-backlog"
			if every != txns {
				suffix = "-flushed"
			}
			b.ReportMetric(rates[drain{"folded", every}]/base, "folded-vs-exact"+suffix)
			b.ReportMetric(rates[drain{"serial", every}]/base, "in-order-vs-exact"+suffix)
		}
	}
}

package kinesis

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dms"
)

// dmsState keeps what the dms format's transaction and control details
// need beyond one record: for each source, the transaction sent before
// the current one (prev-transaction-id and prev-transaction-record-id),
// and the tables whose create-table record each stream has had.
type dmsState struct {
	mu struct {
		sync.Mutex
		txns      map[string]*txnTrack
		described map[string]bool
	}
}

// txnTrack follows one source's transactions: seq and cur name the one
// being sent (cur.RecordID its highest record id sent so far), prev the
// one before with records.
type txnTrack struct {
	seq       uint64
	cur, prev dms.Prev
}

func newDMSState() *dmsState {
	d := &dmsState{}
	d.mu.txns = map[string]*txnTrack{}
	d.mu.described = map[string]bool{}
	return d
}

// begin returns the previous transaction of txn's records: a part that
// starts a new transaction makes the current one, when it sent records,
// the previous. Parts of one source's transactions come in order.
func (d *dmsState) begin(txn *change.Txn) dms.Prev {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.mu.txns[txn.Source]
	if !ok {
		t = &txnTrack{seq: txn.Seq, cur: dms.Prev{ID: dms.TransactionID(txn)}}
		d.mu.txns[txn.Source] = t
	}
	if t.seq != txn.Seq {
		if t.cur.RecordID > 0 {
			t.prev = t.cur
		}
		t.seq, t.cur = txn.Seq, dms.Prev{ID: dms.TransactionID(txn)}
	}
	return t.prev
}

// sent records that the record numbered row of txn (from 0) was queued.
func (d *dmsState) sent(txn *change.Txn, row int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t := d.mu.txns[txn.Source]; t != nil && t.seq == txn.Seq && row+1 > t.cur.RecordID {
		t.cur.RecordID = row + 1
	}
}

// undescribed returns the routes and tables of txn's changes whose
// create-table record their stream has not had, marking them had.
func (d *dmsState) undescribed(s *Sink, txn *change.Txn) []describe {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []describe
	for i := range txn.Changes {
		t := txn.Changes[i].Table
		r := s.routeOf(t.QualifiedName())
		key := r.stream + "\x00" + t.QualifiedName()
		if r.stream == "" || d.mu.described[key] {
			continue
		}
		d.mu.described[key] = true
		out = append(out, describe{r: r, table: t})
	}
	return out
}

// describe is a table whose create-table record goes to its route's
// stream.
type describe struct {
	r     *route
	table *change.Table
}

// describeTables sends the create-table record of each table of txn that
// its stream has not had yet, before the table's first rows, as a barrier
// on every shard like the control record of a table statement (see
// control.go): a consumer that needs the table's key finds it before any
// of its rows.
func (s *Sink) describeTables(ctx context.Context, txn *change.Txn) error {
	tables := s.dms.undescribed(s, txn)
	if len(tables) == 0 {
		return nil
	}
	if err := s.Flush(ctx); err != nil {
		return fmt.Errorf("waiting for the records before a create-table record from %s: %w", txn.Source, err)
	}
	shards := map[string][]string{}
	at := time.Now()
	for _, d := range tables {
		data := dms.AppendCreateTable(nil, d.table, at, d.r.dms)
		pk := fitKey(d.table.QualifiedName())
		hashKeys, listed := shards[d.r.stream]
		if !listed {
			hashKeys = s.shardHashKeys(ctx, d.r.stream)
			shards[d.r.stream] = hashKeys
		}
		if len(hashKeys) == 0 {
			hashKeys = []string{""}
		}
		o := origin{source: txn.Source, gtid: txn.GTID, table: d.table.QualifiedName(), op: controlOp, pos: txn.Begin}
		for _, hk := range hashKeys {
			rec := &record{data: data, size: len(data) + len(pk), origin: o, control: true, hashKey: hk}
			if err := s.enqueue(ctx, d.r.stream, pk, rec); err != nil {
				return err
			}
		}
	}
	if err := s.Flush(ctx); err != nil {
		return fmt.Errorf("sending create-table records of transaction %d from %s: %w", txn.Seq, txn.Source, err)
	}
	return nil
}

// lastRecords returns, for each stream txn's records go to, the index of
// the last one: of a change, or len(txn.Changes)+j for the statement
// txn.DDL[j]. That record's stream-position names the position after the
// transaction; the others name its start, since a consumer that stopped
// before the last has not seen all of it.
func (s *Sink) lastRecords(txn *change.Txn) map[string]int {
	last := map[string]int{}
	for i := range txn.Changes {
		if r := s.routeOf(txn.Changes[i].Table.QualifiedName()); r.stream != "" {
			last[r.stream] = i
		}
	}
	for j := range txn.DDL {
		if r := s.routeOf(txn.DDL[j].QualifiedName()); r.stream != "" && s.sendsStatement(&txn.DDL[j]) {
			last[r.stream] = len(txn.Changes) + j
		}
	}
	return last
}

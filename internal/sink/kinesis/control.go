package kinesis

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/big"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dms"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// Table statements.
//
// A table statement (txn.DDL: TRUNCATE, DROP, RENAME, an ALTER that drops
// or retypes columns) of a table a route sends becomes a control record
// on that route's stream: the envelope's op "ddl" record, or the dms
// format's record-type control record. It is keyed "schema.table" whatever
// the route's partition key.
//
// A consumer reads each shard on its own, and the records of the table's
// rows are spread over every shard by their keys. One control record on
// one shard would race them: a consumer could apply a TRUNCATE before
// earlier inserts that wait on another shard, or after later ones. So the
// sink sends the control record to every open shard of the stream, each
// copy with an explicit hash key that puts it in that shard, and makes it
// a barrier: it first waits until Kinesis acknowledged every record queued
// before (Flush), then queues the copies and waits for them too before
// Apply returns. Every shard then holds, in order, the records that came
// before the statement, the control record, and those after it.
//
// The shard map is read (ListShards) at each statement, so it is current.
// Without the permission to list shards, or when listing fails, one copy
// goes under the "schema.table" key alone (logged): its order relative to
// row records on other shards is then not guaranteed.

// controlOp is the failed store's operation for a control record.
const controlOp = "ddl"

// applyDDL sends the control records of txn's table statements (see
// above); prev is the transaction sent before and last the index of each
// stream's last record (dms format, see lastRecords). The statements must
// pass envelope.CheckDDL.
func (s *Sink) applyDDL(ctx context.Context, txn *change.Txn, prev dms.Prev, last map[string]int) error {
	type control struct {
		r    *route
		j    int
		pk   string
		data []byte
	}
	var controls []control
	for j := range txn.DDL {
		d := &txn.DDL[j]
		r := s.routeOf(d.QualifiedName())
		if r.stream == "" || !s.sendsStatement(d) {
			continue
		}
		row := envelope.DDLRow(txn, j)
		var data []byte
		if s.opts.Format == FormatDMS {
			isLast := txn.Last && last[r.stream] == len(txn.Changes)+j
			at := dms.Context{Prev: prev, Last: isLast, Inner: !isLast}
			data = dms.AppendControlAfter(nil, txn, j, row, at, r.dms)
			s.dms.sent(txn, row)
		} else {
			data = envelope.AppendDDL(nil, txn, j, row)
		}
		controls = append(controls, control{r: r, j: j, pk: fitKey(d.QualifiedName()), data: data})
	}
	if len(controls) == 0 {
		return nil
	}
	if err := s.Flush(ctx); err != nil {
		return fmt.Errorf("waiting for the records before a table statement of transaction %d from %s: %w", txn.Seq, txn.Source, err)
	}
	shards := map[string][]string{}
	for _, c := range controls {
		d := &txn.DDL[c.j]
		hashKeys, listed := shards[c.r.stream]
		if !listed {
			hashKeys = s.shardHashKeys(ctx, c.r.stream)
			shards[c.r.stream] = hashKeys
		}
		o := origin{source: txn.Source, gtid: txn.GTID, table: d.QualifiedName(), op: controlOp, pos: txn.Begin}
		if txn.Last {
			o.pos = txn.End
		}
		if len(hashKeys) == 0 {
			hashKeys = []string{""}
		}
		for _, hk := range hashKeys {
			rec := &record{data: c.data, size: len(c.data) + len(c.pk), origin: o, control: true, hashKey: hk}
			if err := s.enqueue(ctx, c.r.stream, c.pk, rec); err != nil {
				return err
			}
		}
	}
	if err := s.Flush(ctx); err != nil {
		return fmt.Errorf("sending the control records of transaction %d from %s: %w", txn.Seq, txn.Source, err)
	}
	return nil
}

// sendsStatement reports whether the control record of d is sent: in the
// dms format without table_alter_operations only TRUNCATE's are.
func (s *Sink) sendsStatement(d *change.DDL) bool {
	return s.opts.Format != FormatDMS || d.Kind == change.DDLTruncate || s.opts.DMS.tableAlterOperations()
}

// shardHashKeys returns, for each open shard of stream, the starting hash
// key of its range in decimal, an explicit hash key that puts a record in
// it; nil when the shards cannot be listed.
func (s *Sink) shardHashKeys(ctx context.Context, stream string) []string {
	lister, ok := s.api.(ShardLister)
	if !ok {
		s.log.Warn("sending a control record to one shard only: the client cannot list shards", "stream", stream)
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	m, err := listShards(lctx, lister, stream)
	cancel()
	if err != nil {
		s.log.Warn("sending a control record to one shard only: cannot list the stream's shards", "stream", stream, "err", err)
		return nil
	}
	out := make([]string, len(m.starts))
	for i, h := range m.starts {
		out[i] = h.String()
	}
	return out
}

// String returns h in decimal, as Kinesis writes hash keys.
func (h hashKey128) String() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], h[0])
	binary.BigEndian.PutUint64(b[8:], h[1])
	return new(big.Int).SetBytes(b[:]).String()
}

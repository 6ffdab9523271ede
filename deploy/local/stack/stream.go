package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tributary-cdc/tributary/deploy/local/demo"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// printStream reads the demo stream back, checks that every partition
// key's records are in source order, and prints the count per shard and
// the first n records.
func printStream(ctx context.Context, dir string, n int, stdout io.Writer) error {
	recs, err := demo.ReadDemoStream(ctx, dir)
	if err != nil {
		return err
	}
	if err := checkKeyOrder(recs); err != nil {
		return err
	}
	perShard := map[string]int{}
	var shards []string
	for _, r := range recs {
		if perShard[r.Shard] == 0 {
			shards = append(shards, r.Shard)
		}
		perShard[r.Shard]++
	}
	parts := make([]string, len(shards))
	for i, s := range shards {
		parts[i] = fmt.Sprintf("%s: %d", s, perShard[s])
	}
	fmt.Fprintf(stdout, "  %d records (%s), each key's in source order\n", len(recs), strings.Join(parts, ", "))
	for _, r := range recs[:min(n, len(recs))] {
		fmt.Fprintf(stdout, "  %s #%s  partition key %s\n    %s\n", r.Shard, r.SequenceNumber, r.PartitionKey, shorten(r.Data, 300))
	}
	return nil
}

// shorten returns data, or its first bytes up to a character boundary
// near max and a note of its length.
func shorten(data []byte, max int) string {
	if len(data) <= max {
		return string(data)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(data[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", data[:cut], len(data))
}

// position is where a native record's change is in its source.
type position struct {
	Source string `json:"source"`
	GTID   string `json:"gtid"`
	Row    int    `json:"row"`
}

// checkKeyOrder checks that within each partition key the records follow
// their source's GTID sequence and row order (the demo's sources use one
// GTID domain each).
func checkKeyOrder(recs []testenv.StreamRecord) error {
	type at struct {
		seq uint64
		row int
	}
	last := map[string]at{}
	for _, r := range recs {
		var p position
		if err := json.Unmarshal(r.Data, &p); err != nil {
			return fmt.Errorf("record %s of %s: %w", r.SequenceNumber, r.Shard, err)
		}
		i := strings.LastIndexByte(p.GTID, '-')
		seq, err := strconv.ParseUint(p.GTID[i+1:], 10, 64)
		if err != nil {
			return fmt.Errorf("record %s of %s: gtid %q: %w", r.SequenceNumber, r.Shard, p.GTID, err)
		}
		cur := at{seq, p.Row}
		key := p.Source + "\x00" + r.PartitionKey
		if prev, ok := last[key]; ok && (cur.seq < prev.seq || (cur.seq == prev.seq && cur.row <= prev.row)) {
			return fmt.Errorf("partition key %s: record %s (gtid %s row %d) after a later change", r.PartitionKey, r.SequenceNumber, p.GTID, p.Row)
		}
		last[key] = cur
	}
	return nil
}

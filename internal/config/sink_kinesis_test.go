package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/sink/kinesis"
)

func TestKinesisSinkParses(t *testing.T) {
	doc := "pebble: {dir: p}\n" + source +
		"sinks:\n" +
		"  - name: stream\n" +
		"    type: kinesis\n" +
		"    kinesis:\n" +
		"      region: eu-west-1\n" +
		"      endpoint: http://127.0.0.1:4567\n" +
		"      format: dms\n" +
		"      dms: {before_image: false, transaction_details: true}\n" +
		"      stream: changes\n" +
		"      partition_key: table\n" +
		"      aggregate: true\n" +
		"      oversize: drop_columns\n" +
		"      drop_columns: []\n" +
		"      flush_interval: 50ms\n" +
		"      max_in_flight: 8\n" +
		"      max_buffered_bytes: 33554432\n" +
		"      routes:\n" +
		"        - {tables: shop.orders, stream: orders, partition_key: primary_key, aggregate: false}\n" +
		"        - {tables: 'shop.photo*', oversize: drop_columns, drop_columns: [photo]}\n" +
		"        - {tables: audit.*, partition_key: 'constant:audit', oversize: fail}\n"
	cfg, err := config.Parse("t.yaml", []byte(doc))
	require.NoError(t, err)
	no := false
	k := cfg.Sinks[0].Kinesis
	require.Equal(t, &kinesis.Options{
		Region: "eu-west-1", Endpoint: "http://127.0.0.1:4567", Format: "dms",
		DMS:    &kinesis.DMSOptions{BeforeImage: &no, TransactionDetails: true},
		Stream: "changes", PartitionKey: "table", Aggregate: true, Oversize: "drop_columns", DropColumns: []string{},
		FlushInterval: 50 * time.Millisecond, MaxInFlight: 8, MaxBufferedBytes: 32 << 20,
		Routes: []kinesis.Route{
			{Tables: "shop.orders", Stream: "orders", PartitionKey: "primary_key", Aggregate: &no},
			{Tables: "shop.photo*", Oversize: "drop_columns", DropColumns: []string{"photo"}},
			{Tables: "audit.*", PartitionKey: "constant:audit", Oversize: "fail"},
		},
	}, k)

	minimal, err := config.Parse("t.yaml", []byte("pebble: {dir: p}\n"+source+
		"sinks:\n  - name: s\n    type: kinesis\n    kinesis: {region: us-east-1, routes: [{tables: '*.*', stream: all}]}\n"))
	require.NoError(t, err)
	require.Nil(t, minimal.Sinks[0].Kinesis.Routes[0].DropColumns, "unset drop_columns stays nil")
}

func TestKinesisSinkProblems(t *testing.T) {
	tests := []struct {
		name  string
		block string // the kinesis block, from line 10
		want  config.Problem
	}{
		{"missing block", "",
			config.Problem{Line: 8, Column: 5, Key: "sinks[0].kinesis", Message: "is required for type kinesis"}},
		{"missing region", "    kinesis: {stream: s}\n",
			config.Problem{Line: 10, Column: 14, Key: "sinks[0].kinesis.region", Message: "is required"}},
		{"no stream nor routes", "    kinesis: {region: r}\n",
			config.Problem{Line: 10, Column: 14, Key: "sinks[0].kinesis", Message: "either stream or routes is required"}},
		{"bad endpoint", "    kinesis: {region: r, stream: s, endpoint: '127.0.0.1:4567'}\n",
			config.Problem{Line: 10, Column: 47, Key: "sinks[0].kinesis.endpoint", Message: "must be an http or https URL, for example http://127.0.0.1:4567"}},
		{"bad format", "    kinesis: {region: r, stream: s, format: avro}\n",
			config.Problem{Line: 10, Column: 45, Key: "sinks[0].kinesis.format", Message: "must be native or dms"}},
		{"dms block without format dms", "    kinesis: {region: r, stream: s, dms: {before_image: true}}\n",
			config.Problem{Line: 10, Column: 42, Key: "sinks[0].kinesis.dms", Message: "is only allowed with format dms"}},
		{"dms field collides", "    kinesis: {region: r, stream: s, format: dms, dms: {before_image_field: data}}\n",
			config.Problem{Line: 10, Column: 76, Key: "sinks[0].kinesis.dms.before_image_field", Message: "collides with the record's own field"}},
		{"dms column filter", "    kinesis: {region: r, stream: s, format: dms, dms: {column_filter: lob}}\n",
			config.Problem{Line: 10, Column: 71, Key: "sinks[0].kinesis.dms.column_filter", Message: "must be pk-only, non-lob or all"}},
		{"bad partition key", "    kinesis: {region: r, stream: s, partition_key: 'constant:'}\n",
			config.Problem{Line: 10, Column: 52, Key: "sinks[0].kinesis.partition_key", Message: "must be primary_key, table, transaction, constant:VALUE or expression:EXPR"}},
		{"partition key expression that does not compile", "    kinesis: {region: r, stream: s, partition_key: 'expression:(tenant'}\n",
			config.Problem{Line: 10, Column: 52, Key: "sinks[0].kinesis.partition_key", Message: "expression: unexpected token EOF at column 7"}},
		{"partition key expression reading the clock", "    kinesis: {region: r, stream: s, routes: [{tables: a.b, partition_key: 'expression:string(now())'}]}\n",
			config.Problem{Line: 10, Column: 75, Key: "sinks[0].kinesis.routes[0].partition_key", Message: "expression: now() is not allowed: a replayed change must get the same key"}},
		{"bad oversize", "    kinesis: {region: r, stream: s, oversize: truncate}\n",
			config.Problem{Line: 10, Column: 47, Key: "sinks[0].kinesis.oversize", Message: "must be fail or drop_columns"}},
		{"drop columns without the policy", "    kinesis: {region: r, stream: s, drop_columns: [photo]}\n",
			config.Problem{Line: 10, Column: 51, Key: "sinks[0].kinesis.drop_columns", Message: "only applies with oversize drop_columns"}},
		{"route without tables", "    kinesis: {region: r, stream: s, routes: [{stream: x}]}\n",
			config.Problem{Line: 10, Column: 46, Key: "sinks[0].kinesis.routes[0].tables", Message: "is required"}},
		{"route with a bad pattern", "    kinesis: {region: r, stream: s, routes: [{tables: 'shop.[a'}]}\n",
			config.Problem{Line: 10, Column: 55, Key: "sinks[0].kinesis.routes[0].tables", Message: "invalid pattern: syntax error in pattern"}},
		{"route without a stream", "    kinesis: {region: r, routes: [{tables: a.b}]}\n",
			config.Problem{Line: 10, Column: 35, Key: "sinks[0].kinesis.routes[0].stream", Message: "is required when the sink has no stream"}},
		{"route with a bad partition key", "    kinesis: {region: r, stream: s, routes: [{tables: a.b, partition_key: row}]}\n",
			config.Problem{Line: 10, Column: 75, Key: "sinks[0].kinesis.routes[0].partition_key", Message: "must be primary_key, table, transaction, constant:VALUE or expression:EXPR"}},
		{"route drop columns without the policy", "    kinesis: {region: r, stream: s, routes: [{tables: a.b, drop_columns: []}]}\n",
			config.Problem{Line: 10, Column: 74, Key: "sinks[0].kinesis.routes[0].drop_columns", Message: "only applies with oversize drop_columns"}},
		{"flush interval too short", "    kinesis: {region: r, stream: s, flush_interval: 100us}\n",
			config.Problem{Line: 10, Column: 53, Key: "sinks[0].kinesis.flush_interval", Message: "must be between 1ms and 1m0s"}},
		{"too many in flight", "    kinesis: {region: r, stream: s, max_in_flight: 100}\n",
			config.Problem{Line: 10, Column: 52, Key: "sinks[0].kinesis.max_in_flight", Message: "must be between 1 and 64"}},
		{"zero in flight", "    kinesis: {region: r, stream: s, max_in_flight: 0}\n",
			config.Problem{Line: 10, Column: 52, Key: "sinks[0].kinesis.max_in_flight", Message: "must be at least 1"}},
		{"buffer too small", "    kinesis: {region: r, stream: s, max_buffered_bytes: 1000}\n",
			config.Problem{Line: 10, Column: 57, Key: "sinks[0].kinesis.max_buffered_bytes", Message: "must be at least 1048576 (1 MiB)"}},
		{"unknown key", "    kinesis: {region: r, stream: s, shards: 2}\n",
			config.Problem{Line: 10, Column: 37, Key: "sinks[0].kinesis", Message: `unknown key "shards"`}},
		{"block of another type", "    kinesis: {region: r, stream: s}\n    jsonl: {path: x}\n",
			config.Problem{Line: 11, Column: 12, Key: "sinks[0].jsonl", Message: "is only allowed with type jsonl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "pebble: {dir: p}\n" + source + "sinks:\n  - name: s\n    type: kinesis\n" + tt.block
			_, err := config.Parse("t.yaml", []byte(doc))
			var problems config.Problems
			require.ErrorAs(t, err, &problems)
			tt.want.File = "t.yaml"
			require.Contains(t, problems, tt.want)
		})
	}
}

func TestKinesisSinkInheritedDropColumns(t *testing.T) {
	// The sink's drop_columns serve a route that sets the policy alone.
	doc := "pebble: {dir: p}\n" + source + "sinks:\n  - name: s\n    type: kinesis\n" +
		"    kinesis: {region: r, stream: s, drop_columns: [photo], routes: [{tables: a.b, oversize: drop_columns}]}\n"
	_, err := config.Parse("t.yaml", []byte(doc))
	require.NoError(t, err)
}

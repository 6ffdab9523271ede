package dms

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func capture(t *testing.T, lines ...string) []Record {
	t.Helper()
	recs, err := ReadCapture(strings.NewReader(strings.Join(lines, "\n")))
	require.NoError(t, err)
	return recs
}

const (
	createFoo = `{"control":{"table-def":{"columns":{"id":{"type":"INT32","nullable":false},"v":{"type":"STRING","nullable":true}},"primary-key":["id"]}},"metadata":{"timestamp":"2024-07-29T00:30:47.266581Z","record-type":"control","operation":"create-table","partition-key-type":"task-id","partition-key-value":"%s","schema-name":"public","table-name":"foo"}}`
	insertFoo = `{"data":{"id":%s,"v":"%s"},"metadata":{"timestamp":"%s","record-type":"data","operation":"insert","partition-key-type":"schema-table","schema-name":"public","table-name":"foo","transaction-id":%s,"transaction-record-id":1,"commit-timestamp":"%s","stream-position":"%s"}}`
)

func rec(format string, args ...string) string {
	out := format
	for _, a := range args {
		out = strings.Replace(out, "%s", a, 1)
	}
	return out
}

func TestCompare(t *testing.T) {
	theirs := capture(t,
		rec(createFoo, "serv-res-id-1"),
		rec(insertFoo, "1", "a", "2024-07-29T00:58:17.983670Z", "1139", "2024-07-29T00:58:17.974340Z", "00000002/7C007178.3.00000002/7C007178"),
		rec(insertFoo, "2", "b", "2024-07-29T00:58:18.983670Z", "1140", "2024-07-29T00:58:18.974340Z", "00000002/7C007179.3.00000002/7C007179"),
		rec(insertFoo, "3", "c", "2024-07-29T00:58:19.983670Z", "1141", "2024-07-29T00:58:19.974340Z", "00000002/7C00717A.3.00000002/7C00717A"),
	)
	same := capture(t,
		rec(createFoo, "tributary"),
		rec(insertFoo, "2", "b", "2026-01-01T00:00:00.000000Z", "77", "2026-01-01T00:00:00.000000Z", "mysql-bin.000001:9:-1:9:77:mysql-bin.000001:4"),
		rec(insertFoo, "1", "a", "2026-01-01T00:00:00.000000Z", "76", "2026-01-01T00:00:00.000000Z", "mysql-bin.000001:5:-1:5:76:mysql-bin.000001:4"),
		rec(insertFoo, "3", "c", "2026-01-01T00:00:00.000000Z", "78", "2026-01-01T00:00:00.000000Z", "x"),
	)
	res := Compare(same, theirs, IgnoredFields)
	require.Empty(t, res.Differences, "the same changes, in another order, at other times, with other ids")
	require.Equal(t, 4, res.Equal)
	copies := append(capture(t, rec(createFoo, "tributary")), same...)
	res = Compare(copies, theirs, IgnoredFields)
	require.Empty(t, res.Differences, "a control record sent to every shard counts once")
	require.Equal(t, 1, res.Repeats)

	differ := capture(t,
		rec(createFoo, "tributary"),
		rec(insertFoo, "1", "A", "2026-01-01T00:00:00.000000Z", "76", "2026-01-01T00:00:00.000000Z", "p"),
		rec(insertFoo, "3", "c", "2026-01-01T00:00:00.000000Z", "78", "2026-01-01T00:00:00.000000Z", "p"),
		rec(insertFoo, "4", "d", "2026-01-01T00:00:00.000000Z", "79", "2026-01-01T00:00:00.000000Z", "p"),
	)
	res = Compare(differ, theirs, IgnoredFields)
	require.Equal(t, 2, res.Equal)
	require.Len(t, res.Differences, 3)
	d := res.Differences[0]
	require.Equal(t, 2, d.Ours.Line)
	require.Equal(t, 2, d.Theirs.Line)
	require.Equal(t, []string{"data.v"}, d.Fields, "the same change with another value")
	require.Equal(t, 4, res.Differences[1].Ours.Line, "only in ours")
	require.Nil(t, res.Differences[1].Theirs)
	require.Equal(t, 3, res.Differences[2].Theirs.Line, "only in theirs")
	require.Nil(t, res.Differences[2].Ours)
	require.Equal(t, "line 3: data insert public.foo", res.Differences[2].Theirs.Describe())

	// Nothing ignored: the timestamps and ids differ too.
	res = Compare(same, theirs, nil)
	require.Len(t, res.Differences, 3, "the inserts, paired by key")
}

// TestCompareTaskRecords compares the fixtures of real tasks with
// themselves, and with the records Tributary writes for the same changes.
func TestCompareTaskRecords(t *testing.T) {
	var theirs, ours []Record
	for i, line := range taskRecords(t) {
		theirs = append(theirs, capture(t, string(line))[0])
		theirs[i].Line = i + 1
	}
	require.Empty(t, Compare(theirs, theirs, nil).Differences)
	for i, line := range ourRecords(t) {
		ours = append(ours, capture(t, string(line))[0])
		ours[i].Line = i + 1
	}
	res := Compare(ours, theirs, IgnoredFields)
	// The fixtures' source logged partial PostgreSQL images (see
	// testdata/dms-task-records.md) and the drop-table record carries its
	// transaction's fields: the rest is equal.
	var fields []string
	for _, d := range res.Differences {
		require.NotNil(t, d.Ours)
		require.NotNil(t, d.Theirs, "every change is paired")
		fields = append(fields, d.Fields...)
	}
	require.ElementsMatch(t, []string{"metadata.transaction-record-id", "before-image.id", "data.age", "data.attributes", "data.name"}, fields)
	require.Equal(t, 5, res.Equal)
}

func TestReadCapture(t *testing.T) {
	record := rec(insertFoo, "1", "a", "t", "1", "t", "p")
	agg := base64.StdEncoding.EncodeToString([]byte(record + "\n" + record + "\n"))
	recs, err := ReadCapture(strings.NewReader(record + "\n\n" + `{"SequenceNumber":"1","Data":"` + agg + `","PartitionKey":"k"}` + "\n"))
	require.NoError(t, err)
	require.Len(t, recs, 3)
	require.Equal(t, []int{1, 3, 3}, []int{recs[0].Line, recs[1].Line, recs[2].Line})

	for _, tt := range []struct{ in, err string }{
		{"{", "line 1: not a JSON object"},
		{record + "\n" + `{"a":1}`, "line 2: neither a dms record"},
		{`{"Data":"!!"}`, "line 1: Data is not base64"},
		{`{"Data":"` + base64.StdEncoding.EncodeToString([]byte(`{"a":1}`)) + `"}`, "line 1: the Kinesis record's data has no metadata"},
		{`{"metadata":{}} {}`, "more than one JSON value"},
	} {
		_, err := ReadCapture(strings.NewReader(tt.in))
		require.ErrorIs(t, err, ErrBadCapture)
		require.ErrorContains(t, err, tt.err)
	}
}

func TestUntil(t *testing.T) {
	at := func(pos string) string {
		return `{"data":{"id":1},"metadata":{"record-type":"data","operation":"insert","schema-name":"s","table-name":"t","stream-position":"` + pos + `"}}`
	}
	recs := capture(t,
		rec(createFoo, "x"),
		at("mysql-bin.000002:400:-1:400:7:mysql-bin.000002:100"), // ended before the stop
		at("mysql-bin.000002:500:-1:500:8:mysql-bin.000002:500"), // begins at the stop: after it
		at("mysql-bin.000001:900:-1:900:6:mysql-bin.000001:900"), // an earlier file
		at("mysql-bin.000003:4:-1:4:9:mysql-bin.000003:4"),
		at("00000002/7C007178.3.00000002/7C007178"), // not a MySQL position: kept
	)
	stop, err := ParseStopPosition("checkpoint:V1#2#mysql-bin.000002:470:-1:500:7:mysql-bin.000002:100#0#0#*#0#1")
	require.NoError(t, err)
	var lines []int
	for _, r := range Until(recs, stop) {
		lines = append(lines, r.Line)
	}
	require.Equal(t, []int{1, 2, 4, 6}, lines)
}

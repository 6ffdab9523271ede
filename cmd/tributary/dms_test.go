package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDMSCompareExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		return path
	}
	insert := func(id, at string) string {
		return `{"data":{"id":` + id + `},"metadata":{"timestamp":"` + at + `","record-type":"data","operation":"insert",` +
			`"partition-key-type":"schema-table","schema-name":"s","table-name":"t","transaction-id":` + id + `}}` + "\n"
	}
	theirs := write("theirs.jsonl", insert("1", "2024-01-01T00:00:00.000000Z")+insert("2", "2024-01-01T00:00:01.000000Z"))
	same := write("same.jsonl", insert("2", "2026-01-01T00:00:00.000000Z")+insert("1", "2026-01-01T00:00:00.000000Z"))
	short := write("short.jsonl", insert("1", "2026-01-01T00:00:00.000000Z"))

	out, err := execute(t, "dms", "compare", "--ours", same, "--theirs", theirs)
	require.NoError(t, err)
	require.Contains(t, out, "2 records in ours, 2 in theirs, 2 equal, 0 differences")

	out, err = execute(t, "dms", "compare", "--ours", short, "--theirs", theirs)
	require.Equal(t, exitFound, exitCode(err), "%v", err)
	require.Contains(t, out, "only in theirs: line 2: data insert s.t")

	out, err = execute(t, "dms", "compare", "--ours", same, "--theirs", theirs, "--compare", "metadata.timestamp")
	require.Equal(t, exitFound, exitCode(err))
	require.Contains(t, out, "differ:         ours line 2: data insert s.t; theirs line 1: data insert s.t: metadata.timestamp")

	// --ignore leaves out fields at any depth; a path no record has, or a
	// --compare of a field compared anyway, is a usage error.
	named := func(name string) string {
		return `{"data":{"id":1,"name":"` + name + `"},"metadata":{"record-type":"data","operation":"insert",` +
			`"partition-key-type":"primary-key","partition-key-value":"1","schema-name":"s","table-name":"t"}}` + "\n"
	}
	ann, bob := write("ann.jsonl", named("ann")), write("bob.jsonl", named("bob"))
	out, err = execute(t, "dms", "compare", "--ours", ann, "--theirs", bob)
	require.Equal(t, exitFound, exitCode(err))
	require.Contains(t, out, "data.name")
	out, err = execute(t, "dms", "compare", "--ours", ann, "--theirs", bob, "--ignore", "data.name")
	require.NoError(t, err)
	require.Contains(t, out, "1 equal, 0 differences")
	_, err = execute(t, "dms", "compare", "--ours", ann, "--theirs", bob, "--ignore", "data.nmae")
	require.Equal(t, exitError, exitCode(err))
	require.ErrorContains(t, err, "--ignore data.nmae: no record of either capture has that field")
	_, err = execute(t, "dms", "compare", "--ours", ann, "--theirs", bob, "--compare", "data.name")
	require.Equal(t, exitError, exitCode(err))
	require.ErrorContains(t, err, "--compare data.name: not a field left out by default")

	// --until leaves out the transactions after the task's stop.
	later := `{"data":{"id":3},"metadata":{"record-type":"data","operation":"insert","schema-name":"s","table-name":"t",` +
		`"stream-position":"mysql-bin.000001:900:-1:900:3:mysql-bin.000001:800"}}` + "\n"
	beyond := write("beyond.jsonl", insert("1", "2026-01-01T00:00:00.000000Z")+insert("2", "2026-01-01T00:00:00.000000Z")+later)
	out, err = execute(t, "dms", "compare", "--ours", beyond, "--theirs", theirs, "--until", "mysql-bin.000001:800")
	require.NoError(t, err)
	require.Contains(t, out, "comparing the transactions that began before mysql-bin.000001:800")
	_, err = execute(t, "dms", "compare", "--ours", beyond, "--theirs", theirs, "--until", "$.000001:800")
	require.NoError(t, err, "the base name comes from a stream-position")
	_, err = execute(t, "dms", "compare", "--ours", beyond, "--theirs", theirs, "--until", "mysql-bin.000001:900")
	require.Equal(t, exitFound, exitCode(err))
	_, err = execute(t, "dms", "compare", "--ours", same, "--theirs", theirs, "--until", "$.000001:800")
	require.ErrorContains(t, err, "give the whole file name")

	_, err = execute(t, "dms", "compare", "--ours", write("bad.jsonl", "{}\n"), "--theirs", theirs)
	require.Equal(t, exitError, exitCode(err))
	require.ErrorContains(t, err, "bad.jsonl: unreadable capture: line 1: neither a dms record")
	_, err = execute(t, "dms", "compare", "--ours", same)
	require.ErrorContains(t, err, "--ours and --theirs are required")
}

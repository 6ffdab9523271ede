package main

import (
	"bytes"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/deploy/local/demo"
	"github.com/tributary-cdc/tributary/deploy/local/expect"
	"github.com/tributary-cdc/tributary/deploy/local/schema"
	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/migrations"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	env := demo.Env{
		"JP_ACCOUNTS_ROOT_DSN": "root@tcp(127.0.0.1:3306)/", "JP_ACCOUNTS_PORT": "3306",
		"KINESIS_ENDPOINT": "http://127.0.0.1:4568", "KINESIS_STREAM": "demo-cooksnaps", "KINESIS_PID": "",
	}
	require.NoError(t, env.Write(filepath.Join(dir, demo.EnvFile)))
	empty := t.TempDir()
	require.NoError(t, demo.Env{}.Write(filepath.Join(empty, demo.EnvFile)))

	tests := []struct {
		name    string
		args    []string
		stdout  string
		wantErr string
	}{
		{name: "no command", args: nil, wantErr: "want one command"},
		{name: "two commands", args: []string{"up", "down"}, wantErr: "want one command"},
		{name: "unknown command", args: []string{"-dir", dir, "start"}, wantErr: `unknown command "start"`},
		{name: "env without stack", args: []string{"-dir", t.TempDir(), "env"}, wantErr: "make up"},
		{name: "down without stack", args: []string{"-dir", t.TempDir(), "down"}},
		{name: "verify without stack", args: []string{"-dir", t.TempDir(), "verify"}, wantErr: "make up"},
		{name: "verify without DSNs", args: []string{"-dir", empty, "verify"}, wantErr: "connecting to jp-accounts: no DSN"},
		{name: "flags after a command", args: []string{"-dir", dir, "env", "-n", "1"}, wantErr: "want one command"},
		{name: "loadgen without stack", args: []string{"-dir", t.TempDir(), "loadgen"}, wantErr: "make up"},
		{name: "loadgen unknown flag", args: []string{"-dir", dir, "loadgen", "--stack", dir}, wantErr: "not defined: -stack"},
		{name: "loadgen argument", args: []string{"-dir", dir, "loadgen", "--rate", "5", "now"}, wantErr: "no arguments"},
		{name: "loadgen without DSNs", args: []string{"-dir", empty, "loadgen", "--transactions", "1"}, wantErr: "source DSN is missing"},
		{
			name: "env",
			args: []string{"-dir", dir, "env"},
			stdout: "export JP_ACCOUNTS_PORT=3306\nexport JP_ACCOUNTS_ROOT_DSN='root@tcp(127.0.0.1:3306)/'\n" +
				"export KINESIS_ENDPOINT=http://127.0.0.1:4568\nexport KINESIS_PID=\nexport KINESIS_STREAM=demo-cooksnaps\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, &stderr)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.stdout, stdout.String())
		})
	}
}

func TestPrintSummary(t *testing.T) {
	env := demo.Env{
		"JP_ACCOUNTS_PORT": "3306", "JP_ACCOUNTS_PID": "11", "JP_ACCOUNTS_ROOT_DSN": "root@tcp(127.0.0.1:3306)/",
		"KINESIS_ENDPOINT": "http://127.0.0.1:4568", "KINESIS_PID": "12", "KINESIS_STREAM": "demo-cooksnaps",
	}
	var b bytes.Buffer
	printSummary(&b, env, ".local/stack.env")
	require.Contains(t, b.String(), "jp-accounts    3306   11       root@tcp(127.0.0.1:3306)/\n")
	require.Contains(t, b.String(), "\nKinesis emulator http://127.0.0.1:4568 (pid 12), stream demo-cooksnaps\n")
}

func TestPrintDiffs(t *testing.T) {
	var b bytes.Buffer
	equal := printDiffs(&b, []expect.Diff{
		{Table: "global.members", Want: 123, Got: 123},
		{Table: "global.recipes", Want: 3, Got: 2, Missing: []string{"7\t1\t\\N"}, Unexpected: []string{"8\t1\tx"}},
	})
	require.False(t, equal)
	require.Equal(t, "  global.members         123 rows  equal to the mapped sources\n"+
		"  global.recipes           2 rows  DIFFERS from the mapped sources (want 3 rows, got 2)\n"+
		"    missing     7\t1\t\\N\n"+
		"    unexpected  8\t1\tx\n", b.String())
	require.True(t, printDiffs(io.Discard, []expect.Diff{{Table: "global.members"}}))
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		diffs []expect.Diff
		want  string
	}{
		{[]expect.Diff{{Table: "global.members", Want: 3, Got: 3}, {Table: "global.recipes"}},
			"verify: PASS — every target table equal to the mapped sources"},
		{[]expect.Diff{{Table: "global.members", Want: 3, Got: 3, Missing: []string{"x"}, Unexpected: []string{"y"}},
			{Table: "global.recipes", Want: 1, Got: 0, Missing: []string{"z"}}},
			"verify: FAIL — global.members differs (3 rows, values differ); global.recipes differs (want 1 row, got 0)"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, verdict(tt.diffs))
	}
}

// TestVerify runs verify against two servers standing in for the stack's
// four: the second account shard needs its own, the other schemas share one.
func TestVerify(t *testing.T) {
	one := testenv.StartT(t, testenv.Options{ServerID: 1})
	two := testenv.StartT(t, testenv.Options{ServerID: 2})
	migration, err := fs.ReadFile(migrations.FS, "00001_global_schema.sql")
	require.NoError(t, err)
	_, up, _ := strings.Cut(string(migration), "-- +goose Up")
	up, _, _ = strings.Cut(up, "-- +goose Down")
	for _, script := range []string{schema.Accounts, schema.Recipes, schema.Target, up} {
		one.Exec(t, schema.Statements(script)...)
	}
	two.Exec(t, schema.Statements(schema.Accounts)...)
	dir := t.TempDir()
	env := demo.Env{}
	for _, s := range demo.Servers {
		srv := one
		if s.Name == "jp-accounts-2" {
			srv = two
		}
		env[s.Prefix()+demo.SuffixRootDSN] = srv.DSN("root", "", "")
	}
	require.NoError(t, env.Write(filepath.Join(dir, demo.EnvFile)))

	var stdout bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"-dir", dir, "verify"}, &stdout, io.Discard))
	require.Equal(t, "  global.members           0 rows  equal to the mapped sources\n"+
		"  global.recipes           0 rows  equal to the mapped sources\n"+
		"  global.cooksnaps         0 rows  equal to the mapped sources\n"+
		"verify: PASS — every target table equal to the mapped sources\n", stdout.String())

	two.Exec(t, "INSERT INTO accounts.users (id, email, name, created_at) VALUES (7, 'a@x', 'Aiko', NOW())")
	stdout.Reset()
	err = run(t.Context(), []string{"-dir", dir, "verify"}, &stdout, io.Discard)
	require.ErrorIs(t, err, errDiffers)
	require.Contains(t, stdout.String(), "global.members           0 rows  DIFFERS from the mapped sources (want 1 row, got 0)\n"+
		"    missing     1000000007\ta@x\tAiko\t\\N\t\\N\n")
	require.True(t, strings.HasSuffix(stdout.String(), "\nverify: FAIL — global.members differs (want 1 row, got 0)\n"),
		"one verdict line ends the output:\n%s", stdout.String())
}

// TestLoadgen runs the load against two servers standing in for the
// stack's sources, as TestVerify does, and checks what it prints.
func TestLoadgen(t *testing.T) {
	one := testenv.StartT(t, testenv.Options{ServerID: 1})
	two := testenv.StartT(t, testenv.Options{ServerID: 2})
	one.Exec(t, schema.Statements(schema.Accounts)...)
	one.Exec(t, schema.Statements(schema.Recipes)...)
	two.Exec(t, schema.Statements(schema.Accounts)...)
	dir := t.TempDir()
	env := demo.Env{}
	for _, s := range demo.Servers {
		srv := one
		if s.Name == "jp-accounts-2" {
			srv = two
		}
		env[s.Prefix()+demo.SuffixRootDSN] = srv.DSN("root", "", "")
	}
	require.NoError(t, env.Write(filepath.Join(dir, demo.EnvFile)))

	var stdout bytes.Buffer
	args := []string{"-dir", dir, "loadgen", "--transactions", "30", "--rate", "0", "--seed", "7", "--workers", "1"}
	require.NoError(t, run(t.Context(), args, &stdout, io.Discard))
	require.Regexp(t, `^\d+ transactions committed in \S+ \(\S+/s\), \d+ retried, \d+ failed\n`, stdout.String())
	require.Contains(t, stdout.String(), "accounts.users")
}

func TestCheckKeyOrder(t *testing.T) {
	rec := func(key, gtid string, row int) testenv.StreamRecord {
		return testenv.StreamRecord{Shard: "s", SequenceNumber: gtid, PartitionKey: key,
			Data: []byte(`{"source":"a","gtid":"` + gtid + `","row":` + strconv.Itoa(row) + `}`)}
	}
	require.NoError(t, checkKeyOrder([]testenv.StreamRecord{
		rec("k1", "2-2-9", 0), rec("k2", "2-2-3", 0), rec("k1", "2-2-9", 1), rec("k1", "2-2-10", 0),
	}))
	require.ErrorContains(t, checkKeyOrder([]testenv.StreamRecord{rec("k1", "2-2-10", 0), rec("k1", "2-2-9", 4)}),
		"partition key k1: record 2-2-9 (gtid 2-2-9 row 4) after a later change")
	require.ErrorContains(t, checkKeyOrder([]testenv.StreamRecord{rec("k1", "2-2-9", 1), rec("k1", "2-2-9", 1)}),
		"after a later change")
}

func TestShorten(t *testing.T) {
	require.Equal(t, "abc", shorten([]byte("abc"), 3))
	require.Equal(t, "ab… (5 bytes)", shorten([]byte("abcde"), 2))
	require.Equal(t, "a… (4 bytes)", shorten([]byte("aé!"), 2), "never splits a character")
}

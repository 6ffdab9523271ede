package replicator_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// Moving from DMS: a DMS task stopped after the third of five
// transactions; checkpoint set --from-dms with its recovery checkpoint
// starts the service exactly after it, so the dms stream holds the last
// two transactions and nothing else, and dms compare finds them equal to
// the records DMS would have written for them.
func TestMovingFromDMS(t *testing.T) {
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	srv.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.foo (id INT PRIMARY KEY, age INT, name VARCHAR(64))",
		"INSERT INTO app.foo VALUES (1, 30, 'John')",
		"INSERT INTO app.foo VALUES (2, 31, 'Jane')",
		"UPDATE app.foo SET age = 33 WHERE id = 1",
		"DELETE FROM app.foo WHERE id = 2",
		"INSERT INTO app.foo VALUES (3, 40, 'Ann')")
	k := testenv.StartKinesisT(t)
	require.NoError(t, k.CreateStream(t.Context(), "orders", 1))

	// The task's recovery checkpoint after the update, in DMS's layout:
	// the commit's offset, -1, the next event's, an id, the begin.
	var begins, commits, nexts []uint32
	rows, err := srv.DB(t, "").QueryContext(t.Context(), "SHOW BINLOG EVENTS IN 'mysql-bin.000001'")
	require.NoError(t, err)
	for rows.Next() {
		var log, typ, info string
		var pos, server, end uint32
		require.NoError(t, rows.Scan(&log, &pos, &typ, &server, &end, &info))
		switch {
		case typ == "Gtid":
			begins = append(begins, pos)
		case typ == "Xid":
			commits, nexts = append(commits, pos), append(nexts, end)
		}
	}
	require.NoError(t, rows.Close())
	require.Len(t, commits, 5, "the five row transactions")
	// begins holds the DDL statements' GTIDs first.
	begin := begins[len(begins)-5+2]
	ckpt := fmt.Sprintf("checkpoint:V1#3#$.000001:%d:-1:%d:1140:$.000001:%d#0#0#*#0#7", commits[2], nexts[2], begin)

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `log:
  format: text
pebble:
  dir: %s
http:
  listen: %s
sources:
  - name: alpha
    host: 127.0.0.1
    port: %d
    user: root
    server_id: 5001
sinks:
  - name: orders
    type: kinesis
    kinesis:
      region: us-east-1
      endpoint: %s
      stream: orders
      format: dms
      partition_key: table
      dms:
        column_filter: pk-only
        transaction_details: true
        partition_value: true
        partition_include_schema_table: true
        control_details: true
        task_id: orders-cdc
`, filepath.Join(dir, "pebble"), testenv.FreeAddr(t), srv.Port, k.Endpoint), 0o600))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	out, err := exec.Command(bin, "checkpoint", "set", "--config", cfgPath, "--source", "alpha", "--from-dms", ckpt).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), fmt.Sprintf("going on at mysql-bin.000001:%d, from --from-dms", nexts[2]))

	logs := &testenv.LogBuffer{}
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	cmd.Stderr = logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitStreaming(t, cfg)
	out, err = exec.Command(bin, "status", "--config", cfgPath, "--wait", "--timeout", "2m").CombinedOutput()
	require.NoError(t, err, "%s\nservice log:\n%s", out, logs)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "%s", logs)

	// The capture, as get-records prints records, one a line.
	recs, err := k.ReadStream(t.Context(), "orders")
	require.NoError(t, err)
	var capture strings.Builder
	var ops []string
	for _, r := range recs {
		var rec struct {
			Metadata map[string]any `json:"metadata"`
		}
		require.NoError(t, json.Unmarshal(r.Data, &rec), "%s", r.Data)
		ops = append(ops, fmt.Sprint(rec.Metadata["operation"]))
		line, err := json.Marshal(map[string]string{"PartitionKey": r.PartitionKey, "Data": base64.StdEncoding.EncodeToString(r.Data)})
		require.NoError(t, err)
		capture.Write(line)
		capture.WriteByte('\n')
	}
	require.Equal(t, []string{"create-table", "delete", "insert"}, ops, "exactly the transactions after the checkpoint")
	ours := filepath.Join(dir, "ours.jsonl")
	require.NoError(t, os.WriteFile(ours, []byte(capture.String()), 0o600))

	// What the task would have gone on to write, in the layout of real
	// DMS records: another task id, its own transaction ids, times and
	// positions.
	theirs := filepath.Join(dir, "theirs.jsonl")
	require.NoError(t, os.WriteFile(theirs, []byte(`{"control":{"table-def":{"columns":{"id":{"nullable":false,"type":"INT32"},"age":{"nullable":true,"type":"INT32"},"name":{"length":64,"nullable":true,"type":"STRING"}},"primary-key":["id"]}},"metadata":{"operation":"create-table","partition-key-type":"task-id","partition-key-value":"serv-res-id-1722195358878-yhru","record-type":"control","schema-name":"app","table-name":"foo","timestamp":"2024-07-29T00:30:47.266581Z"}}
{"data":{"id":2,"age":31,"name":"Jane"},"metadata":{"commit-timestamp":"2024-07-29T01:09:25.366257Z","operation":"delete","partition-key-type":"schema-table","record-type":"data","schema-name":"app","stream-position":"mysql-bin.000001:9999:-1:10030:1144:mysql-bin.000001:9900","table-name":"foo","timestamp":"2024-07-29T01:09:25.375525Z","transaction-id":1144,"transaction-record-id":1}}
{"data":{"id":3,"age":40,"name":"Ann"},"metadata":{"commit-timestamp":"2024-07-29T01:09:26.366257Z","operation":"insert","partition-key-type":"schema-table","prev-transaction-id":1144,"prev-transaction-record-id":1,"record-type":"data","schema-name":"app","stream-position":"mysql-bin.000001:10100:-1:10131:1145:mysql-bin.000001:10040","table-name":"foo","timestamp":"2024-07-29T01:09:26.375525Z","transaction-id":1145,"transaction-record-id":1}}
`), 0o600))
	out, err = exec.Command(bin, "dms", "compare", "--ours", ours, "--theirs", theirs).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "3 records in ours, 3 in theirs, 3 equal, 0 differences")
}

package mysql

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"
	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// BenchmarkBulkForms writes the same 200,000 sysbench-like rows (id, k,
// CHAR(120), CHAR(60)) from memory into empty tables with 4 connections,
// in upserts of 500 rows committed 20 statements at a time, in each form
// an applier could send them: the interpolated INSERT ... ON DUPLICATE KEY
// UPDATE text, the same statement prepared once per connection with bound
// values, and LOAD DATA LOCAL from a stream into a session temporary table
// followed by INSERT ... SELECT ... ON DUPLICATE KEY UPDATE. Two forms
// that drop the upsert's semantics are measured beside them, as bounds of
// what the upsert costs: a prepared plain INSERT, and LOAD DATA LOCAL
// straight into the table (which, LOCAL, skips duplicates and turns
// errors into warnings), and the rows as the row events a replica
// applies, sent as BINLOG statements (what mariadb-binlog prints for a
// replay), which skip the SQL layer but need the SUPER or BINLOG REPLAY
// privilege and, like a plain INSERT, fail on a duplicate. It reports the
// rows/s of each and the target's CPU a row. Run it with -benchtime=1x.
func BenchmarkBulkForms(b *testing.B) {
	const rows, perStmt, perTxn, conns = 200_000, 500, 20, 4
	ddl := "(id INT NOT NULL PRIMARY KEY, k INT NOT NULL DEFAULT 0, c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '', KEY k_1 (k))"
	forms := []string{"text_form", "prepared_form", "load_form", "plain_form", "direct_form", "events_form"}
	var ddls []string
	for _, name := range forms {
		ddls = append(ddls, "CREATE TABLE tgt."+name+" "+ddl)
	}
	tg := startTarget(b, ddls...)
	data := make([][]any, rows)
	for i := range data {
		h := func(n int) string { s := md5.Sum([]byte(fmt.Sprint(n))); return hex.EncodeToString(s[:]) }
		data[i] = []any{int64(i + 1), int64((i + 1) * 7919 % 100000), h(i) + "-" + h(i+1) + "-" + h(i+2) + "-" + h(i + 3)[:21], h(3*i) + "-" + h(5 * i)[:27]}
	}
	db, err := sql.Open("mysql", tg.srv.DSN("root", "", "tgt")+"&interpolateParams=true")
	require.NoError(b, err)
	defer db.Close()
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	tbl := func(name string) string { return "INSERT INTO " + name + " (id,k,c,pad) VALUES " }
	description, events := rowEvents(b, tg, db, tbl("events_form"), data, perStmt)
	upd := " ON DUPLICATE KEY UPDATE k=VALUES(k),c=VALUES(c),pad=VALUES(pad)"
	text := func(name string) string {
		var q strings.Builder
		q.WriteString(tbl(name))
		for i := range perStmt {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?)")
		}
		q.WriteString(upd)
		return q.String()
	}
	args := func(chunk [][]any) []any {
		out := make([]any, 0, 4*len(chunk))
		for _, r := range chunk {
			out = append(out, r...)
		}
		return out
	}
	// run gives each connection every conns-th chunk of perStmt rows and
	// commits perTxn chunks at a time with write.
	run := func(write func(ctx context.Context, c *sql.Conn, tx *sql.Tx, w int, chunk [][]any) error, setup func(ctx context.Context, c *sql.Conn, w int) error) float64 {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, conns)
		start := time.Now()
		for w := range conns {
			wg.Go(func() {
				c, err := db.Conn(ctx)
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				if setup != nil {
					if err := setup(ctx, c, w); err != nil {
						errs <- err
						return
					}
				}
				var tx *sql.Tx
				n := 0
				for lo := w * perStmt; lo < rows; lo += conns * perStmt {
					if tx == nil {
						if tx, err = c.BeginTx(ctx, nil); err != nil {
							errs <- err
							return
						}
					}
					if err := write(ctx, c, tx, w, data[lo:min(lo+perStmt, rows)]); err != nil {
						_ = tx.Rollback()
						errs <- err
						return
					}
					if n++; n%perTxn == 0 {
						if err := tx.Commit(); err != nil {
							errs <- err
							return
						}
						tx = nil
					}
				}
				if tx != nil {
					if err := tx.Commit(); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(b, err)
		}
		return rows / time.Since(start).Seconds()
	}
	for b.Loop() {
		for _, name := range forms {
			tg.srv.Exec(b, "TRUNCATE TABLE tgt."+name)
		}
		var textRate, prepRate, loadRate, plainRate, directRate, eventsRate float64
		cpu := map[*float64]float64{} // the target's CPU a row, by form
		pstmts := make([]*sql.Stmt, conns)
		stmts := make([]*sql.Stmt, conns)
		runs := []func(){func() {
			textRate = run(func(ctx context.Context, _ *sql.Conn, tx *sql.Tx, _ int, chunk [][]any) error {
				q := text("text_form")
				if len(chunk) < perStmt {
					q = strings.Replace(q, strings.Repeat(",(?,?,?,?)", perStmt-len(chunk)), "", 1)
				}
				_, err := tx.ExecContext(ctx, q, args(chunk)...)
				return err
			}, nil)
		}, func() {
			prepRate = run(func(ctx context.Context, _ *sql.Conn, tx *sql.Tx, w int, chunk [][]any) error {
				_, err := tx.StmtContext(ctx, stmts[w]).ExecContext(ctx, args(chunk)...)
				return err
			}, func(ctx context.Context, c *sql.Conn, w int) error {
				var err error
				stmts[w], err = c.PrepareContext(ctx, text("prepared_form"))
				return err
			})
		}, func() {
			plainRate = run(func(ctx context.Context, _ *sql.Conn, tx *sql.Tx, w int, chunk [][]any) error {
				_, err := tx.StmtContext(ctx, pstmts[w]).ExecContext(ctx, args(chunk)...)
				return err
			}, func(ctx context.Context, c *sql.Conn, w int) error {
				var err error
				pstmts[w], err = c.PrepareContext(ctx, strings.TrimSuffix(text("plain_form"), upd))
				return err
			})
		}, func() {
			directRate = run(func(ctx context.Context, _ *sql.Conn, tx *sql.Tx, w int, chunk [][]any) error {
				name := fmt.Sprintf("bulkdirect%d", w)
				mysqldriver.RegisterReaderHandler(name, func() io.Reader { return strings.NewReader(tsv(chunk)) })
				defer mysqldriver.DeregisterReaderHandler(name)
				_, err := tx.ExecContext(ctx, "LOAD DATA LOCAL INFILE 'Reader::"+name+"' INTO TABLE direct_form CHARACTER SET utf8mb4 (id,k,c,pad)")
				return err
			}, nil)
		}, func() {
			loadRate = run(func(ctx context.Context, _ *sql.Conn, tx *sql.Tx, w int, chunk [][]any) error {
				name := fmt.Sprintf("bulkforms%d", w)
				mysqldriver.RegisterReaderHandler(name, func() io.Reader { return strings.NewReader(tsv(chunk)) })
				defer mysqldriver.DeregisterReaderHandler(name)
				for _, q := range []string{"DELETE FROM load_tmp",
					"LOAD DATA LOCAL INFILE 'Reader::" + name + "' INTO TABLE load_tmp CHARACTER SET utf8mb4 (id,k,c,pad)",
					"INSERT INTO load_form (id,k,c,pad) SELECT id,k,c,pad FROM load_tmp" + upd} {
					if _, err := tx.ExecContext(ctx, q); err != nil {
						return fmt.Errorf("%s: %w", q, err)
					}
				}
				return nil
			}, func(ctx context.Context, c *sql.Conn, _ int) error {
				_, err := c.ExecContext(ctx, "CREATE TEMPORARY TABLE load_tmp LIKE load_form")
				return err
			})
		}, func() {
			eventsRate = run(func(ctx context.Context, _ *sql.Conn, tx *sql.Tx, _ int, chunk [][]any) error {
				_, err := tx.ExecContext(ctx, events[int(chunk[0][0].(int64)-1)/perStmt])
				return err
			}, func(ctx context.Context, c *sql.Conn, _ int) error {
				_, err := c.ExecContext(ctx, description) // a session applies row events after one
				return err
			})
		}}
		rates := []*float64{&textRate, &prepRate, &plainRate, &directRate, &loadRate, &eventsRate} // runs' order
		// Each run starts with another form, so none always runs first.
		for i := range runs {
			n := (i + formsTurn) % len(runs)
			cpu0 := procCPU(b, tg.srv.PID)
			runs[n]()
			cpu[rates[n]] = (procCPU(b, tg.srv.PID) - cpu0) / rows * 1e6
		}
		formsTurn++
		for _, name := range forms[1:] {
			require.Equal(b, tg.dump(b, "CHECKSUM TABLE text_form")[0][len("tgt.text_form"):],
				tg.dump(b, "CHECKSUM TABLE "+name)[0][len("tgt.")+len(name):], name)
		}
		b.ReportMetric(textRate, "text-rows/s")
		b.ReportMetric(prepRate, "prepared-rows/s")
		b.ReportMetric(loadRate, "load-data-rows/s")
		b.ReportMetric(plainRate, "plain-insert-rows/s")
		b.ReportMetric(directRate, "load-data-direct-rows/s")
		b.ReportMetric(eventsRate, "row-events-rows/s")
		b.Logf("bounds without the upsert: prepared plain INSERT %.0f rows/s (%.2fx, target %.1f µs/row), LOAD DATA straight into the table %.0f rows/s (%.2fx, %.1f µs/row), row events %.0f rows/s (%.2fx, %.1f µs/row)",
			plainRate, plainRate/textRate, cpu[&plainRate], directRate, directRate/textRate, cpu[&directRate], eventsRate, eventsRate/textRate, cpu[&eventsRate])
		b.Logf("text %.0f rows/s (target %.1f µs/row), prepared %.0f rows/s (%.2fx, %.1f µs/row), LOAD DATA + INSERT ... SELECT %.0f rows/s (%.2fx, %.1f µs/row)",
			textRate, cpu[&textRate], prepRate, prepRate/textRate, cpu[&prepRate], loadRate, loadRate/textRate, cpu[&loadRate])
	}
}

// rowEvents writes data into the table that insert names (an INSERT up
// to VALUES), perStmt rows a statement each in its own transaction, reads
// the row events of those transactions back from the target's binlog and
// empties the table. It returns the binlog's format description and one
// statement a transaction, as BINLOG statements, in data's order.
func rowEvents(b *testing.B, tg *target, db *sql.DB, insert string, data [][]any, perStmt int) (string, []string) {
	ctx := context.Background()
	tg.srv.Exec(b, "FLUSH BINARY LOGS")
	var file string
	var pos int64
	var ignored [2]sql.NullString
	require.NoError(b, tg.db.QueryRowContext(ctx, "SHOW MASTER STATUS").Scan(&file, &pos, &ignored[0], &ignored[1]))
	for lo := 0; lo < len(data); lo += perStmt {
		chunk := data[lo:min(lo+perStmt, len(data))]
		q := insert + strings.TrimSuffix(strings.Repeat("(?,?,?,?),", len(chunk)), ",")
		var args []any
		for _, r := range chunk {
			args = append(args, r...)
		}
		_, err := db.ExecContext(ctx, q, args...)
		require.NoError(b, err)
	}
	statement := func(events [][]byte) string {
		var q strings.Builder
		q.WriteString("BINLOG '")
		for i, e := range events {
			if i > 0 {
				q.WriteByte('\n')
			}
			q.WriteString(base64.StdEncoding.EncodeToString(e))
		}
		q.WriteString("'")
		return q.String()
	}
	var description string
	var stmts []string
	var txn [][]byte
	p := replication.NewBinlogParser()
	p.SetRawMode(true)
	err := p.ParseFile(filepath.Join(tg.srv.Dir, "data", file), pos, func(e *replication.BinlogEvent) error {
		raw := slices.Clone(e.RawData)
		switch e.Header.EventType {
		case replication.FORMAT_DESCRIPTION_EVENT:
			description = statement([][]byte{raw})
		case replication.TABLE_MAP_EVENT:
			txn = [][]byte{raw}
		case replication.WRITE_ROWS_EVENTv1, replication.WRITE_ROWS_EVENTv2:
			txn = append(txn, raw)
		case replication.XID_EVENT:
			if txn != nil {
				stmts = append(stmts, statement(txn))
				txn = nil
			}
		}
		return nil
	})
	require.NoError(b, err)
	require.Len(b, stmts, (len(data)+perStmt-1)/perStmt)
	tg.srv.Exec(b, "TRUNCATE TABLE tgt.events_form")
	return description, stmts
}

// tsv returns rows as LOAD DATA's default format: tab-separated, \N for
// NULL, with backslash, tab and newline escaped.
func tsv(rows [][]any) string {
	esc := strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`)
	var b strings.Builder
	for _, r := range rows {
		for i, v := range r {
			if i > 0 {
				b.WriteByte('\t')
			}
			switch v := v.(type) {
			case nil:
				b.WriteString(`\N`)
			case string:
				b.WriteString(esc.Replace(v))
			default:
				fmt.Fprint(&b, v)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// formsTurn rotates the order of the forms across runs (-count).
var formsTurn int

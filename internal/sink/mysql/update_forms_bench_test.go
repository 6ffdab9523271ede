package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkUpdateForms sets two columns (a MEDIUMTEXT and a VARCHAR) of
// 100,000 existing rows, 1,000 rows a statement and 20 statements a
// commit, in each form an applier could send a run of partial updates:
// the UPDATE joined to a derived table of the rows' values
// (updateJoinSQL), the INSERT of those rows that match an existing one
// with ON DUPLICATE KEY UPDATE (updateInsertSQL), the values in CASE
// expressions over an IN list, and one single-row UPDATE per row sent
// together in one multi-statement round trip. A plain upsert of the same
// columns, which would insert the missing rows, is measured beside them as
// a bound. Every form runs twice: the second time the rows already hold
// the values, as when a merged row's contributor arrives after its
// driving row has read it. It reports each form's rows/s against the
// joined UPDATE's in the same pass, and the target's CPU per row. Run it
// with -benchtime=1x.
func BenchmarkUpdateForms(b *testing.B) {
	const rows, perStmt, perTxn = 100_000, 1000, 20
	ddl := " (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, email VARCHAR(191) NULL, display_name VARCHAR(100) NULL, bio MEDIUMTEXT NULL, locale VARCHAR(16) NULL, UNIQUE KEY email (email))"
	names := []string{"join_form", "insert_form", "case_form", "multi_form", "upsert_form"}
	var stmts []string
	for _, n := range names {
		stmts = append(stmts, "CREATE TABLE tgt."+n+ddl)
	}
	tg := startTarget(b, stmts...)
	type row struct {
		id          int64
		bio, locale string
	}
	data := make([]row, rows)
	for i := range data {
		id := int64(i + 1)
		data[i] = row{id, fmt.Sprintf("Cook %d: %032x %032x %020x", id, id*7919, id*104729, id*31), []string{"en", "ja", "es", "fr"}[id%4]}
	}
	db, err := sql.Open("mysql", tg.srv.DSN("root", "", "tgt")+"&interpolateParams=true&multiStatements=true")
	require.NoError(b, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	// args are the parameters of updateJoinSQL and updateInsertSQL.
	args := func(chunk []row) []any {
		out := make([]any, 0, 3*len(chunk))
		for _, r := range chunk {
			out = append(out, r.id, r.bio, r.locale)
		}
		return out
	}
	cols := []string{"bio", "locale"}
	forms := map[string]func(name string, chunk []row) (string, []any){
		"join_form": func(name string, chunk []row) (string, []any) {
			return updateJoinSQL(table(name, "id"), cols, nil, len(chunk)), args(chunk)
		},
		"insert_form": func(name string, chunk []row) (string, []any) {
			return updateInsertSQL(table(name, "id"), cols, nil, len(chunk)), args(chunk)
		},
		"case_form": func(name string, chunk []row) (string, []any) {
			var q, in strings.Builder
			q.WriteString("UPDATE " + name + " SET bio=CASE id")
			for i, r := range chunk {
				fmt.Fprintf(&q, " WHEN %d THEN %s", r.id, quote(r.bio))
				if i > 0 {
					in.WriteByte(',')
				}
				in.WriteString(strconv.FormatInt(r.id, 10))
			}
			q.WriteString(" ELSE bio END, locale=CASE id")
			for _, r := range chunk {
				fmt.Fprintf(&q, " WHEN %d THEN %s", r.id, quote(r.locale))
			}
			q.WriteString(" ELSE locale END WHERE id IN (" + in.String() + ")")
			return q.String(), nil
		},
		"multi_form": func(name string, chunk []row) (string, []any) {
			var q strings.Builder
			for i, r := range chunk {
				if i > 0 {
					q.WriteByte(';')
				}
				fmt.Fprintf(&q, "UPDATE %s SET bio=%s,locale=%s WHERE id=%d", name, quote(r.bio), quote(r.locale), r.id)
			}
			return q.String(), nil
		},
		"upsert_form": func(name string, chunk []row) (string, []any) {
			return upsertSQL(table(name, "id"), []string{"id", "bio", "locale"}, len(chunk)), args(chunk)
		},
	}
	ctx := context.Background()
	for b.Loop() {
		rates, cpus := map[string]float64{}, map[string]float64{}
		for i := range names {
			name := names[(i+formsTurn)%len(names)]
			tg.srv.Exec(b, "TRUNCATE TABLE tgt."+name,
				fmt.Sprintf("INSERT INTO tgt.%s (id, email, display_name) SELECT seq, CONCAT('user', seq, '@example.com'), CONCAT('User ', seq) FROM tgt.seq_1_to_%d", name, rows), "ANALYZE TABLE tgt."+name)
			for pass := range 2 {
				cpu0 := procCPU(b, tg.srv.PID)
				start := time.Now()
				var tx *sql.Tx
				n := 0
				for lo := 0; lo < rows; lo += perStmt {
					if tx == nil {
						tx, err = db.BeginTx(ctx, nil)
						require.NoError(b, err)
					}
					q, args := forms[name](name, data[lo:min(lo+perStmt, rows)])
					_, err := tx.ExecContext(ctx, q, args...)
					require.NoError(b, err, name)
					if n++; n%perTxn == 0 {
						require.NoError(b, tx.Commit())
						tx = nil
					}
				}
				if tx != nil {
					require.NoError(b, tx.Commit())
				}
				key := name + []string{"", "-again"}[pass]
				rates[key] = rows / time.Since(start).Seconds()
				cpus[key] = (procCPU(b, tg.srv.PID) - cpu0) / rows * 1e6
			}
		}
		formsTurn++
		for _, name := range names[1:] {
			require.Equal(b, tg.dump(b, "CHECKSUM TABLE join_form")[0][len("tgt.join_form"):],
				tg.dump(b, "CHECKSUM TABLE "+name)[0][len("tgt.")+len(name):], name)
		}
		for _, pass := range []string{"", "-again"} {
			for _, form := range names {
				name, join := form+pass, "join_form"+pass
				b.ReportMetric(rates[name]/rates[join], name+"-ratio")
				b.Logf("%s: %.0f rows/s (%.2fx the joined UPDATE), target CPU %.1f µs/row", name, rates[name], rates[name]/rates[join], cpus[name])
			}
		}
	}
}

// procCPU returns the user plus system CPU seconds of process pid.
func procCPU(tb testing.TB, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(tb, err)
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

package mysql

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

func TestUpdateRowWritesOnlyExistingMatchingRows(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.p (id INT PRIMARY KEY, a VARCHAR(10), b VARCHAR(10), w VARCHAR(10))")
	p := table("p", "id")
	s := tg.sink(t, Options{Workers: 1})
	all := []string{"id", "a", "b", "w"}
	applyAll(t, s, txn(1, upsert(p, all, int64(1), "a1", "b1", "x"), upsert(p, all, int64(2), "a2", "b2", "x"),
		upsert(p, all, int64(3), "a3", "b3", nil), upsert(p, all, int64(4), "a4", "b4", "x"),
		upsert(p, all, int64(5), "a5", "b5", "x"), upsert(p, all, int64(6), "a6", "b6", "x")))
	b, bw, w := []string{"b"}, []string{"b", "w"}, []string{"w"}
	// One batch: statements of two, three and one rows.
	require.NoError(t, applyBatch(context.Background(), s, txn(2,
		updateRow(p, int64(9), b, "B9"),                          // no row 9: nothing happens
		updateRow(p, int64(1), b, "B1"),                          // writes b only
		withCond(updateRow(p, int64(2), b, "B2"), w, "y"),        // w is x: nothing happens
		withCond(updateRow(p, int64(3), b, "B3"), w, nil),        // NULL matches NULL
		withCond(updateRow(p, int64(8), b, "B8"), w, nil),        // no row 8
		withCond(updateRow(p, int64(4), bw, "B4", "w4"), w, "x"), // cond on a column it sets
		updateRow(p, int64(5), nil),                              // no columns: a no-op
	)))
	// One operation: a plain UPDATE.
	applyAll(t, s, txn(3, withCond(updateRow(p, int64(6), bw, "B6", "w6"), w, "x")))
	applyAll(t, s, txn(4, withCond(updateRow(p, int64(6), b, "never"), w, "x")))
	require.Equal(t, []string{"1|a1|B1|x", "2|a2|b2|x", "3|a3|B3|NULL", "4|a4|B4|w4", "5|a5|b5|x", "6|a6|B6|w6"},
		tg.dump(t, "SELECT * FROM p ORDER BY id"))
}

func TestUpdateRowKeepsOrderWithUpsertsAndDeletes(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.kv (id INT PRIMARY KEY, name VARCHAR(10), score INT)")
	kv := table("kv", "id")
	name, score := []string{"id", "name"}, []string{"score"}
	ops := []change.TargetOp{
		updateRow(kv, int64(1), score, int64(1)), // no row yet: nothing
		upsert(kv, name, int64(1), "a"),
		updateRow(kv, int64(1), score, int64(5)),
		updateRow(kv, int64(1), score, int64(6)), // same key: a statement of its own
		del(kv, int64(1)),
		updateRow(kv, int64(1), score, int64(7)), // deleted: nothing
		upsert(kv, name, int64(1), "b"),
		updateRow(kv, int64(1), score, int64(8)),
		upsert(kv, name, int64(2), "c"),
		updateRow(kv, int64(2), score, int64(2)),
		updateRow(kv, int64(1), score, int64(9)),
		updateRow(kv, int64(3), score, int64(3)), // never exists
	}
	want := []string{"1|b|9", "2|c|2"}

	t.Run("one batch", func(t *testing.T) {
		tg.srv.Exec(t, "DELETE FROM tgt.kv")
		s := tg.sink(t, Options{Workers: 1})
		for range 2 { // a replay converges too
			require.NoError(t, applyBatch(context.Background(), s, txn(1, ops...)))
			require.Equal(t, want, tg.dump(t, "SELECT * FROM kv ORDER BY id"))
		}
	})
	t.Run("queued", func(t *testing.T) {
		tg.srv.Exec(t, "DELETE FROM tgt.kv")
		s := tg.sink(t, Options{Workers: 4, RowsPerStatement: 2, StatementsPerTxn: 2})
		var parts []*change.Txn
		for i := 0; i < len(ops); i += 3 {
			parts = append(parts, txn(uint64(i+1), ops[i:min(i+3, len(ops))]...))
		}
		applyAll(t, s, parts...)
		require.Equal(t, want, tg.dump(t, "SELECT * FROM kv ORDER BY id"))
	})
}

var errNotOwned = errors.New("target key owned by another source: source src writes a upsert key outside owns: of shard-1")

func TestRejectIsRecordedAndSkipped(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.kv (id INT PRIMARY KEY, v VARCHAR(10))")
	kv := table("kv", "id")
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, store.Close()) }()
	s := tg.sink(t, Options{Workers: 2, OnError: OnErrorRecord, Failed: store})
	cols := []string{"id", "v"}
	rej := reject(kv, int64(2), errNotOwned)
	rej.Columns, rej.Values = cols, []change.Value{int64(2), "two"}
	applyAll(t, s, txn(1, upsert(kv, cols, int64(1), "one"), rej, upsert(kv, cols, int64(3), "three")),
		txn(2, upsert(kv, cols, int64(4), "four")))
	require.NoError(t, applyBatch(context.Background(), s,
		txn(3, upsert(kv, cols, int64(5), "five"), reject(kv, int64(6), nil), upsert(kv, cols, int64(7), "seven"))))

	require.Equal(t, []string{"1|one", "3|three", "4|four", "5|five", "7|seven"}, tg.dump(t, "SELECT * FROM kv ORDER BY id"))
	require.Equal(t, uint64(2), s.Failed())
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Collectors("target")...)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP tributary_mysql_rejected_total Changes whose target key their source does not own (a shard merge's owns:), handed to on_error, never written.
# TYPE tributary_mysql_rejected_total counter
tributary_mysql_rejected_total{sink="target",target="tgt.kv"} 2
`), "tributary_mysql_rejected_total"))
	// The batches were sized and their runs timed.
	n, err := testutil.GatherAndCount(reg, "tributary_mysql_apply_seconds", "tributary_mysql_batch_operations")
	require.NoError(t, err)
	require.Equal(t, 2, n)
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == "tributary_mysql_batch_operations" || f.GetName() == "tributary_mysql_apply_seconds" {
			require.Equal(t, "sink", f.GetMetric()[0].GetLabel()[0].GetName())
			require.Positive(t, f.GetMetric()[0].GetHistogram().GetSampleCount(), f.GetName())
		}
	}
	failed, err := store.FailedChanges()
	require.NoError(t, err)
	require.Len(t, failed, 2)
	byGTID := map[string]change.FailedChange{}
	for _, fc := range failed {
		byGTID[fc.GTID] = fc
		require.Equal(t, "src", fc.Source)
		require.Equal(t, "tgt.kv", fc.Target)
		require.Equal(t, "reject", fc.Op)
	}
	fc := byGTID["0-1-1"]
	require.Equal(t, []change.Value{int64(2)}, fc.Key)
	require.Equal(t, cols, fc.Columns)
	require.Equal(t, []change.Value{int64(2), "two"}, fc.Values)
	require.Equal(t, errNotOwned.Error(), fc.Error)
	require.Equal(t, []change.Value{int64(6)}, byGTID["0-1-3"].Key)
	require.Contains(t, byGTID["0-1-3"].Error, "rejected")
}

func TestRejectHaltsAfterWhatPrecedesIt(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.kv (id INT PRIMARY KEY, v VARCHAR(10))")
	kv := table("kv", "id")
	cols := []string{"id", "v"}
	ops := []change.TargetOp{upsert(kv, cols, int64(1), "one"), updateRow(kv, int64(1), []string{"v"}, "uno"),
		upsert(kv, cols, int64(2), "two"), reject(kv, int64(3), errNotOwned), upsert(kv, cols, int64(4), "four"), del(kv, int64(1))}

	check := func(t *testing.T, err error) {
		t.Helper()
		require.ErrorIs(t, err, ErrPermanent)
		require.ErrorIs(t, err, errNotOwned)
		var ae *ApplyError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, "tgt.kv", ae.Target)
		require.Equal(t, "reject", ae.Op)
		require.Equal(t, "src", ae.Source)
		require.Equal(t, uint64(7), ae.Seq)
		require.Equal(t, []string{"1|uno", "2|two"}, tg.dump(t, "SELECT * FROM kv ORDER BY id"))
	}
	t.Run("one batch", func(t *testing.T) {
		s := tg.sink(t, Options{Workers: 1})
		check(t, applyBatch(context.Background(), s, txn(7, ops...)))
		require.ErrorIs(t, s.Flush(context.Background()), ErrPermanent, "the sink stays halted")
	})
	t.Run("queued", func(t *testing.T) {
		tg.srv.Exec(t, "DELETE FROM tgt.kv")
		s := tg.sink(t, Options{Workers: 1})
		ctx := context.Background()
		err := s.Apply(ctx, txn(7, ops...))
		if err == nil {
			err = s.Flush(ctx)
		}
		check(t, err)
	})
}

func TestRederiveIsRefused(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.kv (id INT PRIMARY KEY, v VARCHAR(10))")
	kv := table("kv", "id")
	s := tg.sink(t, Options{Workers: 1})
	ctx := context.Background()
	op := change.TargetOp{Target: kv, Kind: change.Rederive, Cond: []string{"v"}, CondValues: []change.Value{"x"},
		Pending: []change.Pending{{Lookup: &change.Lookup{Name: "l", Columns: []string{"v"}}, Params: []change.Value{"x"}}}}
	require.NoError(t, s.Apply(ctx, txn(1, upsert(kv, []string{"id", "v"}, int64(1), "x"), op)))
	err := s.Flush(ctx)
	require.ErrorIs(t, err, ErrPermanent)
	require.ErrorContains(t, err, "rederive operation reached the sink")
	require.Equal(t, []string{"1|x"}, tg.dump(t, "SELECT * FROM kv"))
}

func TestCheckOp(t *testing.T) {
	kv := table("kv", "id")
	lk := &change.Lookup{Name: "l", Columns: []string{"w"}}
	for _, c := range []struct {
		op   change.TargetOp
		want string
	}{
		{updateRow(kv, int64(1), []string{"v"}), "update on tgt.kv has 1 columns and 0 values"},
		{withCond(updateRow(kv, int64(1), nil), []string{"v"}), "update on tgt.kv has 1 conditions and 0 condition values"},
		{change.TargetOp{Target: kv, Kind: change.DeleteRow, Key: []change.Value{int64(1)}, Pending: []change.Pending{{Lookup: lk}}}, "delete on tgt.kv has pending lookups"},
		{change.TargetOp{Target: kv, Kind: 42, Key: []change.Value{int64(1)}}, "unknown kind 42"},
		{change.TargetOp{Target: kv, Kind: change.UpdateRow, Key: []change.Value{int64(1)}, Pending: []change.Pending{{}}}, "pending lookup without a lookup"},
		{updateRow(kv, int64(1), nil), ""},
		{reject(kv, int64(1), errNotOwned), ""},
		{change.TargetOp{Target: kv, Kind: change.Rederive}, ""},
	} {
		err := checkOp(&c.op)
		if c.want == "" {
			require.NoError(t, err)
			continue
		}
		require.ErrorContains(t, err, c.want, fmt.Sprint(c.op.Kind))
	}
}

// TestUpdateRunForms writes runs of updates into tables that take them in
// the insert form and into tables that do not, and reads the target's
// general log for the form each run was sent in: a table keyed by its
// primary key takes the insert form; one keyed by another unique key, or a
// run that sets a key column, the joined UPDATE; a table the target
// refuses the insert form for (a column without a default, a CHECK that
// the inserted defaults fail) gets the joined UPDATE in its place, and
// from then on at once. Every table ends the same, missing rows still
// missing.
func TestUpdateRunForms(t *testing.T) {
	tg := startTarget(t,
		"CREATE TABLE tgt.pk (id INT PRIMARY KEY, a VARCHAR(10), b VARCHAR(10))",
		"CREATE TABLE tgt.uk (seq INT AUTO_INCREMENT PRIMARY KEY, id INT NOT NULL UNIQUE, a VARCHAR(10), b VARCHAR(10))",
		"CREATE TABLE tgt.nodefault (id INT PRIMARY KEY, a VARCHAR(10) NOT NULL, b VARCHAR(10))",
		"CREATE TABLE tgt.checked (id INT PRIMARY KEY, a VARCHAR(10) NOT NULL DEFAULT '', b VARCHAR(10), CHECK (a <> ''))",
	)
	general := filepath.Join(t.TempDir(), "general.log")
	tg.srv.Exec(t, "SET GLOBAL general_log_file = '"+general+"'", "SET GLOBAL general_log = 1")
	defer tg.srv.Exec(t, "SET GLOBAL general_log = 0")
	s := tg.sink(t, Options{Workers: 1})
	for _, tt := range []struct {
		name        string
		byInsert    int // runs sent in the insert form
		alsoByJoin  int // runs sent as joined UPDATEs
		setKeyToo   bool
		description string
	}{
		{"pk", 2, 0, false, "keyed by its primary key"},
		{"pk", 0, 2, true, "a run that sets the key"},
		{"uk", 0, 2, false, "keyed by another unique key"},
		{"nodefault", 1, 2, false, "a column without a default"},
		{"checked", 1, 2, false, "a CHECK the defaults fail"},
	} {
		t.Run(tt.description, func(t *testing.T) {
			tbl := table(tt.name, "id")
			tg.srv.Exec(t, "DELETE FROM tgt."+tt.name, "INSERT INTO tgt."+tt.name+" (id, a) VALUES (1, 'a1'), (2, 'a2'), (4, 'a4')")
			require.NoError(t, os.Truncate(general, 0))
			cols := []string{"b"}
			if tt.setKeyToo {
				cols = []string{"b", "id"}
			}
			for round := range 2 {
				var ops []change.TargetOp
				for id := range int64(4) {
					vals := []change.Value{fmt.Sprintf("b%d.%d", id+1, round)}
					if tt.setKeyToo {
						vals = append(vals, id+1)
					}
					ops = append(ops, updateRow(tbl, id+1, cols, vals...))
				}
				applyAll(t, s, txn(uint64(round+1), ops...))
			}
			require.Equal(t, []string{"1|a1|b1.1", "2|a2|b2.1", "4|a4|b4.1"}, tg.dump(t, "SELECT id, a, b FROM "+tt.name+" ORDER BY id"))
			log, err := os.ReadFile(general)
			require.NoError(t, err)
			require.Equal(t, tt.byInsert, strings.Count(string(log), "INSERT INTO `tgt`.`"+tt.name+"` (`id`,`b`) SELECT"), "runs in the insert form")
			require.Equal(t, tt.alsoByJoin, strings.Count(string(log), "UPDATE `tgt`.`"+tt.name+"` AS t JOIN"), "runs as joined UPDATEs")
			require.NotContains(t, string(log), "WHERE `id`=", "no run was applied row by row")
		})
	}
}

package lookup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

var customers = []string{
	"CREATE TABLE src.customers (id INT PRIMARY KEY, name VARCHAR(50), tier VARCHAR(10), region INT)",
	"INSERT INTO src.customers VALUES (1, 'Ada', 'gold', 7), (2, 'Bob', NULL, 7), (3, 'Cy', 'iron', 8)",
}

func customerLookup() *change.Lookup {
	return &change.Lookup{
		Name: "orders.yaml:customer", Schema: "src", Table: "customers",
		Match: []string{"id"}, Select: []string{"name", "tier"}, Columns: []string{"customer_name", "customer_tier"},
	}
}

func TestResolveOneOrNoRow(t *testing.T) {
	srv := startSource(t, customers...)
	r := resolver(t, srv, Options{})
	lk := customerLookup()
	found := pendingOp(lk, int64(10), int64(1))
	found.Columns, found.Values = []string{"id"}, []change.Value{int64(10)}
	nulls := pendingOp(lk, int64(11), int64(2))
	missing := pendingOp(lk, int64(12), int64(99))
	nullParam := pendingOp(lk, int64(13), nil)
	none := &change.TargetOp{Kind: change.DeleteRow, Key: []change.Value{int64(14)}}

	require.NoError(t, r.Resolve(context.Background(), []*change.TargetOp{found, nulls, missing, nullParam, none}))

	require.Equal(t, []string{"id", "customer_name", "customer_tier"}, found.Columns)
	require.Equal(t, []change.Value{int64(10), "Ada", "gold"}, found.Values)
	require.Equal(t, []change.Value{"Bob", nil}, nulls.Values)
	require.Equal(t, []string{"customer_name", "customer_tier"}, missing.Columns)
	require.Equal(t, []change.Value{nil, nil}, missing.Values)
	require.Equal(t, []change.Value{nil, nil}, nullParam.Values)
	for _, op := range []*change.TargetOp{found, nulls, missing, nullParam} {
		require.Nil(t, op.Pending)
	}
	require.Nil(t, none.Columns)
	require.Equal(t, uint64(1), r.Queries(), "one query for the three sets, none for the NULL one")

	// Nothing pending: no query.
	require.NoError(t, r.Resolve(context.Background(), []*change.TargetOp{found, none}))
	require.Equal(t, uint64(1), r.Queries())
}

func TestResolveSeveralRowsIsPermanentAndAtomic(t *testing.T) {
	srv := startSource(t, customers...)
	r := resolver(t, srv, Options{})
	good := pendingOp(customerLookup(), int64(1), int64(1))
	byRegion := &change.Lookup{
		Name: "orders.yaml:region", Schema: "src", Table: "customers",
		Match: []string{"region"}, Select: []string{"name"}, Columns: []string{"region_name"},
	}
	ambiguous := pendingOp(byRegion, int64(2), int64(7))
	fine := pendingOp(byRegion, int64(3), int64(8))
	ops := []*change.TargetOp{good, fine, ambiguous}
	before := snapshot(ops)

	err := r.Resolve(context.Background(), ops)
	require.ErrorIs(t, err, ErrPermanent)
	require.False(t, IsTransient(err))
	require.EqualError(t, err, "lookup orders.yaml:region: 2 rows of src.customers match one parameter set; "+
		"the match columns must identify at most one row")
	requireUnchanged(t, before, ops)
}

func TestResolveEval(t *testing.T) {
	srv := startSource(t, customers...)
	r := resolver(t, srv, Options{})
	var seen *change.Table
	lk := customerLookup()
	lk.Select = []string{"name", "region"}
	lk.Columns = []string{"label"}
	lk.Eval = func(table *change.Table, row change.Row) ([]change.Value, bool, error) {
		seen = table
		if row[1].(int64) == 8 {
			return nil, false, nil // treated as absent
		}
		return []change.Value{fmt.Sprintf("%s@%d", row[0], row[1])}, true, nil
	}
	ada, cy, nobody := pendingOp(lk, int64(1), int64(1)), pendingOp(lk, int64(3), int64(3)), pendingOp(lk, int64(9), int64(9))

	require.NoError(t, r.Resolve(context.Background(), []*change.TargetOp{ada, cy, nobody}))
	require.Equal(t, []change.Value{"Ada@7"}, ada.Values)
	require.Equal(t, []change.Value{nil}, cy.Values)
	require.Equal(t, []change.Value{nil}, nobody.Values)
	require.Equal(t, "src.customers", seen.QualifiedName())
	require.Len(t, seen.Columns, 2)
	require.Equal(t, "name", seen.Columns[0].Name)
	require.Equal(t, change.KindString, seen.Columns[0].Kind)
	require.Equal(t, change.KindInt, seen.Columns[1].Kind)

	// An evaluation error or a wrong number of values is permanent.
	lk.Eval = func(*change.Table, change.Row) ([]change.Value, bool, error) { return nil, false, errors.New("boom") }
	op := pendingOp(lk, int64(1), int64(1))
	err := r.Resolve(context.Background(), []*change.TargetOp{op})
	require.ErrorIs(t, err, ErrPermanent)
	require.ErrorContains(t, err, "boom")
	require.NotNil(t, op.Pending)
	lk.Eval = func(*change.Table, change.Row) ([]change.Value, bool, error) { return []change.Value{1, 2}, true, nil }
	require.ErrorIs(t, r.Resolve(context.Background(), []*change.TargetOp{op}), ErrPermanent)
}

func TestResolveArray(t *testing.T) {
	srv := startSource(t,
		"CREATE TABLE src.items (id INT PRIMARY KEY, order_id INT, sku VARCHAR(20), pos INT, price DECIMAL(8,2), KEY (order_id))",
		`INSERT INTO src.items VALUES (1, 100, 'b"q', 2, 1.50), (2, 100, 'a<z>', 1, NULL), (3, 100, 'c', 3, 10.00), (4, 200, 'd', 1, 2.00), `+
			`(5, 400, NULL, 1, 1.00), (6, 400, 'tab\there', 2, 1.00)`)
	r := resolver(t, srv, Options{})
	skus := &change.Lookup{
		Name: "orders.yaml:skus", Schema: "src", Table: "items", Match: []string{"order_id"},
		Select: []string{"sku"}, Columns: []string{"skus"}, Array: true, OrderBy: []string{"pos"},
	}
	prices := &change.Lookup{
		Name: "orders.yaml:prices", Schema: "src", Table: "items", Match: []string{"order_id"},
		Select: []string{"price"}, Columns: []string{"prices"}, Array: true, OrderBy: []string{"id"},
	}
	o100, o200, o300 := pendingOp(skus, int64(1), int64(100)), pendingOp(skus, int64(2), int64(200)), pendingOp(skus, int64(3), int64(300))
	p100 := pendingOp(prices, int64(1), int64(100))
	o400, o400u := pendingOp(skus, int64(4), int64(400)), pendingOp(skus, int64(5), uint64(400))

	require.NoError(t, r.Resolve(context.Background(), []*change.TargetOp{o100, o200, o300, p100, o400, o400u}))
	require.Equal(t, []change.Value{change.JSON(`[null,"tab\there"]`)}, o400.Values)
	require.Equal(t, o400.Values, o400u.Values, "an int64 and a uint64 of one value, each its own array")
	require.Equal(t, []change.Value{change.JSON(`["a<z>","b\"q","c"]`)}, o100.Values)
	require.Equal(t, []change.Value{change.JSON(`["d"]`)}, o200.Values)
	require.Equal(t, []change.Value{change.JSON(`[]`)}, o300.Values)
	require.Equal(t, []change.Value{change.JSON(`[1.50,null,10.00]`)}, p100.Values)
	require.Equal(t, []string{"skus"}, o300.Columns)

	// A text parameter: the join of the parameter sets, not a key range.
	byText := pendingOp(skus, int64(6), "100")
	require.NoError(t, r.Resolve(context.Background(), []*change.TargetOp{byText}))
	require.Equal(t, o100.Values, byText.Values)
}

func TestResolveCaseInsensitiveMatch(t *testing.T) {
	srv := startSource(t,
		"CREATE TABLE src.codes (code VARCHAR(10) COLLATE utf8mb4_general_ci PRIMARY KEY, label VARCHAR(20))",
		"INSERT INTO src.codes VALUES ('abc', 'first'), ('xyz', 'second')")
	r := resolver(t, srv, Options{})
	lk := &change.Lookup{
		Name: "codes", Schema: "src", Table: "codes",
		Match: []string{"code"}, Select: []string{"label"}, Columns: []string{"label"},
	}
	miss, upper, exact := pendingOp(lk, int64(1), "nope"), pendingOp(lk, int64(2), "ABC"), pendingOp(lk, int64(3), "xyz")

	require.NoError(t, r.Resolve(context.Background(), []*change.TargetOp{miss, upper, exact}))
	require.Equal(t, []change.Value{nil}, miss.Values)
	require.Equal(t, []change.Value{"first"}, upper.Values)
	require.Equal(t, []change.Value{"second"}, exact.Values)
}

func TestResolveKinds(t *testing.T) {
	srv := startSource(t,
		"CREATE TABLE src.k (id BIGINT UNSIGNED PRIMARY KEY, dec_key DECIMAL(40,20), "+
			"i INT, u BIGINT UNSIGNED, f FLOAT, d DOUBLE, n DECIMAL(10,4), dt DATETIME(6), ts TIMESTAMP(6) NULL, "+
			"da DATE, tm TIME(2), y YEAR, s VARCHAR(20) CHARACTER SET latin1, e ENUM('x','y'), st SET('a','b'), "+
			"b BLOB, bn BINARY(4), j JSON, bt BIT(12), UNIQUE KEY (dec_key))",
		"SET time_zone = '+02:00'; INSERT INTO src.k VALUES (18446744073709551615, 12345678901234567890.12345678901234567891, "+
			"-5, 18446744073709551614, 16777217, 0.1, -12.3400, '2024-02-29 23:59:59.000001', '2024-03-01 01:30:00.5', "+
			"'1000-01-01', '-838:59:59', 2024, 'café', 'y', 'a,b', x'00ff10', x'61', '{\"a\": [1, 2]}', b'101010101010')",
		"INSERT INTO src.k (id, dec_key) VALUES (1, 12345678901234567890.12345678901234567892)")
	r := resolver(t, srv, Options{})
	cols := []string{"i", "u", "f", "d", "n", "dt", "ts", "da", "tm", "y", "s", "e", "st", "b", "bn", "j", "bt"}
	lk := &change.Lookup{Name: "kinds", Schema: "src", Table: "k", Match: []string{"id"}, Select: cols, Columns: cols}
	full := pendingOp(lk, int64(1), uint64(18446744073709551615))
	nulls := pendingOp(lk, int64(2), uint64(1))
	byDec := &change.Lookup{Name: "by-decimal", Schema: "src", Table: "k", Match: []string{"dec_key"},
		Select: []string{"id"}, Columns: []string{"k_id"}}
	// Two DECIMALs one DOUBLE cannot tell apart: each finds its own row.
	dec1 := pendingOp(byDec, int64(3), change.Decimal("12345678901234567890.12345678901234567891"))
	dec2 := pendingOp(byDec, int64(4), change.Decimal("12345678901234567890.12345678901234567892"))
	byTime := &change.Lookup{Name: "by-time", Schema: "src", Table: "k", Match: []string{"dt", "ts"},
		Select: []string{"id"}, Columns: []string{"k_id"}}
	times := pendingOp(byTime, int64(5), change.Temporal("2024-02-29 23:59:59.000001"), change.Temporal("2024-02-29 23:30:00.500000"))

	require.NoError(t, r.Resolve(context.Background(), []*change.TargetOp{full, nulls, dec1, dec2, times}))
	require.Equal(t, []change.Value{
		int64(-5), uint64(18446744073709551614), float32(16777216), float64(0.1), change.Decimal("-12.3400"),
		change.Temporal("2024-02-29 23:59:59.000001"), change.Temporal("2024-02-29 23:30:00.500000"),
		change.Temporal("1000-01-01"), change.Temporal("-838:59:59.00"), int64(2024), "café", "y", "a,b",
		[]byte{0, 0xff, 0x10}, []byte{'a', 0, 0, 0}, change.JSON(`{"a": [1, 2]}`), uint64(0xaaa),
	}, full.Values)
	require.Equal(t, make([]change.Value, len(cols)), nulls.Values)
	require.Equal(t, []change.Value{uint64(18446744073709551615)}, dec1.Values)
	require.Equal(t, []change.Value{uint64(1)}, dec2.Values)
	require.Equal(t, []change.Value{uint64(18446744073709551615)}, times.Values)
}

func TestResolveFloatKeepsEveryBit(t *testing.T) {
	srv := startSource(t, "CREATE TABLE src.f (id INT PRIMARY KEY, f FLOAT)",
		"INSERT INTO src.f VALUES (1, 1.0000001), (2, 3.4028234e38)")
	r := resolver(t, srv, Options{})
	lk := &change.Lookup{Name: "f", Schema: "src", Table: "f", Match: []string{"id"}, Select: []string{"f"}, Columns: []string{"f"}}
	byF := &change.Lookup{Name: "by-f", Schema: "src", Table: "f", Match: []string{"f"}, Select: []string{"id"}, Columns: []string{"id"}}
	one, max, back := pendingOp(lk, int64(1), int64(1)), pendingOp(lk, int64(2), int64(2)), pendingOp(byF, int64(3), float32(1.0000001))
	require.NoError(t, r.Resolve(context.Background(), []*change.TargetOp{one, max, back}))
	require.Equal(t, []change.Value{float32(1.0000001)}, one.Values)
	require.Equal(t, []change.Value{float32(3.4028234e38)}, max.Values)
	require.Equal(t, []change.Value{int64(1)}, back.Values)
}

func TestResolveBatches(t *testing.T) {
	srv := startSource(t, customers...)
	r := resolver(t, srv, Options{Batch: 500})
	lk := customerLookup()
	ops := make([]*change.TargetOp, 1200)
	for i := range ops {
		ops[i] = pendingOp(lk, int64(i), int64(i+1))
	}
	require.NoError(t, r.Resolve(context.Background(), ops))
	require.Equal(t, uint64(3), r.Queries())
	require.Equal(t, []change.Value{"Ada", "gold"}, ops[0].Values)
	require.Equal(t, []change.Value{"Cy", "iron"}, ops[2].Values)
	require.Equal(t, []change.Value{nil, nil}, ops[1199].Values)

	// 1,200 pendings with 400 distinct parameter sets: one query.
	for i := range ops {
		ops[i] = pendingOp(lk, int64(i), int64(i%400))
	}
	require.NoError(t, r.Resolve(context.Background(), ops))
	require.Equal(t, uint64(4), r.Queries())
	require.Equal(t, []change.Value{"Ada", "gold"}, ops[401].Values)
	require.Equal(t, []change.Value{"Bob", nil}, ops[802].Values)
}

func TestResolveTimeout(t *testing.T) {
	srv := startSource(t, customers...)
	r := resolver(t, srv, Options{})
	r.opts.Timeout = 1 // below what settings accept: every query times out
	// The version and schema reads would time out first.
	r.mu.locking["src"] = lockingFor("10.11.6-MariaDB")
	r.mu.tables[tableKey{"src", "src", "customers"}] = describe(t, srv)
	ops := []*change.TargetOp{pendingOp(customerLookup(), int64(1), int64(1))}
	before := snapshot(ops)
	ctx := context.Background()

	err := r.Resolve(ctx, ops)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.True(t, IsTransient(err))
	require.NoError(t, ctx.Err())
	require.ErrorContains(t, err, "lookup orders.yaml:customer: querying src.customers on source src")
	requireUnchanged(t, before, ops)

	// The schema read times out the same way.
	err = r.Resolve(ctx, ops)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.True(t, IsTransient(err))
}

func TestResolvePermanentErrors(t *testing.T) {
	srv := startSource(t, customers...)
	r := resolver(t, srv, Options{})
	ctx := context.Background()

	op := pendingOp(customerLookup(), int64(1), int64(1))
	op.Pending[0].Source = "elsewhere"
	err := r.Resolve(ctx, []*change.TargetOp{op})
	require.ErrorIs(t, err, ErrPermanent)
	require.False(t, IsTransient(err))
	require.EqualError(t, err, `lookup orders.yaml:customer: source "elsewhere" is not configured`)
	require.NotNil(t, op.Pending)

	lk := customerLookup()
	lk.Select[1] = "nickname"
	err = r.Resolve(ctx, []*change.TargetOp{pendingOp(lk, int64(1), int64(1))})
	require.ErrorIs(t, err, ErrPermanent)
	require.EqualError(t, err, "lookup orders.yaml:customer: column nickname not found in src.customers on source src")

	lk = customerLookup()
	lk.Table = "gone"
	err = r.Resolve(ctx, []*change.TargetOp{pendingOp(lk, int64(1), int64(1))})
	require.ErrorIs(t, err, ErrPermanent)
	require.False(t, IsTransient(err))

	err = r.Resolve(ctx, []*change.TargetOp{pendingOp(customerLookup(), int64(1), int64(1), int64(2))})
	require.ErrorIs(t, err, ErrPermanent)
	require.ErrorContains(t, err, "2 parameters for 1 match columns")
	require.Zero(t, r.Queries())
}

// lockedRename renames customer 1 in a transaction left open, and starts
// resolving a lookup of that customer; done receives Resolve's result.
func lockedRename(t *testing.T) (r *Resolver, tx *sql.Tx, op *change.TargetOp, done chan error) {
	t.Helper()
	srv := startSource(t, customers...)
	r = resolver(t, srv, Options{})
	tx, err := srv.DB(t, "").BeginTx(context.Background(), nil)
	require.NoError(t, err)
	_, err = tx.Exec("UPDATE src.customers SET name = 'Ada (renamed)' WHERE id = 1")
	require.NoError(t, err)
	op = pendingOp(customerLookup(), int64(10), int64(1))
	done = make(chan error, 1)
	go func() { done <- r.Resolve(context.Background(), []*change.TargetOp{op}) }()
	return r, tx, op, done
}

// A change whose events are already in the binlog may not be visible to
// other sessions yet: the server holds its row locks until it is. The
// lookup's locking read, refused a few times without waiting, then waits
// for them, so it never returns the state from before a change that
// triggered it.
func TestResolveWaitsForUncommittedChange(t *testing.T) {
	r, tx, op, done := lockedRename(t)
	select {
	case err := <-done:
		t.Fatalf("the lookup read past an uncommitted change (err %v, values %v)", err, op.Values)
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, tx.Commit())
	require.NoError(t, <-done)
	require.Equal(t, "Ada (renamed)", op.Values[0])
	require.Equal(t, uint64(busyRetries+1), r.Queries(), "quick retries without waiting, then one waiting read")
}

// A lock released during the quick retries is read past once the quick
// retries find it free; the refused query never waited, so it cannot have
// closed a deadlock cycle.
func TestResolveRetriesBusyWithoutWaiting(t *testing.T) {
	r, tx, op, done := lockedRename(t)
	// A second query means the first was refused rather than kept waiting.
	require.Eventually(t, func() bool { return r.Queries() > 1 }, 10*time.Second, time.Millisecond)
	require.NoError(t, tx.Commit())
	require.NoError(t, <-done)
	require.Equal(t, "Ada (renamed)", op.Values[0])
}

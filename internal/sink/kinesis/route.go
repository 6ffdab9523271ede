package kinesis

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/vm"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dms"
	"github.com/tributary-cdc/tributary/internal/keyexpr"
)

// route is a compiled Route: where and how the changes of a table go.
type route struct {
	tables    string // pattern; "" for the default route
	stream    string // "" drops the changes (default route without Stream)
	keyKind   string // a PartitionKey* constant; PartitionKeyConstant for constants
	constant  string // the key of PartitionKeyConstant
	expr      *vm.Program
	aggregate bool
	oversize  string
	drop      []string // nil or empty: the largest values first
	dms       dms.Options
}

// compileRoutes returns the routes of o in order, then the default route.
func compileRoutes(o *Options) []*route {
	def := Route{Stream: o.Stream, PartitionKey: o.PartitionKey, Aggregate: &o.Aggregate,
		Oversize: o.Oversize, DropColumns: o.DropColumns}
	out := make([]*route, 0, len(o.Routes)+1)
	for _, r := range append(append([]Route(nil), o.Routes...), def) {
		c := &route{tables: r.Tables, stream: r.Stream, aggregate: o.Aggregate, oversize: r.Oversize,
			drop: r.DropColumns, dms: o.DMS.encoder()}
		if c.stream == "" {
			c.stream = o.Stream
		}
		if r.Aggregate != nil {
			c.aggregate = *r.Aggregate
		}
		if c.oversize == "" {
			c.oversize = o.Oversize
		}
		if r.DropColumns == nil {
			c.drop = o.DropColumns
		}
		pk := r.PartitionKey
		if pk == "" {
			pk = o.PartitionKey
		}
		c.keyKind = pk
		if v, ok := strings.CutPrefix(pk, PartitionKeyConstant); ok {
			c.keyKind, c.constant = PartitionKeyConstant, v
		}
		if v, ok := strings.CutPrefix(pk, PartitionKeyExpression); ok {
			c.keyKind = PartitionKeyExpression
			c.expr, _ = keyexpr.Compile(v) // validate reported errors
		}
		// The dms metadata only labels the record with its key's kind.
		c.dms.PartitionKeyType = dms.PartitionKeyPrimaryKey
		if c.keyKind == PartitionKeyTable {
			c.dms.PartitionKeyType = dms.PartitionKeySchemaTable
		}
		out = append(out, c)
	}
	return out
}

// matchRoute returns the first route whose pattern matches table, or the
// default route (the last one).
func matchRoute(routes []*route, table string) *route {
	for _, r := range routes[:len(routes)-1] {
		if ok, _ := path.Match(r.tables, table); ok {
			return r
		}
	}
	return routes[len(routes)-1]
}

// key returns the partition key of txn.Changes[i] on r; only an
// expression can fail.
func (r *route) key(txn *change.Txn, i int) (string, error) {
	return r.imageKey(txn, i, txn.Changes[i].Identity())
}

// oldKey returns the partition key of the before image of the update
// txn.Changes[i] when it differs from key, the after image's: the update
// then goes as two records, a delete keyed by the old key and an insert
// keyed by the new one. It returns "" for every other change: those of
// other operations, of table, transaction and constant keys (one key for
// both images), and updates whose images key alike.
func (r *route) oldKey(txn *change.Txn, i int, key string) (string, error) {
	c := &txn.Changes[i]
	if c.Op != change.Update {
		return "", nil
	}
	switch r.keyKind {
	case PartitionKeyTable, PartitionKeyTransaction, PartitionKeyConstant:
		return "", nil
	case PartitionKeyPrimaryKey:
		if !keyChanged(c) {
			return "", nil
		}
	}
	old, err := r.imageKey(txn, i, c.Before)
	if err != nil || old == key {
		return "", err
	}
	return old, nil
}

// keyChanged reports whether the update c changed its primary key, or,
// for a table without one, any value: its partition key hashes them all.
// A column a partial after image lacks is one the update left alone.
func keyChanged(c *change.RowChange) bool {
	after := c.Identity()
	if len(c.Table.PrimaryKey) == 0 {
		for j := range c.Before {
			if !change.Equal(c.Before[j], after[j]) {
				return true
			}
		}
		return false
	}
	for _, col := range c.Table.PrimaryKey {
		if !change.Equal(c.Before[col], after[col]) {
			return true
		}
	}
	return false
}

// imageKey returns the partition key on r of txn.Changes[i] identified by
// row, one of its images.
func (r *route) imageKey(txn *change.Txn, i int, row change.Row) (string, error) {
	if r.keyKind != PartitionKeyExpression {
		return r.partitionKeyOf(txn, i, row), nil
	}
	key, err := r.exprKey(txn, i, row)
	return fitKey(key), err
}

// partitionKey returns the partition key of txn.Changes[i] on r, whose key
// is not an expression.
func (r *route) partitionKey(txn *change.Txn, i int) string {
	return r.partitionKeyOf(txn, i, txn.Changes[i].Identity())
}

// partitionKeyOf returns the partition key of txn.Changes[i] identified by
// row, one of its images, on r, whose key is not an expression.
//
// primary_key is the quoted schema and table and the key values of the
// identifying image, as a JSON-like array ["shop","orders",42]; a table
// without a primary key hashes its whole identifying image. table is
// "schema.table"; transaction is "source/GTID", or "source/file:pos" of the
// transaction's start without GTIDs. A key longer than MaxPartitionKeyBytes
// becomes hashKey of it.
func (r *route) partitionKeyOf(txn *change.Txn, i int, row change.Row) string {
	c := &txn.Changes[i]
	var key string
	switch r.keyKind {
	case PartitionKeyTable:
		key = c.Table.QualifiedName()
	case PartitionKeyTransaction:
		if txn.GTID != "" {
			key = txn.Source + "/" + txn.GTID
		} else {
			key = txn.Source + "/" + txn.Begin.File + ":" + strconv.FormatUint(uint64(txn.Begin.Pos), 10)
		}
	case PartitionKeyConstant:
		key = r.constant
	default:
		b := make([]byte, 0, 64)
		b = append(b, '[')
		b = strconv.AppendQuote(b, c.Table.Schema)
		b = append(b, ',')
		b = strconv.AppendQuote(b, c.Table.Name)
		if len(c.Table.PrimaryKey) == 0 {
			for _, v := range row {
				b = append(b, ',')
				b = appendKeyValue(b, v)
			}
			return hashKey(string(append(b, ']')))
		}
		for _, col := range c.Table.PrimaryKey {
			b = append(b, ',')
			b = appendKeyValue(b, row[col])
		}
		key = string(append(b, ']'))
	}
	return fitKey(key)
}

// fitKey returns key, or hashKey of it when Kinesis would not take it:
// longer than MaxPartitionKeyBytes, or empty.
func fitKey(key string) string {
	if len(key) > MaxPartitionKeyBytes || key == "" {
		return hashKey(key)
	}
	return key
}

// hashKey is the partition key standing for a long one: "sha256:" and the
// hex SHA-256 of its bytes (71 characters).
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// appendKeyValue appends v unambiguously: numbers as digits, text quoted,
// bytes as quoted base64, NULL as null.
func appendKeyValue(b []byte, v change.Value) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case float32:
		return strconv.AppendFloat(b, float64(v), 'g', -1, 32)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return strconv.AppendQuote(b, strconv.FormatFloat(v, 'g', -1, 64))
		}
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	case string:
		return strconv.AppendQuote(b, v)
	case change.Decimal:
		return append(b, v...)
	case change.Temporal:
		return strconv.AppendQuote(b, string(v))
	case change.JSON:
		return strconv.AppendQuote(b, string(v))
	case []byte:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v)
		return append(b, '"')
	}
	return strconv.AppendQuote(b, fmt.Sprint(v))
}

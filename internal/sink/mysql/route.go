package mysql

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// route returns the worker of op among those of its table's lane (see
// lanes.go): by table and key, or by table alone for a table with a unique
// key besides op's key (see the package comment). It returns
// errUnfoldable for a key of a loose collation that folding cannot route
// (see foldable).
func (s *Sink) route(ctx context.Context, op *change.TargetOp) (int, error) {
	l := s.laneOf(op.Target)
	if l.n == 1 {
		return l.first, nil
	}
	info, err := s.keys.info(ctx, op.Target)
	if err != nil {
		return 0, err
	}
	if info.serial {
		return l.first + spread(rowHash(op, false, routeBlock), l.n), nil
	}
	if info.fold != nil {
		h, ok := foldedHash(op, info.fold)
		if !ok {
			return 0, errUnfoldable
		}
		return l.first + spread(h, l.n), nil
	}
	return l.first + spread(rowHash(op, true, routeBlock), l.n), nil
}

// errUnfoldable is route's error for a key that folding cannot route.
var errUnfoldable = errors.New("a key that folding cannot route")

// routeToOneWorker routes op, whose key folding cannot route, after
// moving its table to one worker for the rest of the sink's life: what h
// gathered is sent and the table's lane flushed first, so every operation
// routed by a folded key is applied before any that goes to the one
// worker. From there on the table is written as one with a second unique
// key is, in order, its long runs split (split.go), where parts that
// write one row under two keys meet on its lock.
func (s *Sink) routeToOneWorker(ctx context.Context, h *handOff, op *change.TargetOp) (int, error) {
	if err := h.sendAll(ctx); err != nil {
		return 0, err
	}
	if err := s.flushLane(ctx, s.laneOf(op.Target)); err != nil {
		return 0, err
	}
	s.keys.setSerial(op.Target)
	s.log.Info("a key of the table holds characters its collation may take for others; its operations go through one worker from now on",
		"target", op.Target.QualifiedName())
	return s.route(ctx, op)
}

// Integer keys route to workers by blocks of 256 neighbours and to the
// parts of a split run by blocks of 64 (see appendBlock and split.go).
const (
	routeBlock = 8
	partBlock  = 6
)

// rowHash returns the FNV-1a hash of op's table and, when byKey, of its
// key, integer key values by their blocks of 1<<shift neighbours.
func rowHash(op *change.TargetOp, byKey bool, shift uint) uint64 {
	h, _ := keyHash(op, byKey, nil, shift)
	return h
}

// foldedHash is rowHash of op by key, the values of the columns fold
// marks by their folded form (see foldable), and false when one of them
// cannot be folded.
func foldedHash(op *change.TargetOp, fold []bool) (uint64, bool) {
	return keyHash(op, true, fold, routeBlock)
}

// keyHash is the hash of rowHash, the values of the key columns fold
// marks (none when nil) by their folded form, and false when one of
// them cannot be folded.
func keyHash(op *change.TargetOp, byKey bool, fold []bool, shift uint) (uint64, bool) {
	h := fnv.New64a()
	h.Write([]byte(op.Target.Schema))
	h.Write([]byte{0})
	h.Write([]byte(op.Target.Name))
	h.Write([]byte{0})
	if !byKey {
		return h.Sum64(), true
	}
	var buf [64]byte
	for i, v := range op.Key {
		if i >= len(fold) || !fold[i] || v == nil {
			h.Write(appendBlock(buf[:0], v, shift))
			continue
		}
		s, ok := v.(string)
		if !ok || !foldable(s) {
			return 0, false
		}
		s = strings.TrimRight(s, " ")
		h.Write(binary.AppendUvarint(append(buf[:0], 'c'), uint64(len(s))))
		for len(s) > 0 {
			n := min(len(s), len(buf))
			for j := range n {
				c := s[j]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf[j] = c
			}
			h.Write(buf[:n])
			s = s[n:]
		}
	}
	return h.Sum64(), true
}

// spread maps the FNV-1a hash h onto [0, n) by all of its bits. FNV-1a's
// low bits depend only on the low bits of each byte hashed, so h%4 would
// send keys that differ only in their bytes' higher bits ("a1", "a5",
// "a9"; "tag" and "TAG") to one place; the finalizer of splitmix64 mixes
// every bit into every other first.
func spread(h uint64, n int) int {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return int(h % uint64(n))
}

// appendKeyValue appends a type-tagged, unambiguous encoding of v.
func appendKeyValue(b []byte, v change.Value) []byte {
	str := func(tag byte, s string) []byte { return appendTagged(b, tag, s) }
	switch v := v.(type) {
	case nil:
		return append(b, 'n')
	case int64:
		if v >= 0 {
			// The same number as an unsigned key: a computed key (id +
			// offset) is int64 where the copied one is uint64.
			return binary.BigEndian.AppendUint64(append(b, 'u'), uint64(v))
		}
		return binary.BigEndian.AppendUint64(append(b, 'i'), uint64(v))
	case uint64:
		return binary.BigEndian.AppendUint64(append(b, 'u'), v)
	case float32:
		return binary.BigEndian.AppendUint64(append(b, 'f'), math.Float64bits(float64(v)))
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 'f'), math.Float64bits(v))
	case string:
		return str('s', v)
	case []byte:
		return str('b', string(v))
	case change.Decimal:
		return str('d', string(v))
	case change.Temporal:
		return str('t', string(v))
	case change.JSON:
		return str('j', string(v))
	default:
		return str('?', fmt.Sprint(v))
	}
}

// appendTagged appends s with its tag and length, as appendKeyValue
// encodes a string: appendTagged(b, 's', s) is appendKeyValue(b, s)
// without boxing s.
func appendTagged(b []byte, tag byte, s string) []byte {
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// tableKey names a target table in keyCache; a struct rather than a
// joined string, so that a lookup allocates nothing.
type tableKey struct{ schema, name string }

// keyCache remembers, per target table, how its unique keys relate to the
// one operations are keyed by. It reads information_schema on the first
// operation of each table.
type keyCache struct {
	db      *sql.DB
	log     *slog.Logger
	retries *atomic.Uint64
	mu      struct {
		sync.Mutex
		tables map[tableKey]keyInfo
	}
}

// keyInfo is what keyCache knows of one table.
type keyInfo struct {
	// serial: the operations go to one worker and keep their order: the
	// table has a unique key besides the operations' key (see the
	// package comment), a key column is an ENUM or a SET, whose members
	// may be named by their numbers as well, or a key was met that
	// folding cannot route (see routeToOneWorker).
	serial bool
	// primary: the operations' key is the table's primary key.
	primary bool
	// fold marks the columns of the operations' key whose collation takes
	// some different strings for one value (looseCollation): those
	// values are routed by their folded form (foldable). Nil when there
	// is none.
	fold []bool
}

func newKeyCache(db *sql.DB, log *slog.Logger, retries *atomic.Uint64) *keyCache {
	c := &keyCache{db: db, log: log, retries: retries}
	c.mu.tables = map[tableKey]keyInfo{}
	return c
}

// serial reports whether the operations on t must all go to one worker
// and keep their order.
func (c *keyCache) serial(ctx context.Context, t *change.TargetTable) (bool, error) {
	info, err := c.info(ctx, t)
	return info.serial, err
}

// primary reports whether the operations on t are keyed by its primary key.
func (c *keyCache) primary(ctx context.Context, t *change.TargetTable) (bool, error) {
	info, err := c.info(ctx, t)
	return info.primary, err
}

func (c *keyCache) info(ctx context.Context, t *change.TargetTable) (keyInfo, error) {
	name := tableKey{t.Schema, t.Name}
	c.mu.Lock()
	info, ok := c.mu.tables[name]
	c.mu.Unlock()
	if ok {
		return info, nil
	}
	var keys map[string][]string
	err := retryTransient(ctx, c.log, c.retries, "reading unique keys of "+t.QualifiedName(), func() error {
		var err error
		keys, err = c.uniqueKeys(ctx, t)
		return err
	})
	if err != nil {
		return keyInfo{}, mysqlerr.Redact(fmt.Errorf("reading unique keys of %s: %w", t.QualifiedName(), err))
	}
	for index, cols := range keys {
		same := slices.EqualFunc(cols, t.Key, strings.EqualFold)
		if !same {
			info.serial = true
		} else if index == "PRIMARY" {
			info.primary = true
		}
	}
	if !info.serial {
		err := retryTransient(ctx, c.log, c.retries, "reading the key columns of "+t.QualifiedName(), func() error {
			var err error
			info.fold, info.serial, err = c.looseKey(ctx, t)
			return err
		})
		if err != nil {
			return keyInfo{}, mysqlerr.Redact(fmt.Errorf("reading the key columns of %s: %w", t.QualifiedName(), err))
		}
	}
	c.mu.Lock()
	c.mu.tables[name] = info
	c.mu.Unlock()
	return info, nil
}

// uniqueKeys returns the columns of each unique index of t by index name.
func (c *keyCache) uniqueKeys(ctx context.Context, t *change.TargetTable) (map[string][]string, error) {
	schema := t.Schema
	q := `SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0
		ORDER BY INDEX_NAME, SEQ_IN_INDEX`
	args := []any{schema, t.Name}
	if schema == "" {
		q = `SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0
		ORDER BY INDEX_NAME, SEQ_IN_INDEX`
		args = args[1:]
	}
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	keys := map[string][]string{}
	for rows.Next() {
		var index, col string
		if err := rows.Scan(&index, &col); err != nil {
			return nil, err
		}
		keys[index] = append(keys[index], col)
	}
	return keys, rows.Err()
}

// setSerial sends the operations of t to one worker, in order, from now
// on.
func (c *keyCache) setSerial(t *change.TargetTable) {
	name := tableKey{t.Schema, t.Name}
	c.mu.Lock()
	defer c.mu.Unlock()
	info := c.mu.tables[name]
	info.serial = true
	c.mu.tables[name] = info
}

// looseKey returns which columns of t's key hold text compared under a
// collation that takes some different strings for one value (see
// looseCollation), nil when none does, and whether the table must go to
// one worker in order. Two such keys name one row, so their operations
// must go through one worker: routed by their exact bytes they could meet
// on different workers, and the delete of 'k' applied after the upsert
// of 'K' would delete the row. Text is routed by its folded form
// (foldable) under the collations known to take no two folded forms for
// one value (foldingCollation); under the others, and for an ENUM or SET
// (whose member may be named by its number as well), the table goes to
// one worker in order.
func (c *keyCache) looseKey(ctx context.Context, t *change.TargetTable) (fold []bool, serial bool, err error) {
	q := `SELECT COLUMN_NAME, DATA_TYPE, COALESCE(COLLATION_NAME, '') FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`
	args := []any{t.Schema, t.Name}
	if t.Schema == "" {
		q = `SELECT COLUMN_NAME, DATA_TYPE, COALESCE(COLLATION_NAME, '') FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`
		args = args[1:]
	}
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var col, typ, coll string
		if err := rows.Scan(&col, &typ, &coll); err != nil {
			return nil, false, err
		}
		i := slices.IndexFunc(t.Key, func(k string) bool { return strings.EqualFold(k, col) })
		if i < 0 || !looseCollation(typ, coll) {
			continue
		}
		if typ = strings.ToLower(typ); typ == "enum" || typ == "set" || !foldingCollation(coll) {
			serial = true
		}
		if fold == nil {
			fold = make([]bool, len(t.Key))
		}
		fold[i] = true
	}
	return fold, serial, rows.Err()
}

// looseCollation reports whether a column of type typ and collation coll
// (empty for binary strings and non-text types) may take different
// strings for equal: case or accent insensitive, or PAD SPACE ('a' and
// 'a ' equal), as most collations are, the _bin ones of MariaDB and of
// MySQL 5.7 included, and any CHAR, ENUM or SET. Binary strings and the
// NO PAD binary collations compare bytes.
func looseCollation(typ, coll string) bool {
	typ = strings.ToLower(typ)
	switch typ {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set":
	default:
		return false // numbers, temporals, binary strings
	}
	coll = strings.ToLower(coll)
	if coll == "" || coll == "binary" {
		return false
	}
	// A CHAR is stored without trailing spaces whatever its collation,
	// so 'k' and 'k ' name one row there too; an ENUM or SET takes a
	// member by its name under the collation, or by its number.
	return typ == "char" || typ == "enum" || typ == "set" ||
		!strings.HasSuffix(coll, "_nopad_bin") && !strings.HasSuffix(coll, "_0900_bin")
}

// foldingCollation reports whether the collation coll takes two strings
// of printable ASCII for one value only when they differ in the case of
// letters or in trailing spaces: the general, binary and Unicode ones of
// the Unicode character sets, latin1 and ascii, their language tailorings
// but the Lithuanian ("y" is "i") and the classical Latin ("j" is "i",
// "v" is "u") ones, and of MySQL's UCA 9.0.0 collations only the root
// ones, whose table orders ASCII as MariaDB's UCA 14.0.0 ones do: their
// tailorings cannot be checked on MariaDB. Several legacy character sets
// equate ASCII punctuation with letters ("`" is "e" under
// big5_chinese_ci) or with a space. TestFoldingCollations checks every
// collation of the test server this accepts.
func foldingCollation(coll string) bool {
	coll = strings.ToLower(coll)
	cs, rest, _ := strings.Cut(coll, "_")
	switch cs {
	case "utf8mb4", "utf8mb3", "utf8", "ucs2", "utf16", "utf16le", "utf32", "latin1", "ascii":
	case "uca1400": // MariaDB's name without its character set
		rest = coll
	default:
		return false
	}
	if strings.Contains(rest, "0900") {
		switch rest {
		case "0900_ai_ci", "0900_as_ci", "0900_as_cs", "0900_bin":
			return true
		}
		return false
	}
	return !strings.Contains(rest, "lithuanian") && !strings.Contains(rest, "roman")
}

// foldable reports whether the string s can be routed by its folded form:
// s less its trailing spaces, ASCII letters in lower case. It can when s
// is printable ASCII, under a folding collation (foldingCollation).
// Outside it, a collation may take a character for another (a full-width
// "Ａ" for "A", "ß" for "ss", "é" for "e") or for nothing (control
// characters are ignorable under the Unicode collations), so such a
// string could equal one that folds otherwise.
func foldable(s string) bool {
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// appendBlock appends, encoded as appendKeyValue encodes a value, the
// block of 1<<shift neighbours that an integer key belongs to, so each
// worker writes runs of adjacent keys and the workers do not contend for
// the same index pages; other values are appended as they are. A
// non-negative int64 key has the block of the equal uint64, and the block
// is never boxed.
func appendBlock(b []byte, v change.Value, shift uint) []byte {
	switch v := v.(type) {
	case int64:
		if v >= 0 {
			return binary.BigEndian.AppendUint64(append(b, 'u'), uint64(v)>>shift)
		}
		return binary.BigEndian.AppendUint64(append(b, 'i'), uint64(v>>shift))
	case uint64:
		return binary.BigEndian.AppendUint64(append(b, 'u'), v>>shift)
	}
	return appendKeyValue(b, v)
}

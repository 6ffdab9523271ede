package lookup

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"strconv"
	"unsafe"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// How a query's rows reach their parameter sets (search.read): which sets
// a row belongs to, by the index the join tags it with or by its match
// value, and the shared arrays the sets' rows, or a text array lookup's
// documents, are written in.

// setsByIndex returns the sets of a row whose first column is the index
// of its set in s.sets (the join of search.sql).
func (s *search) setsByIndex() func(first []byte) ([]int, error) {
	one := make([]int, 1)
	return func(first []byte) ([]int, error) {
		i, err := strconv.Atoi(string(first))
		if err != nil || i < 0 || i >= len(s.sets) {
			return nil, errors.New("reading the parameter index of a row: not an index of the query")
		}
		one[0] = i
		return one, nil
	}
}

// setsByValue returns the sets at idx that a row's first column, the
// integer match column, equals (the key range of inSQL): one, or two when
// an int64 and a uint64 set hold the same value. The rows come ordered by
// that value, so it walks the sets sorted by value along with them,
// searching only for a row that comes out of order.
func (s *search) setsByValue(idx []int) func(first []byte) ([]int, error) {
	type entry struct {
		v    matchValue
		sets []int
	}
	sorted := make([]entry, len(idx))
	for n, i := range idx {
		sorted[n].v = matchValueOf(s.sets[i][0])
		sorted[n].sets = idx[n : n+1 : n+1]
	}
	slices.SortFunc(sorted, func(a, b entry) int { return a.v.compare(b.v) })
	entries := sorted[:0] // one per value
	for _, e := range sorted {
		if k := len(entries) - 1; k >= 0 && entries[k].v == e.v { // an int64 and a uint64 of one value
			entries[k].sets = []int{entries[k].sets[0], e.sets[0]}
			continue
		}
		entries = append(entries, e)
	}
	next := 0
	return func(first []byte) ([]int, error) {
		v, ok := parseMatchValue(first)
		if ok {
			for next < len(entries) && entries[next].v.compare(v) < 0 {
				next++
			}
			if next == len(entries) || entries[next].v != v {
				next, ok = slices.BinarySearchFunc(entries, v, func(e entry, v matchValue) int { return e.v.compare(v) })
			}
		}
		if !ok {
			return nil, errors.New("reading the match value of a row: not a value of the query")
		}
		return entries[next].sets, nil
	}
}

// matchValue is an integer compared by value, whatever its Go type: its
// sign and magnitude.
type matchValue struct {
	neg bool
	mag uint64
}

// compare orders a and b by value.
func (a matchValue) compare(b matchValue) int {
	switch {
	case a.neg != b.neg:
		if a.neg {
			return -1
		}
		return 1
	case a.neg:
		return cmp.Compare(b.mag, a.mag)
	}
	return cmp.Compare(a.mag, b.mag)
}

// matchValueOf returns the matchValue of an int64 or uint64 parameter.
func matchValueOf(v change.Value) matchValue {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return matchValue{neg: true, mag: uint64(-v)} // two's complement: right for math.MinInt64 too
		}
		return matchValue{mag: uint64(v)}
	case uint64:
		return matchValue{mag: v}
	}
	return matchValue{}
}

// parseMatchValue reads the server's text of an integer: an optional
// minus sign and decimal digits.
func parseMatchValue(text []byte) (matchValue, bool) {
	var v matchValue
	if len(text) > 0 && text[0] == '-' {
		v.neg, text = true, text[1:]
	}
	if len(text) == 0 {
		return v, false
	}
	for _, c := range text {
		if c < '0' || c > '9' {
			return v, false
		}
		d := uint64(c - '0')
		if v.mag > (math.MaxUint64-d)/10 {
			return v, false
		}
		v.mag = v.mag*10 + d
	}
	return v, true
}

// rowsRead hands one query's rows to their sets, in query order. Rows
// take their values, and the sets their lists of rows, from a few shared
// arrays rather than one each: the query orders rows by set, so a set's
// rows are one run, which becomes its list, full (appending copies it).
type rowsRead struct {
	to [][]change.Row // the sets' lists, s.rows
	// free is what is left of the current array of values; next is the
	// number of rows the next array holds.
	free []change.Value
	next int
	// heads is the current array of row lists; the run of set since
	// heads[run:].
	heads []change.Row
	run   int
	set   int
}

func newRowsRead(to [][]change.Row) *rowsRead {
	return &rowsRead{to: to, set: -1}
}

// newRow returns a row of n values, full.
func (g *rowsRead) newRow(n int) change.Row {
	if len(g.free) < n {
		g.next = min(max(2*g.next, 16), 256)
		g.free = make([]change.Value, g.next*n)
	}
	row := g.free[:n:n]
	g.free = g.free[n:]
	return row
}

// add gives row to set.
func (g *rowsRead) add(set int, row change.Row) {
	if set != g.set {
		g.flush()
		g.set, g.run = set, len(g.heads)
	}
	if len(g.heads) == cap(g.heads) { // a new array, the run moved to its start
		n := len(g.heads) - g.run
		heads := make([]change.Row, n, max(256, 2*n))
		copy(heads, g.heads[g.run:])
		g.heads, g.run = heads, 0
	}
	g.heads = append(g.heads, row)
}

// flush gives the current run to its set: as its list, or after the rows
// it had (a set whose rows came apart).
func (g *rowsRead) flush() {
	if g.set < 0 || len(g.heads) == g.run {
		return
	}
	run := g.heads[g.run:len(g.heads):len(g.heads)]
	if g.to[g.set] == nil {
		g.to[g.set] = run
	} else {
		g.to[g.set] = append(g.to[g.set], run...)
	}
}

// docsRead writes the JSON arrays of a search's sets (search.docs) as
// their rows arrive, each row's text a string of the array, as jsonArray
// writes it from the rows' values. The query orders rows by set, so a
// set's rows are one run: its array is written in a shared buffer, and
// closed and given to the set when the run ends; a run that follows rows
// of its set given before is added to a copy of their array.
type docsRead struct {
	to   [][]byte
	sets int // the query's parameter sets

	buf      []byte // the current run's array is buf[run:]
	run, set int
}

// add adds text, NULL when nil, to the array of set.
func (d *docsRead) add(set int, text []byte) {
	if set != d.set {
		d.flush()
		d.set, d.run = set, len(d.buf)
		d.room(len(text))
		d.buf = append(d.buf, '[')
	} else {
		d.room(len(text))
		d.buf = append(d.buf, ',')
	}
	if text == nil {
		d.buf = append(d.buf, "null"...)
		return
	}
	// A view of text, which the driver reuses after the next row: the
	// string is copied into buf, escaped, and not kept.
	d.buf = envelope.AppendString(d.buf, unsafe.String(unsafe.SliceData(text), len(text)))
}

// room makes room in buf for n bytes of text after the current run,
// moving the run to a new buffer when it has too little: the arrays
// given before stay where they are. The first buffer holds about 256
// bytes a parameter set of the query (from 4 to 256 KiB), later ones
// double up to 256 KiB.
func (d *docsRead) room(n int) {
	need := n + n/8 + 8 // the text, some escapes, quotes and separators
	if cap(d.buf)-len(d.buf) >= need {
		return
	}
	run := d.buf[d.run:]
	size := min(max(2*cap(d.buf), d.sets*256, 4<<10), 256<<10)
	buf := make([]byte, len(run), max(size, 2*(len(run)+need)))
	copy(buf, run)
	d.buf, d.run = buf, 0
}

// flush closes the current run's array and gives it to its set.
func (d *docsRead) flush() {
	if d.set < 0 {
		return
	}
	d.buf = append(d.buf, ']')
	doc := d.buf[d.run:len(d.buf):len(d.buf)]
	if prev := d.to[d.set]; prev != nil { // the set's earlier array, then this one's values
		doc = append(append(append(make([]byte, 0, len(prev)+len(doc)), prev[:len(prev)-1]...), ','), doc[1:]...)
	}
	d.to[d.set] = doc
	d.set = -1
}

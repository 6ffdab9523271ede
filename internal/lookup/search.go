package lookup

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tributary-cdc/tributary/internal/change"
)

// search is one batched equality search: the rows of a source table whose
// match columns equal each of a set of parameter sets.
type search struct {
	// name is the lookup's Name, for errors and logs.
	name  string
	table tableKey
	// match, sel and order name the compared, read and ordering columns.
	match, sel, order []string
	// sets are the distinct parameter sets, keys their index by appendKey;
	// a set of one integer, the common case, is found without encoding
	// it, in ints or uints by its type (they are two sets, as AppendKey
	// tells them apart).
	sets  [][]change.Value
	keys  map[string]int
	ints  map[int64]int
	uints map[uint64]int
	key   []byte // scratch for add

	// Filled by prepare.
	db   *sql.DB
	lock locking
	desc *change.Table // the sel columns with their kinds
	conv []converter
	// intMatch is set when the one match column is an integer column.
	intMatch bool

	// rows holds, per set, the matching rows (values aligned with sel) in
	// query order; filled by run.
	rows [][]change.Row
	// array is set for an Array lookup's search. When its one column is
	// text, prepare sets docs: run then writes each set's JSON array
	// as its rows arrive (see docsRead), instead of rows.
	array bool
	docs  [][]byte
}

// newSearch returns an empty search.
func newSearch(name string, table tableKey, match, sel, order []string) *search {
	return &search{name: name, table: table, match: match, sel: sel, order: order, keys: map[string]int{}}
}

// add registers a parameter set and returns its index; identical sets
// share one index.
func (s *search) add(params []change.Value) (int, error) {
	if len(params) != len(s.match) {
		return 0, permanentf("lookup %s: %d parameters for %d match columns of %s",
			s.name, len(params), len(s.match), s.qualified())
	}
	if len(params) == 1 {
		switch v := params[0].(type) {
		case int64:
			return addTo(&s.ints, v, &s.sets, params), nil
		case uint64:
			return addTo(&s.uints, v, &s.sets, params), nil
		}
	}
	key, err := change.AppendKey(s.key[:0], params)
	if err != nil {
		return 0, permanentf("lookup %s: parameter of %s: %w", s.name, s.qualified(), err)
	}
	s.key = key
	if i, ok := s.keys[string(key)]; ok {
		return i, nil
	}
	s.keys[string(key)] = len(s.sets)
	s.sets = append(s.sets, params)
	return len(s.sets) - 1, nil
}

// addTo returns the index of the set that index names k, adding params
// to sets as a new set when it names none.
func addTo[K comparable](index *map[K]int, k K, sets *[][]change.Value, params []change.Value) int {
	if i, ok := (*index)[k]; ok {
		return i
	}
	if *index == nil {
		*index = map[K]int{}
	}
	(*index)[k] = len(*sets)
	*sets = append(*sets, params)
	return len(*sets) - 1
}

// qualified returns "schema.table".
func (s *search) qualified() string { return s.table.schema + "." + s.table.table }

// prepare finds the source's pool and the kinds of the read columns, and
// checks that every column the query names exists.
func (s *search) prepare(ctx context.Context, r *Resolver) error {
	db, err := r.pool(s.name, s.table.source)
	if err != nil {
		return err
	}
	t, err := r.table(ctx, db, s.table)
	if err != nil {
		return fmt.Errorf("lookup %s: %w", s.name, err)
	}
	for _, names := range [][]string{s.match, s.order} {
		for _, name := range names {
			if t.ColumnIndex(name) < 0 {
				return s.missing(r, name)
			}
		}
	}
	if len(s.match) == 1 {
		switch t.Columns[t.ColumnIndex(s.match[0])].Kind {
		case change.KindInt, change.KindUint:
			s.intMatch = true
		}
	}
	s.desc = &change.Table{Schema: t.Schema, Name: t.Name, Columns: make([]change.Column, len(s.sel))}
	s.conv = make([]converter, len(s.sel))
	for i, name := range s.sel {
		c := t.ColumnIndex(name)
		if c < 0 {
			return s.missing(r, name)
		}
		s.desc.Columns[i] = t.Columns[c]
		if s.conv[i], err = newConverter(t.Columns[c]); err != nil {
			return permanentf("lookup %s: reading column %s of %s on source %s: %w",
				s.name, name, s.qualified(), s.table.source, err)
		}
	}
	if s.lock, err = r.locking(ctx, db, s.table.source); err != nil {
		return fmt.Errorf("lookup %s: %w", s.name, err)
	}
	s.db = db
	if s.array && len(s.sel) == 1 && textKind(s.desc.Columns[0].Kind) {
		s.docs = make([][]byte, len(s.sets))
	} else {
		s.rows = make([][]change.Row, len(s.sets))
	}
	return nil
}

// textKind reports whether a column of kind k reads as its text itself,
// a string in a JSON array.
func textKind(k change.Kind) bool {
	return k == change.KindString || k == change.KindEnum || k == change.KindSet
}

// missing returns the permanent error for a column the table lacks, and
// forgets the table's description in case it is outdated.
func (s *search) missing(r *Resolver, column string) error {
	r.forget(s.table)
	return permanentf("lookup %s: column %s not found in %s on source %s",
		s.name, column, s.qualified(), s.table.source)
}

// chunks splits the sets that may match (those without NULL) into slices
// of at most batch indexes, one per query.
func (s *search) chunks(batch int) [][]int {
	var out [][]int
	var cur []int
	for i, set := range s.sets {
		if hasNull(set) {
			continue
		}
		cur = append(cur, i)
		if len(cur) == batch {
			out, cur = append(out, cur), nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// groupKey identifies the search of one lookup on one source.
type groupKey struct {
	lookup *change.Lookup
	source string
}

// ref is where one parameter set's rows come from.
type ref struct {
	s   *search
	set int
}

// searchGroups batches parameter sets by lookup and source, one search
// per group, in first-seen order.
type searchGroups struct {
	byKey map[groupKey]*search
	list  []*search
}

// add records params in the search of k, created by create on first use.
func (g *searchGroups) add(k groupKey, params []change.Value, create func() *search) (ref, error) {
	s := g.byKey[k]
	if s == nil {
		if g.byKey == nil {
			g.byKey = map[groupKey]*search{}
		}
		s = create()
		g.byKey[k] = s
		g.list = append(g.list, s)
	}
	set, err := s.add(params)
	return ref{s, set}, err
}

package dms

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Shadow comparison.
//
// Two captures of one window of source changes, one from the DMS stream
// and one from Tributary's dms stream, hold the same records when every
// record of one has an equal record in the other, equal once the fields
// that legitimately differ are left out (IgnoredFields): when and by whom
// a record was written, and the ids each writer makes up.

// IgnoredFields are the metadata fields Compare leaves out by default:
// timestamp (DMS writes when it sent the record), commit-timestamp
// (binlog times have a second's precision, DMS's are finer),
// transaction-id and prev-transaction-id (each writer numbers
// transactions its own way) and stream-position (DMS's and Tributary's
// name one position differently). The partition-key-value of control
// records, a task id, is left out too.
var IgnoredFields = []string{
	"metadata.timestamp", "metadata.commit-timestamp", "metadata.transaction-id",
	"metadata.prev-transaction-id", "metadata.stream-position",
}

// Difference is a record of one capture with no equal record in the
// other: Ours or Theirs alone when nothing in the other capture stands
// for the same change, both when a record stands for it but differs in
// Fields (dotted paths).
type Difference struct {
	Ours, Theirs *Record
	Fields       []string
}

// Comparison is Compare's result.
type Comparison struct {
	Ours, Theirs int // records compared
	Equal        int // records with an equal record in the other capture
	// Repeats are the copies of control records counted once (see
	// uniqueControls), of both captures.
	Repeats     int
	Differences []Difference
}

// Compare compares two captures (see above), leaving out ignore, dotted
// field paths ("metadata.timestamp"). A record differing from the other
// capture's is paired with the record of the same change: the same record
// type, operation, table and key, the key being the primary key columns
// that a create-table record of either capture names, else the
// partition-key-value, else the whole "data" image; among several, in
// capture order. Repeats of a control record count once (see
// uniqueControls).
func Compare(ours, theirs []Record, ignore []string) Comparison {
	ign := map[string]bool{}
	for _, f := range ignore {
		ign[f] = true
	}
	keys := primaryKeys(ours, theirs)
	norm := func(r Record) string { return canonical(strip(r.Fields, ign, "")) }
	res := Comparison{Ours: len(ours), Theirs: len(theirs)}
	ours, theirs = uniqueControls(ours, norm), uniqueControls(theirs, norm)
	res.Repeats = res.Ours + res.Theirs - len(ours) - len(theirs)

	// Equal records first, as multisets.
	pending := map[string][]int{}
	for i, r := range theirs {
		n := norm(r)
		pending[n] = append(pending[n], i)
	}
	var leftOurs []int
	for i, r := range ours {
		n := norm(r)
		if idx := pending[n]; len(idx) > 0 {
			pending[n] = idx[1:]
			res.Equal++
			continue
		}
		leftOurs = append(leftOurs, i)
	}
	var leftTheirs []int
	for _, idx := range pending {
		leftTheirs = append(leftTheirs, idx...)
	}
	sort.Ints(leftTheirs)

	// Then pair what is left by change.
	byChange := map[string][]int{}
	for _, i := range leftTheirs {
		k := changeKey(theirs[i], keys)
		byChange[k] = append(byChange[k], i)
	}
	for _, i := range leftOurs {
		o := &ours[i]
		k := changeKey(*o, keys)
		idx := byChange[k]
		if len(idx) == 0 {
			res.Differences = append(res.Differences, Difference{Ours: o})
			continue
		}
		byChange[k] = idx[1:]
		th := &theirs[idx[0]]
		res.Differences = append(res.Differences, Difference{Ours: o, Theirs: th,
			Fields: diffPaths(strip(o.Fields, ign, ""), strip(th.Fields, ign, ""), "")})
	}
	var only []int
	for _, idx := range byChange {
		only = append(only, idx...)
	}
	sort.Ints(only)
	for _, i := range only {
		res.Differences = append(res.Differences, Difference{Theirs: &theirs[i]})
	}
	return res
}

// uniqueControls returns recs with the repeats of a control record left
// out: Tributary sends a control record to every shard of its stream, DMS
// to one.
func uniqueControls(recs []Record, norm func(Record) string) []Record {
	seen := map[string]bool{}
	out := make([]Record, 0, len(recs))
	for _, r := range recs {
		if meta, _ := r.Fields["metadata"].(map[string]any); meta["record-type"] == "control" {
			n := norm(r)
			if seen[n] {
				continue
			}
			seen[n] = true
		}
		out = append(out, r)
	}
	return out
}

// strip returns m without the ignored paths under prefix, at any depth,
// and without the partition-key-value of control records.
func strip(m map[string]any, ign map[string]bool, prefix string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		path := prefix + k
		if ign[path] {
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			v = strip(sub, ign, path+".")
		}
		out[k] = v
	}
	if prefix == "metadata." && m["record-type"] == "control" {
		delete(out, "partition-key-value")
	}
	return out
}

// HasField reports whether any record of recs has the field at path, a
// dotted path ("data.name").
func HasField(recs []Record, path string) bool {
	parts := strings.Split(path, ".")
	for _, r := range recs {
		m := r.Fields
		for i, p := range parts {
			v, ok := m[p]
			if !ok {
				break
			}
			if i == len(parts)-1 {
				return true
			}
			if m, ok = v.(map[string]any); !ok {
				break
			}
		}
	}
	return false
}

// canonical returns v as JSON with sorted keys (encoding/json sorts map
// keys), the form Compare matches records by.
func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// primaryKeys returns the primary key columns by "schema.table" that the
// create-table records of the captures name.
func primaryKeys(captures ...[]Record) map[string][]string {
	out := map[string][]string{}
	for _, c := range captures {
		for _, r := range c {
			meta, _ := r.Fields["metadata"].(map[string]any)
			if meta["operation"] != OpCreateTable {
				continue
			}
			control, _ := r.Fields["control"].(map[string]any)
			def, _ := control["table-def"].(map[string]any)
			pk, _ := def["primary-key"].([]any)
			var cols []string
			for _, c := range pk {
				if s, ok := c.(string); ok {
					cols = append(cols, s)
				}
			}
			if len(cols) > 0 {
				out[fmt.Sprint(meta["schema-name"], ".", meta["table-name"])] = cols
			}
		}
	}
	return out
}

// changeKey names the change a record stands for (see Compare).
func changeKey(r Record, keys map[string][]string) string {
	meta, _ := r.Fields["metadata"].(map[string]any)
	table := fmt.Sprint(meta["schema-name"], ".", meta["table-name"])
	head := fmt.Sprint(meta["record-type"], "|", meta["operation"], "|", table, "|")
	data, _ := r.Fields["data"].(map[string]any)
	if cols, ok := keys[table]; ok && data != nil {
		vals := make([]any, len(cols))
		for i, c := range cols {
			vals[i] = data[c]
		}
		return head + canonical(vals)
	}
	if v, ok := meta["partition-key-value"]; ok && meta["partition-key-type"] != PartitionKeyTaskID {
		return head + fmt.Sprint(v)
	}
	if data != nil {
		return head + canonical(data)
	}
	return head + canonical(r.Fields["control"])
}

// diffPaths returns the dotted paths where a and b differ, sorted.
func diffPaths(a, b map[string]any, prefix string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(union(a, b))) {
		av, aok := a[k]
		bv, bok := b[k]
		am, amap := av.(map[string]any)
		bm, bmap := bv.(map[string]any)
		switch {
		case aok && bok && amap && bmap:
			out = append(out, diffPaths(am, bm, prefix+k+".")...)
		case !aok || !bok || canonical(av) != canonical(bv):
			out = append(out, prefix+k)
		}
	}
	return out
}

func union(a, b map[string]any) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

package dms

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
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

// ErrBadCapture is wrapped by the errors of ReadCapture.
var ErrBadCapture = errors.New("unreadable capture")

// Record is one record of a capture.
type Record struct {
	// Line is the line of the capture it came from, from 1.
	Line int
	// Fields is the record decoded, numbers kept as json.Number.
	Fields map[string]any
}

// ReadCapture reads a capture: one record per line, either the record's
// JSON or an object whose "Data" holds it base64-encoded, as Kinesis's
// GetRecords and `aws kinesis get-records` return records (an aggregated
// Kinesis record's lines become records of their own). Blank lines are
// skipped; any other line is an error naming it.
func ReadCapture(r io.Reader) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var out []Record
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		m, err := decodeRecord(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrBadCapture, n, err)
		}
		data, wrapped := m["Data"].(string)
		if !wrapped {
			if _, ok := m["metadata"].(map[string]any); !ok {
				return nil, fmt.Errorf("%w: line %d: neither a dms record (no metadata object) nor a Kinesis record (no Data)", ErrBadCapture, n)
			}
			out = append(out, Record{Line: n, Fields: m})
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: Data is not base64: %w", ErrBadCapture, n, err)
		}
		for _, inner := range bytes.Split(raw, []byte("\n")) {
			if len(bytes.TrimSpace(inner)) == 0 {
				continue
			}
			m, err := decodeRecord(inner)
			if err == nil {
				if _, ok := m["metadata"].(map[string]any); !ok {
					err = errors.New("the Kinesis record's data has no metadata object")
				}
			}
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: %w", ErrBadCapture, n, err)
			}
			out = append(out, Record{Line: n, Fields: m})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: after line %d: %w", ErrBadCapture, n, err)
	}
	return out, nil
}

func decodeRecord(b []byte) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return m, nil
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
	Differences  []Difference
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

// strip returns v without the ignored paths under prefix, and without the
// partition-key-value of control records.
func strip(m map[string]any, ign map[string]bool, prefix string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		path := prefix + k
		if ign[path] {
			continue
		}
		if sub, ok := v.(map[string]any); ok && k == "metadata" && prefix == "" {
			v = strip(sub, ign, "metadata.")
			if sub["record-type"] == "control" {
				delete(v.(map[string]any), "partition-key-value")
			}
		}
		out[k] = v
	}
	return out
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

// Describe returns a one-line description of a record for a report: its
// capture line, record type, operation and table. It holds no values: the
// line in the capture has them.
func (r *Record) Describe() string {
	meta, _ := r.Fields["metadata"].(map[string]any)
	return fmt.Sprintf("line %d: %v %v %v.%v", r.Line, meta["record-type"], meta["operation"],
		meta["schema-name"], meta["table-name"])
}

// Until returns the records of a capture whose transaction began before
// stop, the position after the last transaction a stopped DMS task
// applied, so captures of streams that went on past it compare over the
// same transactions. A record is kept when its "stream-position" is not
// in the position form (see ParseStopPosition) or it has none, as
// create-table records have none.
func Until(recs []Record, stop StopPosition) []Record {
	var out []Record
	for _, r := range recs {
		meta, _ := r.Fields["metadata"].(map[string]any)
		s, ok := meta["stream-position"].(string)
		if !ok {
			out = append(out, r)
			continue
		}
		p, err := ParseStopPosition(s)
		if err != nil {
			out = append(out, r)
			continue
		}
		began := StopPosition{File: p.BeginFile, Pos: p.BeginPos}
		if began.File == "" {
			began = p
		}
		if began.Before(stop) {
			out = append(out, r)
		}
	}
	return out
}

package dms

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

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

package verify

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Kinds of difference.
const (
	// Missing: a source row gives a target row the target does not have.
	Missing = "missing"
	// Extra: the target has a row no source row gives.
	Extra = "extra"
	// Different: the target row's columns hold other values.
	Different = "different"
)

// Report is what Run found, per mapping.
type Report struct {
	Mappings []*MappingReport `json:"mappings"`
	// Sources is the load put on each source, by source name.
	Sources []SourceLoad `json:"sources"`
}

// Differences returns the number of differences over every mapping.
func (r *Report) Differences() int {
	n := 0
	for _, m := range r.Mappings {
		n += m.Missing + m.Extra + m.Different
	}
	return n
}

// MappingReport is the comparison of one target table.
type MappingReport struct {
	// Target is the target table, File the mapping file.
	Target string `json:"target"`
	File   string `json:"file"`
	// Path is how the rows were compared: PathChecksum or PathRows;
	// PathNote says why a table was not compared by checksums.
	Path     string `json:"path"`
	PathNote string `json:"path_note,omitempty"`
	// Chunks counts the chunks compared by checksum, ChunksDiffering
	// those whose checksums differed and were compared row by row.
	Chunks          int `json:"checksum_chunks,omitempty"`
	ChunksDiffering int `json:"checksum_chunks_differing,omitempty"`
	// Compared counts the target rows the sources give that were
	// compared; Missing, Extra and Different the differences reported.
	Compared  int `json:"compared"`
	Missing   int `json:"missing"`
	Extra     int `json:"extra"`
	Different int `json:"different"`
	// Rechecked counts the differences seen and checked again, whether
	// they settled or not.
	Rechecked int `json:"rechecked"`
	// Truncated is set when the comparison stopped at the most
	// differences it may hold: the counts are then lower bounds.
	Truncated bool `json:"truncated"`
	// ExtraChecked reports whether the target was walked for extra rows
	// to its end; Note says why not.
	ExtraChecked bool   `json:"extra_checked"`
	Note         string `json:"note,omitempty"`
	// Skipped names target columns not compared: their values depend on
	// when the change was streamed (meta.commit_time, meta.gtid).
	Skipped []string      `json:"skipped_columns,omitempty"`
	Elapsed time.Duration `json:"-"`
	// ElapsedSeconds is Elapsed for JSON.
	ElapsedSeconds float64      `json:"elapsed_seconds"`
	Diffs          []Difference `json:"differences"`
}

// Difference is one target row that differs.
type Difference struct {
	Kind string `json:"kind"`
	// Key holds the target key, column by column.
	Key []Field `json:"key"`
	// Columns names the columns that differ (Different only).
	Columns []string `json:"columns,omitempty"`
	// Want and Got hold the differing columns' values, expected and in
	// the target, only when values were asked for.
	Want []Field `json:"want,omitempty"`
	Got  []Field `json:"got,omitempty"`
}

// Field is a column and its value, rendered as in the envelope: numbers
// and text as they are, binary values in base64, NULL as null.
type Field struct {
	Column string `json:"column"`
	Value  any    `json:"value"`
}

// render returns v for JSON and text output.
func render(v change.Value) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case int64, uint64, float32, float64:
		return x
	}
	return text(v)
}

// fields pairs columns and values.
func fields(cols []string, vals []change.Value) []Field {
	out := make([]Field, len(cols))
	for i := range cols {
		out[i] = Field{Column: cols[i], Value: render(vals[i])}
	}
	return out
}

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	if r.Sources == nil {
		r.Sources = []SourceLoad{}
	}
	for _, m := range r.Mappings {
		m.ElapsedSeconds = m.Elapsed.Seconds()
		if m.Diffs == nil {
			m.Diffs = []Difference{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes a summary line per mapping and a line per difference.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tPATH\tCOMPARED\tMISSING\tEXTRA\tDIFFERENT\tELAPSED")
	for _, m := range r.Mappings {
		extra := fmt.Sprint(m.Extra)
		if !m.ExtraChecked {
			extra = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\t%s\n", m.Target, m.Path, m.Compared, m.Missing, extra, m.Different,
			m.Elapsed.Round(time.Millisecond))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := writeLoad(w, r.Sources); err != nil {
		return err
	}
	for _, m := range r.Mappings {
		if m.Path == PathChecksum && m.ChunksDiffering > 0 {
			fmt.Fprintf(w, "%s: %d of %d checksum chunks differed and were compared row by row\n", m.Target, m.ChunksDiffering, m.Chunks)
		}
		if m.PathNote != "" {
			fmt.Fprintf(w, "%s: compared row by row: %s\n", m.Target, m.PathNote)
		}
		if m.Note != "" {
			fmt.Fprintf(w, "%s: %s\n", m.Target, m.Note)
		}
		if len(m.Skipped) > 0 {
			fmt.Fprintf(w, "%s: not compared (set when streamed): %s\n", m.Target, strings.Join(m.Skipped, ", "))
		}
		for _, d := range m.Diffs {
			fmt.Fprintf(w, "%s %s %s", m.Target, d.Kind, fieldText(d.Key))
			if len(d.Columns) > 0 {
				fmt.Fprintf(w, " columns %s", strings.Join(d.Columns, ","))
			}
			if d.Want != nil || d.Got != nil {
				fmt.Fprintf(w, " want %s got %s", fieldText(d.Want), fieldText(d.Got))
			}
			fmt.Fprintln(w)
		}
	}
	n := r.Differences()
	if n == 0 {
		_, err := fmt.Fprintf(w, "verify: every target row matches its sources\n")
		return err
	}
	_, err := fmt.Fprintf(w, "verify: %d difference(s)\n", n)
	return err
}

// fieldText renders fields as col=value pairs.
func fieldText(fs []Field) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		switch v := f.Value.(type) {
		case nil:
			parts[i] = f.Column + "=NULL"
		case string:
			parts[i] = f.Column + "=" + fmt.Sprintf("%q", v)
		default:
			parts[i] = fmt.Sprintf("%s=%v", f.Column, v)
		}
	}
	return strings.Join(parts, " ")
}

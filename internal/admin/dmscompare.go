package admin

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/tributary-cdc/tributary/internal/dms"
)

// DMSCompareSpec names the captures dms compare reads.
type DMSCompareSpec struct {
	// Ours and Theirs are the captures of Tributary's dms stream and of
	// the DMS stream it replaces, over one window of source changes.
	Ours, Theirs string
	// Ignore adds metadata or data fields (dotted paths such as
	// "metadata.transaction-record-id") to dms.IgnoredFields; Compare
	// lists the ones to compare after all.
	Ignore, Compare []string
	// Until, a stopped DMS task's recovery checkpoint or file:offset,
	// leaves out of both captures the records of transactions that began
	// after it (see dms.Until).
	Until string
}

// CompareDMS reads two captures and reports to w the records of one with
// no equal record in the other (see dms.Compare): the record standing
// for the same change and the fields that differ, or that nothing does.
// It returns an error wrapping ErrFound when there is any.
func CompareDMS(spec DMSCompareSpec, w io.Writer) error {
	ours, err := readCapture(spec.Ours)
	if err != nil {
		return err
	}
	theirs, err := readCapture(spec.Theirs)
	if err != nil {
		return err
	}
	if spec.Until != "" {
		stop, err := untilPosition(spec.Until, ours)
		if err != nil {
			return err
		}
		ours, theirs = dms.Until(ours, stop), dms.Until(theirs, stop)
		fmt.Fprintf(w, "comparing the transactions that began before %s\n", stop)
	}
	for _, f := range spec.Compare {
		if !slices.Contains(dms.IgnoredFields, f) {
			return fmt.Errorf("--compare %s: not a field left out by default (%s)", f, strings.Join(dms.IgnoredFields, ", "))
		}
	}
	for _, f := range spec.Ignore {
		if !dms.HasField(ours, f) && !dms.HasField(theirs, f) {
			return fmt.Errorf("--ignore %s: no record of either capture has that field", f)
		}
	}
	ignore := slices.DeleteFunc(append(slices.Clone(dms.IgnoredFields), spec.Ignore...),
		func(f string) bool { return slices.Contains(spec.Compare, f) })
	res := dms.Compare(ours, theirs, ignore)
	for _, d := range res.Differences {
		switch {
		case d.Theirs == nil:
			fmt.Fprintf(w, "only in ours:   %s\n", d.Ours.Describe())
		case d.Ours == nil:
			fmt.Fprintf(w, "only in theirs: %s\n", d.Theirs.Describe())
		default:
			fmt.Fprintf(w, "differ:         ours %s; theirs %s: %s\n", d.Ours.Describe(), d.Theirs.Describe(),
				strings.Join(d.Fields, ", "))
		}
	}
	repeats := ""
	if res.Repeats > 0 {
		repeats = fmt.Sprintf(", %d copies of control records counted once", res.Repeats)
	}
	fmt.Fprintf(w, "%d records in ours, %d in theirs, %d equal, %d differences%s (ignoring %s)\n",
		res.Ours, res.Theirs, res.Equal, len(res.Differences), repeats, strings.Join(ignore, ", "))
	if len(res.Differences) > 0 {
		return found("%d differences between %s and %s", len(res.Differences), spec.Ours, spec.Theirs)
	}
	return nil
}

func readCapture(path string) ([]dms.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening capture: %w", err)
	}
	defer f.Close()
	recs, err := dms.ReadCapture(f)
	if err != nil {
		return nil, fmt.Errorf("reading capture %s: %w", path, err)
	}
	return recs, nil
}

// untilPosition reads --until, expanding an abbreviated "$." file name
// with the binlog file of a stream-position of ours.
func untilPosition(s string, ours []dms.Record) (dms.StopPosition, error) {
	stop, err := dms.ParseStopPosition(s)
	if err != nil {
		return stop, fmt.Errorf("reading --until: %w", err)
	}
	if !strings.HasPrefix(stop.File, "$.") {
		return stop, nil
	}
	for _, r := range ours {
		meta, _ := r.Fields["metadata"].(map[string]any)
		pos, _ := meta["stream-position"].(string)
		if p, err := dms.ParseStopPosition(pos); err == nil && !strings.HasPrefix(p.File, "$.") {
			if err := stop.Resolve(p.File); err != nil {
				return stop, fmt.Errorf("reading --until: %w", err)
			}
			return stop, nil
		}
	}
	return stop, fmt.Errorf("reading --until: %w: no stream-position in --ours names the binlog's base name for %q; give the whole file name",
		dms.ErrBadPosition, stop.File)
}

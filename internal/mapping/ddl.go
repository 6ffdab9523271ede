package mapping

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// DDLPolicy is what a mapping does when a statement changes a source table
// it reads in a way that would make its target diverge (change.DDL).
type DDLPolicy string

// The DDL policies.
const (
	// DDLHalt stops the stream before the statement (the default).
	DDLHalt DDLPolicy = "halt"
	// DDLIgnore goes on; the statement is logged and counted.
	DDLIgnore DDLPolicy = "ignore"
	// DDLPropagate carries a TRUNCATE, DROP or RENAME (out of the mapped
	// name) of a table the mapping reads over to the target: it removes
	// what that table fed, as the entry's delete: policy removes what one
	// of its rows fed (see propagate.go). An ALTER halts.
	DDLPropagate DDLPolicy = "propagate"
)

// ddlPolicy returns the mapping's policy, reporting an unknown one.
func (c *compiler) ddlPolicy(m *mappingSpec) DDLPolicy {
	if m.ddl == nil || m.ddl.null {
		return DDLHalt
	}
	switch p := DDLPolicy(m.ddl.value); p {
	case DDLHalt, DDLIgnore, DDLPropagate:
		return p
	}
	c.add(m.file, m.ddl.pos, "ddl", "must be %s, %s or %s (got %q)", DDLHalt, DDLIgnore, DDLPropagate, m.ddl.value)
	return DDLHalt
}

// DDLNotice is one statement a mapping met: the event, the mapping's
// target and file, and its policy.
type DDLNotice struct {
	Event  change.DDL
	Target string
	// File and Line locate the mapping entry that reads the table.
	File   string
	Line   int
	Policy DDLPolicy
	// Ops are, under DDLPropagate, the target operations that carry the
	// statement over (none when the entry's delete: policy is ignore).
	Ops []change.TargetOp
}

// DDLError stops the stream before a statement that a mapping with policy
// halt reads.
type DDLError struct {
	DDLNotice
	Source, GTID string
	// Next is the position right after the statement, where a checkpoint
	// set skips it.
	Next change.Position
}

func (e *DDLError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s of %s on source %s", strings.ToUpper(string(e.Event.Kind)), e.Event.QualifiedName(), e.Source)
	if e.Event.Kind == change.DDLRename {
		fmt.Fprintf(&b, " to %s.%s", e.Event.NewSchema, e.Event.NewTable)
	}
	if len(e.Event.Columns) > 0 {
		fmt.Fprintf(&b, " (dropped or retyped columns %s)", strings.Join(e.Event.Columns, ", "))
	}
	if e.GTID != "" {
		fmt.Fprintf(&b, " at GTID %s", e.GTID)
	}
	fmt.Fprintf(&b, " would make %s diverge, and its mapping (%s:%d) has ddl: %s", e.Target, e.File, e.Line, e.Policy)
	if e.Policy == DDLPropagate {
		b.WriteString(", which carries TRUNCATE, DROP and RENAME over to the target but not ALTER")
	}
	fmt.Fprintf(&b, ". Stopped before the statement. To go on, make the target match and either set ddl: ignore in the mapping, "+
		"or skip the statement with tributary checkpoint set --source %s %s", e.Source, skipFlags(e.Next))
	return b.String()
}

// skipFlags returns the checkpoint set flags of position p.
func skipFlags(p change.Position) string {
	if p.GTIDSet != "" {
		return "--gtid '" + p.GTIDSet + "'"
	}
	return fmt.Sprintf("--file %s --pos %d", p.File, p.Pos)
}

// CheckDDL applies the DDL policies of the mappings that read the tables
// txn.DDL changed. It returns what each such mapping met, and a *DDLError
// for the first statement a mapping with policy halt reads (or an alter
// one with policy propagate reads); an alter only counts for the mappings
// that read one of its columns. A rename counts for the mappings that read
// the table under its old name. Under propagate a notice carries the
// target operations that carry the statement over, for the caller to
// append to txn.Ops.
func (s *Set) CheckDDL(txn *change.Txn) ([]DDLNotice, error) {
	var notices []DDLNotice
	for _, ev := range txn.DDL {
		for _, c := range s.match(txn.Source, ev.Schema, ev.Table) {
			if ev.Kind == change.DDLAlter && !c.readsAny(ev.Columns) {
				continue
			}
			n := DDLNotice{Event: ev, Target: c.target.table.QualifiedName(), File: c.file, Line: c.pos.line, Policy: c.target.ddl}
			if halts(n) {
				return notices, &DDLError{DDLNotice: n, Source: txn.Source, GTID: txn.GTID, Next: txn.End}
			}
			if n.Policy == DDLPropagate {
				n.Ops = c.propagate()
			}
			notices = append(notices, n)
		}
		for _, l := range s.lookupsOf(txn.Source, ev.Schema, ev.Table) {
			if ev.Kind == change.DDLAlter && !slices.ContainsFunc(ev.Columns, func(col string) bool {
				return slices.Contains(l.lk.Match, col) || slices.Contains(l.lk.Select, col) || slices.Contains(l.lk.OrderBy, col)
			}) {
				continue
			}
			n := DDLNotice{Event: ev, Target: l.target.table.QualifiedName(), File: l.file, Line: l.pos.line, Policy: l.target.ddl}
			if halts(n) {
				return notices, &DDLError{DDLNotice: n, Source: txn.Source, GTID: txn.GTID, Next: txn.End}
			}
			if n.Policy == DDLPropagate {
				n.Ops = l.propagate()
			}
			notices = append(notices, n)
		}
	}
	return notices, nil
}

// halts reports whether the statement of n stops the stream: under halt,
// and under propagate for an alter, which it cannot carry over.
func halts(n DDLNotice) bool {
	return n.Policy == DDLHalt || (n.Policy == DDLPropagate && n.Event.Kind == change.DDLAlter)
}

// readsAny reports whether the contributor reads one of cols.
func (c *contributor) readsAny(cols []string) bool {
	for _, col := range cols {
		if slices.Contains(c.refs, col) || (c.allColumns && !c.exclude[col]) {
			return true
		}
	}
	return false
}

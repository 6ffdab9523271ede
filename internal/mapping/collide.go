package mapping

import (
	"path"
	"slices"
	"strings"
)

// Key collisions.
//
// Rows of one driving entry that come from different sources or tables
// write the same target key when their own keys are equal: shard 1's user
// 7 and shard 2's user 7. Such a mapping is refused unless its keys cannot
// collide. Within one entry, every part of where a row comes from that the
// entry matches by pattern must be read by the target key (meta.source for
// a source glob, meta.schema and meta.table for a table glob); owns: cannot
// help there, it is one condition for all of the entry's rows. Between
// driving entries, each either declares owns: (the guard rejects a key
// outside it, or inside another's) or reads in its key a part of where its
// rows come from that differs from every other entry's.

// dims names the parts of where a row comes from; each is told apart in a
// target key by the metadata field of the same name.
var dims = [3]string{"source", "schema", "table"}

// origin returns the patterns of s's source, schema and table, "" where
// they are missing or invalid.
func origin(s *sourceSpec) [3]string {
	var o [3]string
	if s.source != nil {
		o[0] = s.source.value
	}
	if s.table != nil {
		o[1], o[2], _ = splitName(s.table.value, true)
	}
	return o
}

// contributorOf returns the compiled contributor of spec s, nil when it
// did not compile.
func contributorOf(t *target, s *sourceSpec) *contributor {
	for _, ct := range t.contributors {
		if ct.pos == s.pos {
			return ct
		}
	}
	return nil
}

// collisions reports driving entries whose target keys can collide, and
// non-driving entries that cannot compute a key that reads metadata. It
// reports whether all is well.
func (c *compiler) collisions(t *target, m *mappingSpec, driving []bool) bool {
	ok := true
	var drivers []*sourceSpec
	for i, s := range m.sources {
		if driving[i] {
			drivers = append(drivers, s)
		}
	}
	for _, s := range drivers {
		ct := contributorOf(t, s)
		if ct == nil {
			continue
		}
		meta := ct.keyMeta()
		if !c.globKey(t, m.file, s, meta) {
			ok = false
			continue
		}
		if ct.owns != nil || len(drivers) < 2 {
			continue
		}
		for _, o := range drivers {
			if o != s && !c.apart(t, m.file, s, o, meta) {
				ok = false
				break
			}
		}
	}
	return ok
}

// globKey reports a driving entry s that matches several sources or
// tables by pattern while its key, which reads the metadata fields meta,
// does not tell their rows apart.
func (c *compiler) globKey(t *target, file string, s *sourceSpec, meta []string) bool {
	o := origin(s)
	var missing []string
	for i, p := range o {
		if p != "" && literal(p) == "" && !slices.Contains(meta, dims[i]) {
			missing = append(missing, "meta."+dims[i])
		}
	}
	if len(missing) == 0 {
		return true
	}
	key := "id"
	if len(t.table.Key) > 0 {
		key = t.table.Key[len(t.table.Key)-1]
	}
	if missing[0] == "meta.source" {
		c.add(file, s.source.pos, s.path+".source",
			"%q can match several sources, whose rows with the same key would overwrite each other: put meta.source in the target key (e.g. %s: \"meta.source + ':' + string(%s)\", or a key column set to meta.source), or give each source its own driving entry with owns:",
			s.source.value, key, key)
		missing = missing[1:]
	}
	if len(missing) > 0 {
		column := "a key column set to " + missing[0]
		if len(missing) > 1 {
			column = "a key column set to each"
		}
		c.add(file, s.table.pos, s.path+".table",
			"%q can match several tables, whose rows with the same key would overwrite each other: put %s in the target key (e.g. %s: \"%s + ':' + string(%s)\", or %s), or give each table its own driving entry with owns:",
			s.table.value, strings.Join(missing, " and "), key, strings.Join(missing, " + '.' + "), key, column)
	}
	return false
}

// apart reports a driving entry s without owns: whose key, which reads
// the metadata fields meta, does not tell its rows from those of the
// driving entry o.
func (c *compiler) apart(t *target, file string, s, o *sourceSpec, meta []string) bool {
	mine, theirs := origin(s), origin(o)
	var differ []string
	for i := range dims {
		if mine[i] != theirs[i] && mine[i] != "" && theirs[i] != "" {
			if slices.Contains(meta, dims[i]) {
				return true
			}
			differ = append(differ, "meta."+dims[i])
		}
	}
	if len(differ) == 0 {
		c.add(file, s.drivingPos, s.path+".driving",
			"reads the same tables as the driving %s, so their keys can collide: give each owns: (a condition on the target key saying which keys it writes)", o.path)
		return false
	}
	c.add(file, s.drivingPos, s.path+".driving",
		"several driving sources feed %s and their keys can collide: give each owns: (a condition on the target key saying which keys it writes), or put %s in this one's target key to tell its keys from those of %s",
		t.table.QualifiedName(), strings.Join(differ, " or "), o.path)
	return false
}

// joinedMeta reports a non-driving contributor ct that cannot compute the
// target key of its driving pair d because that key reads where the
// driving row comes from, which ct's row does not tell: a table matched by
// pattern, or a source matched by pattern that ct's source may not be.
func (c *compiler) joinedMeta(m *mappingSpec, ct, d *contributor) bool {
	ok := true
	for _, f := range d.keyMeta() {
		var pat string
		switch f {
		case "schema":
			pat = d.schemaPat
		case "table":
			pat = d.tablePat
		case "source":
			if literal(d.sourcePat) != "" || ct.sourcePat == d.sourcePat {
				continue
			}
			if src := literal(ct.sourcePat); src != "" {
				if in, _ := path.Match(d.sourcePat, src); in {
					continue
				}
			}
			pat = d.sourcePat
		default:
			continue
		}
		if literal(pat) != "" {
			continue
		}
		c.add(ct.file, ct.pos, specPath(m, ct), "cannot compute the target key of its driving row: the key of %s reads meta.%s, which this source's rows do not tell (%q is a pattern)", d.where(), f, pat)
		ok = false
	}
	return ok
}

package source

import (
	"strings"
)

// grants summarises what SHOW GRANTS lines give an account.
type grants struct {
	// Global holds the privileges granted ON *.*, upper case.
	Global map[string]bool
	// SelectSchemas lists schemas with SELECT granted ON `db`.*.
	SelectSchemas []string
	// Roles lists roles granted to the account, as written in the grant.
	Roles []string
}

// has reports whether any of privs is granted globally; ALL PRIVILEGES
// implies every privilege.
func (g *grants) has(privs ...string) bool {
	if g.Global["ALL PRIVILEGES"] || g.Global["ALL"] {
		return true
	}
	for _, p := range privs {
		if g.Global[p] {
			return true
		}
	}
	return false
}

// add merges the privileges of one SHOW GRANTS line into g. Lines it does
// not understand (PROXY, routines) add nothing.
func (g *grants) add(line string) {
	if g.Global == nil {
		g.Global = map[string]bool{}
	}
	toks := tokenize(line)
	if len(toks) == 0 || !toks[0].isWord("GRANT") {
		return
	}
	toks = toks[1:]
	on, to := -1, -1
	depth := 0
	for i, t := range toks {
		switch {
		case t.is("("):
			depth++
		case t.is(")"):
			depth--
		case depth == 0 && on < 0 && to < 0 && t.isWord("ON"):
			on = i
		case depth == 0 && to < 0 && t.isWord("TO"):
			to = i
		}
	}
	if to < 0 {
		return
	}
	if on < 0 {
		g.Roles = append(g.Roles, roleNames(toks[:to])...)
		return
	}
	privs := privileges(toks[:on])
	switch object := toks[on+1 : to]; {
	case isGlobalObject(object):
		for _, p := range privs {
			g.Global[p] = true
		}
	case len(object) == 3 && object[1].is(".") && object[2].is("*"):
		for _, p := range privs {
			if p == "SELECT" || p == "ALL" || p == "ALL PRIVILEGES" {
				g.SelectSchemas = append(g.SelectSchemas, object[0].text)
			}
		}
	}
}

// isGlobalObject reports whether object is "*.*".
func isGlobalObject(object []token) bool {
	return len(object) == 3 && object[0].is("*") && object[1].is(".") && object[2].is("*")
}

// privileges splits a privilege list at top-level commas into upper-case
// names with single spaces, dropping column lists.
func privileges(toks []token) []string {
	var out []string
	var words []string
	depth := 0
	flush := func() {
		if len(words) > 0 {
			out = append(out, strings.ToUpper(strings.Join(words, " ")))
			words = words[:0]
		}
	}
	for _, t := range toks {
		switch {
		case t.is("("):
			depth++
		case t.is(")"):
			depth--
		case depth > 0:
		case t.is(","):
			flush()
		case t.kind == tokWord:
			words = append(words, t.text)
		}
	}
	flush()
	return out
}

// roleNames reads `role`@`host` (MySQL) or `role` (MariaDB) items.
func roleNames(toks []token) []string {
	var out []string
	var cur strings.Builder
	for _, t := range toks {
		switch {
		case t.is(","):
			out = append(out, cur.String())
			cur.Reset()
		case t.kind == tokQuoted:
			cur.WriteString("`" + strings.ReplaceAll(t.text, "`", "``") + "`")
		case t.kind == tokString:
			cur.WriteString("'" + strings.ReplaceAll(t.text, "'", "''") + "'")
		default:
			cur.WriteString(t.text)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

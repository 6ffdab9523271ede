package source

import "slices"

// tableRef names a table; Schema is never empty once resolved.
type tableRef struct {
	Schema, Name string
}

// ddl is what a table DDL statement did to the schema.
type ddl struct {
	// Describe lists tables whose description changed or appeared.
	Describe []tableRef
	// Dropped lists tables that no longer exist under that name.
	Dropped []tableRef
	// Truncated lists tables emptied by TRUNCATE.
	Truncated []tableRef
	// Renamed pairs each renamed table with its new name; both are in
	// Dropped and Describe as well.
	Renamed []renamed
	// DroppedSchema is the database a DROP DATABASE removed, with every
	// table in it; the schema history knows which (schemaTracker.applyDDL).
	DroppedSchema string
}

// renamed is one table moved by RENAME TABLE or ALTER TABLE ... RENAME.
type renamed struct{ From, To tableRef }

// parseDDL recognises CREATE, ALTER, DROP, RENAME and TRUNCATE TABLE and
// DROP DATABASE in query, resolving unqualified names against defaultSchema. ok is false for
// every other statement. TRUNCATE changes no description.
// Temporary tables are ignored: they never reach a row-based binlog.
func parseDDL(query, defaultSchema string) (d ddl, ok bool) {
	p := &ddlParser{toks: tokenize(query), schema: defaultSchema}
	switch {
	case p.word("CREATE"):
		return p.create()
	case p.word("ALTER"):
		return p.alter()
	case p.word("DROP"):
		return p.drop()
	case p.word("RENAME"):
		return p.rename()
	case p.word("TRUNCATE"):
		p.word("TABLE")
		t, ok := p.name()
		return ddl{Truncated: []tableRef{t}}, ok
	}
	return ddl{}, false
}

type ddlParser struct {
	toks   []token
	i      int
	schema string
}

func (p *ddlParser) create() (ddl, bool) {
	if p.word("OR") && !p.word("REPLACE") {
		return ddl{}, false
	}
	if p.word("TEMPORARY") || !p.word("TABLE") {
		return ddl{}, false
	}
	p.ifExists("IF", "NOT", "EXISTS")
	t, ok := p.name()
	return ddl{Describe: []tableRef{t}}, ok
}

func (p *ddlParser) alter() (ddl, bool) {
	p.word("ONLINE")
	p.word("OFFLINE")
	p.word("IGNORE")
	if !p.word("TABLE") {
		return ddl{}, false
	}
	p.ifExists("IF", "EXISTS")
	t, ok := p.name()
	if !ok {
		return ddl{}, false
	}
	// ALTER TABLE t ..., RENAME [TO|AS] u: the clause starts a top-level
	// item; RENAME COLUMN, INDEX and KEY rename parts of the table.
	depth, itemStart := 0, true
	for ; p.i < len(p.toks); p.i++ {
		tok := p.toks[p.i]
		switch {
		case tok.is("("):
			depth++
		case tok.is(")"):
			depth--
		case tok.is(","):
			if depth == 0 {
				itemStart = true
				continue
			}
		case depth == 0 && itemStart && tok.isWord("RENAME"):
			p.i++
			if p.word("COLUMN") || p.word("INDEX") || p.word("KEY") {
				p.i--
				break
			}
			if !p.word("TO") {
				p.word("AS")
			}
			if u, ok := p.name(); ok {
				return ddl{Describe: []tableRef{u}, Dropped: []tableRef{t}, Renamed: []renamed{{t, u}}}, true
			}
			return ddl{Describe: []tableRef{t}}, true
		}
		itemStart = false
	}
	return ddl{Describe: []tableRef{t}}, true
}

func (p *ddlParser) drop() (ddl, bool) {
	if p.word("DATABASE") || p.word("SCHEMA") {
		p.ifExists("IF", "EXISTS")
		name, ok := p.ident()
		return ddl{DroppedSchema: name}, ok
	}
	if p.word("TEMPORARY") || !p.word("TABLE") {
		return ddl{}, false
	}
	p.ifExists("IF", "EXISTS")
	var d ddl
	for {
		t, ok := p.name()
		if !ok {
			break
		}
		d.Dropped = append(d.Dropped, t)
		if !p.punct(",") {
			break
		}
	}
	return d, len(d.Dropped) > 0
}

func (p *ddlParser) rename() (ddl, bool) {
	if !p.word("TABLE") && !p.word("TABLES") {
		return ddl{}, false
	}
	p.ifExists("IF", "EXISTS")
	var d ddl
	for {
		from, ok := p.name()
		if !ok {
			break
		}
		p.skipWait()
		if !p.word("TO") {
			break
		}
		to, ok := p.name()
		if !ok {
			break
		}
		d.Dropped = append(d.Dropped, from)
		d.Describe = append(d.Describe, to)
		d.Renamed = append(d.Renamed, renamed{from, to})
		if !p.punct(",") {
			break
		}
	}
	return d, len(d.Describe) > 0
}

// skipWait skips MariaDB's WAIT n / NOWAIT lock options.
func (p *ddlParser) skipWait() {
	if p.word("WAIT") {
		p.i++
	}
	p.word("NOWAIT")
}

// skipWords consumes any run of the given keywords.
func (p *ddlParser) skipWords(words ...string) {
	for p.i < len(p.toks) && slices.ContainsFunc(words, p.toks[p.i].isWord) {
		p.i++
	}
}

// ifExists consumes the words of an IF [NOT] EXISTS clause if all are there.
func (p *ddlParser) ifExists(words ...string) {
	for k, w := range words {
		if p.i+k >= len(p.toks) || !p.toks[p.i+k].isWord(w) {
			return
		}
	}
	p.i += len(words)
}

// name reads a possibly qualified table name.
func (p *ddlParser) name() (tableRef, bool) {
	first, ok := p.ident()
	if !ok {
		return tableRef{}, false
	}
	if p.punct(".") {
		second, ok := p.ident()
		if !ok {
			return tableRef{}, false
		}
		return tableRef{Schema: first, Name: second}, true
	}
	if p.schema == "" {
		return tableRef{}, false
	}
	return tableRef{Schema: p.schema, Name: first}, true
}

func (p *ddlParser) ident() (string, bool) {
	if p.i >= len(p.toks) {
		return "", false
	}
	tok := p.toks[p.i]
	if tok.kind != tokWord && tok.kind != tokQuoted {
		return "", false
	}
	p.i++
	return tok.text, true
}

// word consumes the keyword w if it comes next.
func (p *ddlParser) word(w string) bool {
	if p.i < len(p.toks) && p.toks[p.i].isWord(w) {
		p.i++
		return true
	}
	return false
}

func (p *ddlParser) punct(s string) bool {
	if p.i < len(p.toks) && p.toks[p.i].is(s) {
		p.i++
		return true
	}
	return false
}

// parseDML returns the (first) table a DML statement writes to: INSERT,
// REPLACE, UPDATE or DELETE. Such statements appear in the binlog only
// when a session logs by statement, and then their rows do not.
func parseDML(query, defaultSchema string) (tableRef, bool) {
	p := &ddlParser{toks: tokenize(query), schema: defaultSchema}
	modifiers := func() { p.skipWords("LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "QUICK", "IGNORE") }
	switch {
	case p.word("INSERT"), p.word("REPLACE"):
		modifiers()
		p.word("INTO")
	case p.word("UPDATE"):
		modifiers()
	case p.word("DELETE"):
		modifiers()
		p.word("FROM")
	default:
		return tableRef{}, false
	}
	return p.name()
}

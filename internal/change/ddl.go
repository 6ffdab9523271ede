package change

// DDLKind names what a DDL statement did to a table, never how: the
// statement's text stays out of changes, logs and records.
type DDLKind string

// The DDL kinds that can make a target diverge from its sources.
const (
	// DDLTruncate emptied the table.
	DDLTruncate DDLKind = "truncate"
	// DDLDrop dropped the table.
	DDLDrop DDLKind = "drop"
	// DDLRename moved the table to NewSchema.NewTable.
	DDLRename DDLKind = "rename"
	// DDLAlter dropped or retyped the columns in Columns.
	DDLAlter DDLKind = "alter"
)

// DDL is one table DDL of a transaction that the mappings must hear of.
type DDL struct {
	Kind          DDLKind
	Schema, Table string
	// NewSchema and NewTable name the table after a rename.
	NewSchema, NewTable string
	// Columns lists, for DDLAlter, the columns dropped or whose type
	// changed.
	Columns []string
}

// QualifiedName returns "schema.table" of the table the statement was
// about.
func (d *DDL) QualifiedName() string { return d.Schema + "." + d.Table }

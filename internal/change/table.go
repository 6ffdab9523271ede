package change

// Kind is the family of a column type; it decides the Go type of its values.
type Kind uint8

// Column kinds and the Go type their non-NULL values decode to. NULL is
// always the untyped nil, so NULL stays distinct from "" and from 0.
const (
	KindUnknown   Kind = iota
	KindInt            // TINYINT..BIGINT signed: int64
	KindUint           // TINYINT..BIGINT UNSIGNED: uint64
	KindFloat          // FLOAT: float32
	KindDouble         // DOUBLE: float64
	KindDecimal        // DECIMAL: Decimal, exact digits as the server prints them
	KindDate           // DATE: Temporal "YYYY-MM-DD" (zero dates kept as "0000-00-00")
	KindTime           // TIME: Temporal "[-]HHH:MM:SS[.ffffff]"
	KindDateTime       // DATETIME(fsp): Temporal "YYYY-MM-DD HH:MM:SS[.ffffff]"
	KindTimestamp      // TIMESTAMP(fsp): Temporal in UTC, same layout as DATETIME
	KindYear           // YEAR: int64 (0 for the zero year)
	KindString         // CHAR, VARCHAR, TEXT with a character set: string, UTF-8
	KindBytes          // BINARY(N) (with its padding), VARBINARY, BLOB: []byte
	KindJSON           // JSON: JSON, the document as text
	KindEnum           // ENUM: string, the member's name ("" for the invalid 0 index)
	KindSet            // SET: string, member names joined by ","
	KindBit            // BIT(N): uint64
	KindGeometry       // GEOMETRY and its subtypes: []byte, the server's internal WKB
)

var kindNames = [...]string{
	KindUnknown: "unknown", KindInt: "int", KindUint: "uint", KindFloat: "float",
	KindDouble: "double", KindDecimal: "decimal", KindDate: "date", KindTime: "time",
	KindDateTime: "datetime", KindTimestamp: "timestamp", KindYear: "year",
	KindString: "string", KindBytes: "bytes", KindJSON: "json", KindEnum: "enum",
	KindSet: "set", KindBit: "bit", KindGeometry: "geometry",
}

// String returns the kind's lower-case name, as used in the JSON envelope.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Column describes one column of a source table.
type Column struct {
	Name string
	Kind Kind
	// Type is the MySQL column type as declared where known ("bigint
	// unsigned", "varchar(255)"), else the binlog type name.
	Type string
	// Charset is the column's character set for KindString ("utf8mb4",
	// "latin1", ...); empty for other kinds.
	Charset string
	// Nullable reports whether the column accepts NULL.
	Nullable bool
}

// Table describes a source table at one binlog position.
type Table struct {
	Schema  string
	Name    string
	Columns []Column
	// PrimaryKey holds indexes into Columns; empty when the table has no
	// primary key (then every column together identifies a row).
	PrimaryKey []int
}

// QualifiedName returns "schema.table".
func (t *Table) QualifiedName() string { return t.Schema + "." + t.Name }

// ColumnIndex returns the index of the named column, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

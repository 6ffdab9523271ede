package mapping

import "go.yaml.in/yaml/v3"

// scalar is a YAML scalar value with where it is.
type scalar struct {
	value string
	// null is set for a YAML null (~, null or an empty value).
	null bool
	// node is the scalar's node, for positions inside the value.
	node *yaml.Node
	pos
}

// entry is one "name: expression" pair of a columns or key mapping.
type entry struct {
	path string
	name scalar
	expr scalar
}

// mappingSpec is one mapping as written in a file.
type mappingSpec struct {
	file    string
	pos     pos
	target  *scalar
	key     []scalar
	keyPos  *pos
	sources []*sourceSpec
	srcPos  *pos
	lookups []*lookupSpec
	// ddl is the DDL policy: halt (default), ignore or propagate.
	ddl *scalar
	// failed holds the keys whose values could not be decoded.
	failed map[string]bool
}

// sourceSpec is one contributing source table as written in a file.
type sourceSpec struct {
	path       string
	pos        pos
	source     *scalar
	table      *scalar
	driving    *bool
	drivingPos pos
	columns    []entry
	hasColumns bool
	allColumns bool
	allPos     pos
	exclude    []scalar
	excludePos *pos
	filter     *scalar
	delete     *scalar
	soft       *softSpec
	// join pairs a non-driving source's columns with the driving
	// source's columns they equal: contributor column -> driving column.
	join    []entry
	joinPos *pos
	// owns is a predicate over the target key that the driving source's
	// keys must satisfy.
	owns *scalar
	// failed holds the keys whose values could not be decoded.
	failed map[string]bool
}

// lookupSpec is one lookup as written in a file.
type lookupSpec struct {
	path   string
	pos    pos
	source *scalar
	table  *scalar
	// match pairs looked-up columns with the target columns they equal.
	match    []entry
	matchPos *pos
	// columns gives each target column its looked-up column, or an array.
	columns []lookupColumn
	colPos  *pos
	failed  map[string]bool
}

// lookupColumn is one target column of a lookup: a looked-up column, or
// a JSON array of one column over every matching row.
type lookupColumn struct {
	path    string
	name    scalar
	column  *scalar
	array   bool
	orderBy []scalar
}

// softSpec is a soft_delete block as written in a file.
type softSpec struct {
	pos    pos
	column *scalar
	value  *scalar
}

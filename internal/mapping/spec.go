package mapping

import "gopkg.in/yaml.v3"

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
	key        []entry
	keyPos     *pos
	// failed holds the keys whose values could not be decoded.
	failed map[string]bool
}

// softSpec is a soft_delete block as written in a file.
type softSpec struct {
	pos    pos
	column *scalar
	value  *scalar
}

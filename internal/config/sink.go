package config

import (
	"fmt"
	"strings"

	"github.com/tributary-cdc/tributary/internal/problem"
	"github.com/tributary-cdc/tributary/internal/sink/jsonl"
	"github.com/tributary-cdc/tributary/internal/sink/kinesis"
	"github.com/tributary-cdc/tributary/internal/sink/mysql"
)

// SinkType selects the kind of a sink and, with it, its settings block.
type SinkType string

// The sink types. A new type adds a constant here, a settings field on Sink,
// an entry in sinkTypes and in Sink.blocks, and a case in Sink.check.
const (
	// SinkJSONL appends one JSON object per change to a file or stdout.
	SinkJSONL SinkType = "jsonl"
	// SinkMySQL applies target operations to a MySQL or MariaDB database.
	SinkMySQL SinkType = "mysql"
	// SinkKinesis sends one record per change to Kinesis Data Streams.
	SinkKinesis SinkType = "kinesis"
)

// sinkTypes lists the known sink types, for messages.
var sinkTypes = []string{string(SinkJSONL), string(SinkMySQL), string(SinkKinesis)}

// Sink is one destination of changes.
type Sink struct {
	// Name identifies the sink in metrics and logs (required, unique,
	// [a-z0-9][a-z0-9_-]*).
	Name string `yaml:"name"`
	// Type selects the sink kind (required); only the settings block of
	// that type may be set.
	Type SinkType `yaml:"type"`
	// JSONL holds the settings of a jsonl sink.
	JSONL *jsonl.Options `yaml:"jsonl"`
	// MySQL holds the settings of a mysql sink.
	MySQL *mysql.Options `yaml:"mysql"`
	// Kinesis holds the settings of a kinesis sink.
	Kinesis *kinesis.Options `yaml:"kinesis"`
}

// sinkBlock says whether the settings block of one sink type is set.
type sinkBlock struct {
	typ SinkType
	set bool
}

// blocks lists, per sink type, whether its settings block is set.
func (s *Sink) blocks() []sinkBlock {
	return []sinkBlock{
		{SinkJSONL, s.JSONL != nil},
		{SinkMySQL, s.MySQL != nil},
		{SinkKinesis, s.Kinesis != nil},
	}
}

// check reports the problems of the sink at key.
func (s *Sink) check(key string, p *collector) {
	for _, b := range s.blocks() {
		if b.set && b.typ != s.Type {
			p.At(key+"."+string(b.typ), fmt.Sprintf("is only allowed with type %s", b.typ))
		}
	}
	switch s.Type {
	case "":
		p.At(key+".type", "is required")
	case SinkJSONL:
		if s.JSONL == nil {
			p.At(key+".jsonl.path", "is required for type jsonl")
		} else {
			s.JSONL.Check(problem.Under(p, key+".jsonl"))
		}
	case SinkMySQL:
		if s.MySQL == nil {
			p.At(key+".mysql", "is required for type mysql")
		} else {
			s.MySQL.Check(problem.Under(p, key+".mysql"))
		}
	case SinkKinesis:
		if s.Kinesis == nil {
			p.At(key+".kinesis", "is required for type kinesis")
		} else {
			s.Kinesis.Check(problem.Under(p, key+".kinesis"))
		}
	default:
		p.At(key+".type", fmt.Sprintf("unknown sink type %q (known: %s)", s.Type, strings.Join(sinkTypes, ", ")))
	}
}

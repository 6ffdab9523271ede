package config

import (
	"fmt"
	"strings"
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
	JSONL *JSONLSink `yaml:"jsonl"`
	// MySQL holds the settings of a mysql sink.
	MySQL *MySQLSink `yaml:"mysql"`
	// Kinesis holds the settings of a kinesis sink.
	Kinesis *KinesisSink `yaml:"kinesis"`
}

// JSONLSink writes changes as JSON lines.
type JSONLSink struct {
	// Path is "-" for stdout, else a file that is appended to (required).
	// A relative path in a file is resolved against the file's directory.
	Path string `yaml:"path"`
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
			p.at(key+"."+string(b.typ), fmt.Sprintf("is only allowed with type %s", b.typ))
		}
	}
	switch s.Type {
	case "":
		p.at(key+".type", "is required")
	case SinkJSONL:
		if s.JSONL == nil || s.JSONL.Path == "" {
			p.at(key+".jsonl.path", "is required for type jsonl")
		}
	case SinkMySQL:
		if s.MySQL == nil {
			p.at(key+".mysql", "is required for type mysql")
		} else {
			s.MySQL.check(key+".mysql", p)
		}
	case SinkKinesis:
		if s.Kinesis == nil {
			p.at(key+".kinesis", "is required for type kinesis")
		} else {
			s.Kinesis.check(key+".kinesis", p)
		}
	default:
		p.at(key+".type", fmt.Sprintf("unknown sink type %q (known: %s)", s.Type, strings.Join(sinkTypes, ", ")))
	}
}

package checkpoint

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Key namespaces, each followed by '/' in keys.
const (
	nsPosition = "pos"
	nsSchema   = "schema"
	nsMeta     = "meta"
	nsServer   = "server"
)

// ordinalLen is the width of a big-endian ordinal at the end of a key.
const ordinalLen = 8

// checkName rejects names that cannot be encoded in a key.
func checkName(what, name string) error {
	if name == "" {
		return fmt.Errorf("checkpoint: empty %s name", what)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("checkpoint: %s name %q contains a NUL byte", what, name)
	}
	return nil
}

// keyPrefix returns namespace + "/" + each name followed by NUL.
func keyPrefix(namespace string, names ...string) []byte {
	n := len(namespace) + 1
	for _, name := range names {
		n += len(name) + 1
	}
	b := make([]byte, 0, n+ordinalLen)
	b = append(b, namespace...)
	b = append(b, '/')
	for _, name := range names {
		b = append(b, name...)
		b = append(b, 0)
	}
	return b
}

// prefixEnd returns the smallest key greater than every key starting with
// prefix. Prefixes end in '/' or NUL, so the last byte never overflows.
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	end[len(end)-1]++
	return end
}

func positionKey(source string) []byte { return keyPrefix(nsPosition, source) }

func storeIDKey() []byte { return keyPrefix(nsMeta, "store_id") }

func serverKey(source string) []byte { return keyPrefix(nsServer, source) }

// parsePositionKey returns the source name of a position key.
func parsePositionKey(key []byte) (string, error) { return parseNameKey(nsPosition, key) }

// parseNameKey returns the one name of a key of namespace ns.
func parseNameKey(ns string, key []byte) (string, error) {
	rest, ok := strings.CutPrefix(string(key), ns+"/")
	if !ok || !strings.HasSuffix(rest, "\x00") || strings.Count(rest, "\x00") != 1 {
		return "", fmt.Errorf("checkpoint: malformed %s key %q", ns, key)
	}
	return rest[:len(rest)-1], nil
}

func schemaPrefix(source, schema, table string) []byte {
	return keyPrefix(nsSchema, source, schema, table)
}

func schemaKey(source, schema, table string, ordinal uint64) []byte {
	return binary.BigEndian.AppendUint64(schemaPrefix(source, schema, table), ordinal)
}

// parseSchemaKey splits a schema key of source into its table and ordinal.
func parseSchemaKey(source string, key []byte) (TableRef, uint64, error) {
	prefix := keyPrefix(nsSchema, source)
	rest, ok := strings.CutPrefix(string(key), string(prefix))
	if !ok || len(rest) < ordinalLen {
		return TableRef{}, 0, fmt.Errorf("checkpoint: malformed schema key %q", key)
	}
	names := strings.Split(rest[:len(rest)-ordinalLen], "\x00")
	if len(names) != 3 || names[2] != "" {
		return TableRef{}, 0, fmt.Errorf("checkpoint: malformed schema key %q", key)
	}
	ordinal := binary.BigEndian.Uint64([]byte(rest[len(rest)-ordinalLen:]))
	return TableRef{Schema: names[0], Table: names[1]}, ordinal, nil
}

// sources returns "1 source" or "n sources", for messages.
func sources(n int) string {
	if n == 1 {
		return "1 source"
	}
	return fmt.Sprintf("%d sources", n)
}

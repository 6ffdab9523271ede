package dms

import (
	"strconv"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// maxID keeps transaction ids below 2^63.
const maxID = 1<<63 - 1

// TransactionID returns the number written as metadata "transaction-id".
// It depends only on which source transaction txn is, so every record of a
// transaction, every part of a large one and every replay after a restart
// carry the same id. It is always below 2^63, so consumers can hold it in a
// signed 64-bit integer (a Java long, an Athena bigint).
//
//   - MariaDB GTID "domain-server-seq": domain<<55 | seq. The server id is
//     left out because within a domain the sequence number alone names a
//     transaction. Distinct while domain < 256 and seq < 2^55; larger
//     domains are folded to their low 8 bits. Domain 0 gives the seq itself.
//   - MySQL GTID "uuid:n" or "uuid:tag:n": 15 bits of the FNV-1a hash of
//     "uuid" (or "uuid:tag") in bits 48-62, n in bits 0-47. Distinct for
//     one server while n < 2^48; two servers share an id only when their
//     hashes collide (1 in 32768 per pair) and their n are equal.
//   - No GTID: the binlog ordinal of txn.Begin (file number<<32 | offset;
//     see change.Position.Ordinal), distinct among one server's
//     transactions while the file number is below 2^31.
//   - A GTID or binlog file name of another form: a 63-bit FNV-1a hash of
//     the GTID, or 31 bits of the hash of the file name above the offset.
//
// It is 0 when txn has neither a GTID nor a begin position.
func TransactionID(txn *change.Txn) uint64 {
	if g := txn.GTID; g != "" {
		if i := strings.LastIndexByte(g, ':'); i >= 0 {
			return mysqlID(g, i)
		}
		return mariaDBID(g)
	}
	if txn.Begin.File == "" {
		return 0
	}
	if n, err := txn.Begin.Ordinal(); err == nil {
		return n & maxID
	}
	return hash(txn.Begin.File)>>32<<32 | uint64(txn.Begin.Pos)
}

// mysqlID is TransactionID for a MySQL GTID whose last ':' is at i.
func mysqlID(g string, i int) uint64 {
	n, err := strconv.ParseUint(g[i+1:], 10, 64)
	if err != nil {
		return hash(g)
	}
	return hash(g[:i])>>48<<48 | n&(1<<48-1)
}

// mariaDBID is TransactionID for a MariaDB GTID.
func mariaDBID(g string) uint64 {
	domain, rest, ok1 := strings.Cut(g, "-")
	server, seq, ok2 := strings.Cut(rest, "-")
	d, err1 := strconv.ParseUint(domain, 10, 32)
	_, err2 := strconv.ParseUint(server, 10, 32)
	s, err3 := strconv.ParseUint(seq, 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || err3 != nil {
		return hash(g)
	}
	return (d&0xff)<<55 | s&(1<<55-1)
}

// hash returns the 64-bit FNV-1a hash of s with the top bit cleared,
// inlined rather than taken from hash/fnv to stay free of allocations.
func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h & maxID
}

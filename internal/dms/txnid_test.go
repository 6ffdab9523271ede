package dms

import (
	"hash/fnv"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

const uuid1 = "3e11fa47-71ca-11e1-9e33-c80aa9429562"

func TestTransactionID(t *testing.T) {
	tests := []struct {
		name string
		gtid string
		file string
		pos  uint32
		want uint64
	}{
		{name: "mariadb domain 0 is the seq", gtid: "0-1-42", want: 42},
		{name: "mariadb server id is left out", gtid: "0-2-42", want: 42},
		{name: "mariadb domain in the high bits", gtid: "1-1-42", want: 1<<55 | 42},
		{name: "mariadb largest distinct domain", gtid: "255-9-7", want: 255<<55 | 7},
		{name: "mariadb domain folded", gtid: "256-9-7", want: 7},
		{name: "mariadb gtid wins over the position", gtid: "0-1-42", file: "mysql-bin.000002", pos: 66, want: 42},
		{name: "mysql", gtid: uuid1 + ":23", want: hash(uuid1)>>48<<48 | 23},
		{name: "mysql tagged", gtid: uuid1 + ":orders:23", want: hash(uuid1+":orders")>>48<<48 | 23},
		{name: "mysql n above 48 bits is folded", gtid: uuid1 + ":281474976710657", want: hash(uuid1)>>48<<48 | 1},
		// The sample's ids happen to read as mysql-bin.000002 offsets 66, 79, 110.
		{name: "binlog position", file: "mysql-bin.000002", pos: 66, want: 8589934658},
		{name: "binlog file without number", file: "binlog", pos: 120, want: hash("binlog")>>32<<32 | 120},
		{name: "nothing", want: 0},
		{name: "malformed mariadb", gtid: "0-1-x", want: hash("0-1-x")},
		{name: "two dashes only", gtid: "0-42", want: hash("0-42")},
		{name: "malformed mysql", gtid: uuid1 + ":", want: hash(uuid1 + ":")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			txn := &change.Txn{GTID: tt.gtid, Begin: change.Position{File: tt.file, Pos: tt.pos}}
			got := TransactionID(txn)
			require.Equal(t, tt.want, got)
			require.Less(t, got, uint64(1<<63))
		})
	}
}

func TestTransactionIDIsStableAcrossParts(t *testing.T) {
	begin := change.Position{File: "mysql-bin.000007", Pos: 4}
	for _, gtid := range []string{"", "0-1-9", uuid1 + ":9"} {
		first := &change.Txn{GTID: gtid, Seq: 3, Part: 0, Begin: begin}
		last := &change.Txn{GTID: gtid, Seq: 3, Part: 5, Last: true, Begin: begin,
			End: change.Position{File: "mysql-bin.000007", Pos: 90000}}
		replay := &change.Txn{GTID: gtid, Seq: 1, Part: 0, Begin: begin}
		require.Equal(t, TransactionID(first), TransactionID(last), "gtid %q", gtid)
		require.Equal(t, TransactionID(first), TransactionID(replay), "gtid %q", gtid)
	}
}

func TestTransactionIDSeparatesServers(t *testing.T) {
	other := "9f2b7c1e-0d4a-11ef-8a1b-0242ac120002"
	require.NotEqual(t,
		TransactionID(&change.Txn{GTID: uuid1 + ":5"}),
		TransactionID(&change.Txn{GTID: other + ":5"}))
}

func TestHashIsFNV1a(t *testing.T) {
	for _, s := range []string{"", "a", uuid1, "mysql-bin"} {
		h := fnv.New64a()
		_, _ = h.Write([]byte(s))
		require.Equal(t, h.Sum64()&math.MaxInt64, hash(s), "%q", s)
	}
}

func FuzzTransactionID(f *testing.F) {
	f.Add("0-1-42", "mysql-bin.000001", uint32(4))
	f.Add(uuid1+":1-5", "", uint32(0))
	f.Add("", "binlog.4294967295", uint32(math.MaxUint32))
	f.Fuzz(func(t *testing.T, gtid, file string, pos uint32) {
		txn := &change.Txn{GTID: gtid, Begin: change.Position{File: file, Pos: pos}}
		got := TransactionID(txn)
		require.Less(t, got, uint64(1<<63))
		require.Equal(t, got, TransactionID(txn))
	})
}

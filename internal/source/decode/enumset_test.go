package decode

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEnumName(t *testing.T) {
	members := []string{"a", "b", "c é"}
	tests := []struct {
		in      any
		want    string
		wantErr bool
	}{
		{in: int64(0), want: ""},
		{in: int64(1), want: "a"},
		{in: int64(3), want: "c é"},
		{in: int64(4), wantErr: true},
		{in: int64(-1), wantErr: true},
		{in: "a", wantErr: true},
	}
	for _, tt := range tests {
		got, err := enumName(members, tt.in)
		if tt.wantErr {
			require.Error(t, err, "%v", tt.in)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.want, got)
	}
}

func TestSetNames(t *testing.T) {
	members := []string{"a", "b", "c", "d"}
	all64 := make([]string, 64)
	for i := range all64 {
		all64[i] = string(rune('A' + i))
	}
	tests := []struct {
		name    string
		members []string
		in      any
		want    string
		wantErr bool
	}{
		{name: "empty", members: members, in: int64(0), want: ""},
		{name: "one", members: members, in: int64(4), want: "c"},
		{name: "definition order", members: members, in: int64(0b1001), want: "a,d"},
		{name: "all", members: members, in: int64(0b1111), want: "a,b,c,d"},
		{name: "bit beyond members", members: members, in: int64(0b10000), wantErr: true},
		{name: "64 members all set", members: all64, in: int64(-1), want: strings.Join(all64, ",")},
		{name: "64th member", members: all64, in: int64(-1 << 63), want: all64[63]},
		{name: "wrong type", members: members, in: uint64(1), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := setNames(tt.members, tt.in)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseMembers(t *testing.T) {
	tests := []struct {
		kind, typ string
		want      []string
		notKind   bool
		wantErr   bool
	}{
		{kind: "enum", typ: "enum('a','b')", want: []string{"a", "b"}},
		{kind: "enum", typ: "ENUM('a')", want: []string{"a"}},
		{kind: "set", typ: "set('x,y','z')", want: []string{"x,y", "z"}},
		{kind: "enum", typ: `enum('it''s','back\\slash','\'q')`, want: []string{"it's", `back\slash`, "'q"}},
		{kind: "enum", typ: `enum('\0\n\r\t\Z')`, want: []string{"\x00\n\r\t\x1a"}},
		{kind: "enum", typ: "enum('')", want: []string{""}},
		{kind: "enum", typ: "enum('c é','😀')", want: []string{"c é", "😀"}},
		{kind: "enum", typ: "set('a')", notKind: true},
		{kind: "enum", typ: "varchar(10)", notKind: true},
		{kind: "enum", typ: "enum", notKind: true},
		{kind: "enum", typ: "enum(a)", wantErr: true},
		{kind: "enum", typ: "enum('a'", wantErr: true},
		{kind: "enum", typ: "enum('a", wantErr: true},
		{kind: "enum", typ: "enum('a';'b')", wantErr: true},
		{kind: "enum", typ: `enum('a\`, wantErr: true},
	}
	for _, tt := range tests {
		got, ok, err := parseMembers(tt.kind, tt.typ)
		if tt.wantErr {
			require.Error(t, err, tt.typ)
			continue
		}
		require.NoError(t, err, tt.typ)
		require.Equal(t, !tt.notKind, ok, tt.typ)
		require.Equal(t, tt.want, got, tt.typ)
	}
}

func TestMembersType(t *testing.T) {
	require.Equal(t, `enum('a','it''s','x\\y','\0\n\r')`, membersType("enum", []string{"a", "it's", `x\y`, "\x00\n\r"}))
	require.Equal(t, "set()", membersType("set", nil))
}

func FuzzMembersRoundTrip(f *testing.F) {
	f.Add("a\x1fb\x1fit's")
	f.Add(`x\y`)
	f.Add("\x00\n\r\t\x1a'")
	f.Fuzz(func(t *testing.T, joined string) {
		members := strings.Split(joined, "\x1f")
		got, ok, err := parseMembers("enum", membersType("enum", members))
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, members, got)
	})
}

func FuzzParseMembers(f *testing.F) {
	f.Add("enum('a','b')")
	f.Add(`set('it''s','\\')`)
	f.Add("enum('")
	f.Fuzz(func(t *testing.T, typ string) {
		for _, kind := range []string{"enum", "set"} {
			members, ok, err := parseMembers(kind, typ)
			if err != nil || !ok {
				continue
			}
			again, _, err := parseMembers(kind, membersType(kind, members))
			require.NoError(t, err)
			require.Equal(t, members, again)
		}
	})
}

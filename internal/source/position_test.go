package source

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

const (
	uuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	uuidB = "5a0c59a3-0f3b-11ef-8d0a-0242ac120002"
)

func TestParseGTIDSet(t *testing.T) {
	tests := []struct {
		name    string
		flavor  string
		in      string
		want    string
		wantErr bool
	}{
		{"mysql empty", change.MySQL, "", "", false},
		{"mysql single", change.MySQL, uuidA + ":1-5", uuidA + ":1-5", false},
		{"mysql intervals merge", change.MySQL, uuidA + ":1-5:6:8", uuidA + ":1-6:8", false},
		{"mysql two uuids sorted", change.MySQL, uuidB + ":3," + uuidA + ":1-5:7", uuidA + ":1-5:7," + uuidB + ":3", false},
		{"mysql newline after comma", change.MySQL, uuidA + ":1-5,\n" + uuidB + ":3", uuidA + ":1-5," + uuidB + ":3", false},
		{"mysql tag", change.MySQL, uuidA + ":1-3:billing:1-2", uuidA + ":1-3:billing:1-2", false},
		{"mysql bad uuid", change.MySQL, "nope:1-5", "", true},
		{"mysql no interval", change.MySQL, uuidA, "", true},
		{"mysql bad interval", change.MySQL, uuidA + ":x", "", true},
		{"mariadb empty", change.MariaDB, "", "", false},
		{"mariadb single", change.MariaDB, "0-1-5", "0-1-5", false},
		{"mariadb domains sorted", change.MariaDB, "1-2-3,0-1-5", "0-1-5,1-2-3", false},
		{"mariadb same domain keeps last", change.MariaDB, "0-1-5,0-2-9", "0-2-9", false},
		{"mariadb two parts", change.MariaDB, "0-1", "", true},
		{"mariadb not a number", change.MariaDB, "0-x-5", "", true},
		{"unknown flavor", "postgres", "0-1-5", "", true},
		{"no flavor", "", "0-1-5", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := ParseGTIDSet(tt.flavor, tt.in)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, set.String())
		})
	}
}

func TestGTIDSetAdvance(t *testing.T) {
	tests := []struct {
		flavor, start string
		add           []string
		want          string
	}{
		{change.MySQL, uuidA + ":1-5", []string{uuidA + ":6", uuidA + ":7"}, uuidA + ":1-7"},
		{change.MySQL, uuidA + ":1-5", []string{uuidB + ":1"}, uuidA + ":1-5," + uuidB + ":1"},
		{change.MySQL, "", []string{uuidA + ":1"}, uuidA + ":1"},
		{change.MariaDB, "0-1-5", []string{"0-1-6", "0-1-7"}, "0-1-7"},
		{change.MariaDB, "0-1-5", []string{"1-1-1"}, "0-1-5,1-1-1"},
		{change.MariaDB, "0-1-5", []string{"0-2-6"}, "0-2-6"},
	}
	for _, tt := range tests {
		t.Run(tt.flavor+" "+tt.start, func(t *testing.T) {
			set, err := ParseGTIDSet(tt.flavor, tt.start)
			require.NoError(t, err)
			for _, g := range tt.add {
				require.NoError(t, set.Update(g))
			}
			require.Equal(t, tt.want, set.String())
		})
	}
}

func FuzzParseGTIDSet(f *testing.F) {
	for _, s := range []string{
		uuidA + ":1-5:7," + uuidB + ":3", uuidA + ":1-5,\n" + uuidB + ":3", uuidA + ":tag:1",
		"0-1-5,1-2-3", "0-1-5", "", ",", "0--1", "::", uuidA + ":5-1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, flavor := range []string{change.MySQL, change.MariaDB} {
			set, err := ParseGTIDSet(flavor, s)
			if err != nil {
				continue
			}
			// What parses renders to text that parses to the same set.
			again, err := ParseGTIDSet(flavor, set.String())
			require.NoError(t, err, "re-parsing %q rendered from %q", set.String(), s)
			require.True(t, set.Equal(again), "%q -> %q -> %q", s, set.String(), again.String())
		}
	})
}

func TestReached(t *testing.T) {
	for _, c := range []struct {
		name    string
		cp, cur change.Position
		want    bool
	}{
		{"no checkpoint", change.Position{}, change.Position{File: "b.000001", Pos: 4}, false},
		{"gtid behind", change.Position{GTIDSet: "0-1-5"}, change.Position{Flavor: change.MariaDB, GTIDSet: "0-1-6"}, false},
		{"gtid caught up", change.Position{GTIDSet: "0-1-6"}, change.Position{Flavor: change.MariaDB, GTIDSet: "0-1-6"}, true},
		{"file behind", change.Position{File: "b.000001", Pos: 900}, change.Position{File: "b.000002", Pos: 4}, false},
		{"file caught up", change.Position{File: "b.000002", Pos: 4}, change.Position{File: "b.000002", Pos: 4}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Reached(c.cp, c.cur)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

func TestSetTextAsString(t *testing.T) {
	for _, tt := range []struct{ flavor, set string }{
		{change.MariaDB, "0-1-42"},
		{change.MariaDB, "4294967295-4294967295-18446744073709551615"},
		{change.MariaDB, "0-1-42,1-2-7"},
		{change.MariaDB, ""},
		{change.MySQL, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"},
	} {
		set, err := ParseGTIDSet(tt.flavor, tt.set)
		require.NoError(t, err)
		require.Equal(t, set.String(), setText(set), "%s %q", tt.flavor, tt.set)
	}
}

package decode

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBytesValue(t *testing.T) {
	tests := []struct {
		name    string
		in      any
		pad     int
		want    []byte
		wantErr bool
	}{
		{name: "binary stripped by the server", in: "\x01\x02", pad: 8, want: []byte{1, 2, 0, 0, 0, 0, 0, 0}},
		{name: "binary all zeros", in: "", pad: 8, want: make([]byte, 8)},
		{name: "binary full", in: "12345678", pad: 8, want: []byte("12345678")},
		{name: "binary trailing spaces kept", in: "A  ", pad: 4, want: []byte("A  \x00")},
		{name: "varbinary", in: "\x00\x01\x00", want: []byte{0, 1, 0}},
		{name: "varbinary empty", in: "", want: []byte{}},
		{name: "blob", in: []byte{0xff, 0}, want: []byte{0xff, 0}},
		{name: "blob empty", in: []byte{}, want: []byte{}},
		{name: "wrong type", in: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bytesValue(tt.in, tt.pad)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, got)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestStringType(t *testing.T) {
	tests := []struct {
		name     string
		meta     uint16
		wantType byte
		wantLen  int
	}{
		{name: "char(10) latin1", meta: 0xfe0a, wantType: 0xfe, wantLen: 10},
		{name: "char(255) utf8mb4 is 1020 bytes", meta: 0xce<<8 | 0xfc, wantType: 0xfe, wantLen: 1020},
		{name: "char(85) utf8mb3 is 255 bytes", meta: 0xfeff, wantType: 0xfe, wantLen: 255},
		{name: "char(64) utf8mb4 is 256 bytes", meta: 0xee00, wantType: 0xfe, wantLen: 256},
		{name: "enum", meta: 0xf701, wantType: 0xf7, wantLen: 1},
		{name: "set", meta: 0xf808, wantType: 0xf8, wantLen: 8},
		{name: "old metadata", meta: 20, wantType: 0xfe, wantLen: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, n := stringType(tt.meta)
			require.Equal(t, tt.wantType, typ)
			require.Equal(t, tt.wantLen, n)
		})
	}
}

func FuzzBytesValue(f *testing.F) {
	f.Add([]byte{1, 2}, 8, false)
	f.Add([]byte{}, 0, true)
	f.Fuzz(func(t *testing.T, in []byte, pad int, asString bool) {
		pad %= 256
		var v any = in
		if asString {
			v = string(in)
		}
		got, err := bytesValue(v, pad)
		require.NoError(t, err)
		require.Len(t, got, max(len(in), pad))
		require.True(t, bytes.HasPrefix(got, in))
		require.Equal(t, make([]byte, len(got)-len(in)), got[len(in):])
	})
}

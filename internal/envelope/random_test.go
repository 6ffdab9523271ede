package envelope

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// randomValue returns a random value of the Go type of kind k, NULL one time
// in ten.
func randomValue(r *rand.Rand, k change.Kind) change.Value {
	if r.IntN(10) == 0 {
		return nil
	}
	switch k {
	case change.KindInt, change.KindYear:
		return int64(r.Uint64())
	case change.KindUint, change.KindBit:
		return r.Uint64()
	case change.KindFloat:
		return math.Float32frombits(r.Uint32())
	case change.KindDouble:
		return math.Float64frombits(r.Uint64())
	case change.KindDecimal:
		return change.Decimal(strconv.FormatInt(r.Int64(), 10) + "." + strconv.Itoa(r.IntN(10000)))
	case change.KindDate, change.KindTime, change.KindDateTime, change.KindTimestamp:
		return change.Temporal(randomString(r))
	case change.KindJSON:
		return change.JSON(randomString(r))
	case change.KindBytes, change.KindGeometry:
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	default:
		return randomString(r)
	}
}

// randomString mixes ASCII, control characters, multi-byte runes and the
// line separators.
func randomString(r *rand.Rand) string {
	pool := []rune{'a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\r', '\t', 0, 0x1f, 0x7f,
		'é', '日', '😀', 0x10ffff, 0x2028, 0x2029, 0xfffd, 0xfeff}
	rs := make([]rune, r.IntN(30))
	for i := range rs {
		if r.IntN(4) == 0 {
			rs[i] = rune(r.IntN(0x110000))
			if !utf8.ValidRune(rs[i]) {
				rs[i] = 'x'
			}
			continue
		}
		rs[i] = pool[r.IntN(len(pool))]
	}
	return string(rs)
}

func TestAppendRandomIsValidAndExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 3000; n++ {
		table := &change.Table{Schema: randomString(r), Name: randomString(r)}
		for k := change.KindInt; k.String() != "unknown"; k++ {
			table.Columns = append(table.Columns, change.Column{Name: k.String(), Kind: k})
		}
		table.PrimaryKey = []int{r.IntN(len(table.Columns))}
		row := make(change.Row, len(table.Columns))
		for i, col := range table.Columns {
			row[i] = randomValue(r, col.Kind)
		}
		txn := &change.Txn{
			Source: randomString(r), GTID: randomString(r),
			Begin:   change.Position{File: randomString(r), Pos: r.Uint32()},
			Changes: []change.RowChange{{Table: table, Op: change.Insert, After: row}},
		}
		line := Append(nil, txn, 0, n)
		require.True(t, json.Valid(line), "%s", line)
		e, err := Decode(line)
		require.NoError(t, err)
		require.Equal(t, txn.Source, e.Source)
		require.Equal(t, table.Schema, e.Schema)
		require.Equal(t, txn.GTID, e.GTID)
		require.Equal(t, n, e.Row)
		for i, col := range table.Columns {
			requireSameValue(t, col.Kind, row[i], e.After[col.Name])
		}
	}
}

// requireSameValue checks that got, decoded from the envelope, is exactly
// want.
func requireSameValue(t *testing.T, k change.Kind, want change.Value, got any) {
	t.Helper()
	if want == nil {
		require.Nil(t, got, "kind %s", k)
		return
	}
	switch w := want.(type) {
	case int64:
		require.Equal(t, json.Number(strconv.FormatInt(w, 10)), got)
	case uint64:
		require.Equal(t, json.Number(strconv.FormatUint(w, 10)), got)
	case float32:
		requireSameFloat(t, float64(w), got, 32)
	case float64:
		requireSameFloat(t, w, got, 64)
	case []byte:
		b, err := base64.StdEncoding.DecodeString(got.(string))
		require.NoError(t, err)
		require.Equal(t, w, b)
	case change.Decimal:
		require.Equal(t, string(w), got)
	case change.Temporal:
		require.Equal(t, string(w), got)
	case change.JSON:
		require.Equal(t, string(w), got)
	case string:
		require.Equal(t, w, got)
	default:
		t.Fatalf("kind %s: unexpected type %T", k, want)
	}
}

func requireSameFloat(t *testing.T, want float64, got any, bits int) {
	t.Helper()
	switch {
	case math.IsNaN(want):
		require.Equal(t, "NaN", got)
	case math.IsInf(want, 0):
		require.Equal(t, strconv.FormatFloat(want, 'g', -1, bits), got)
	default:
		n, ok := got.(json.Number)
		require.True(t, ok, "float encoded as %T", got)
		f, err := strconv.ParseFloat(string(n), bits)
		require.NoError(t, err)
		require.Equal(t, math.Float64bits(want), math.Float64bits(f), "%v decoded as %v", want, f)
	}
}

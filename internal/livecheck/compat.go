package livecheck

import (
	"fmt"
	"slices"
)

// verdict is what storing one column type in another does to the values.
type verdict uint8

const (
	// fits: every value is stored unchanged.
	fits verdict = iota
	// mayTruncate: long values, or some characters, may not survive.
	mayTruncate
	// lossy: some values are changed, rejected or lost.
	lossy
)

// compare says whether every value of src is stored unchanged in dst, and
// why not when it is not. The rules are listed in the package comment.
func compare(src, dst colType) (verdict, string) {
	if src.columnType == dst.columnType && src.charset == dst.charset {
		return fits, ""
	}
	if dst.class() == classChar || dst.class() == classText {
		return toText(src, dst)
	}
	switch src.class() {
	case classInt:
		return fromInt(src, dst)
	case classDecimal:
		return fromDecimal(src, dst)
	case classFloat, classDouble:
		if dst.class() == classDouble || (src.class() == classFloat && dst.class() == classFloat) {
			return signs(src, dst)
		}
	case classBit:
		switch {
		case dst.class() == classBit && dst.precision >= src.precision:
			return fits, ""
		case dst.class() == classInt && int64(dst.valueBits()) >= src.precision:
			return fits, ""
		}
	case classDate:
		if dst.class() == classDate || dst.class() == classDateTime {
			return fits, ""
		}
	case classDateTime, classTimestamp, classTime:
		return fromTemporal(src, dst)
	case classYear:
		if dst.class() == classYear || (dst.class() == classInt && dst.maxInt() >= 2155) {
			return fits, ""
		}
	case classBinary, classBlob:
		return toBinary(src, dst)
	case classEnum, classSet:
		if dst.class() == src.class() {
			for _, e := range src.elements() {
				if !slices.Contains(dst.elements(), e) {
					return lossy, fmt.Sprintf("value %q is not allowed in the target", e)
				}
			}
			return fits, ""
		}
	case classOther:
		return mayTruncate, "types that this check does not know are not compared"
	}
	if dst.class() == classBinary || dst.class() == classBlob {
		return toBinary(src, dst)
	}
	return lossy, "values of this type cannot be stored unchanged in that type"
}

// fromInt checks an integer source.
func fromInt(src, dst colType) (verdict, string) {
	switch dst.class() {
	case classInt:
		if src.maxInt() > dst.maxInt() {
			return lossy, "the target integer range is narrower"
		}
		return signs(src, dst)
	case classDecimal:
		if int64(len(fmt.Sprint(src.maxInt()))) > dst.precision-dst.scale {
			return lossy, "the target DECIMAL has fewer integer digits than the source range needs"
		}
		return signs(src, dst)
	case classFloat, classDouble:
		mantissa := 24
		if dst.class() == classDouble {
			mantissa = 53
		}
		if src.valueBits() > mantissa {
			return lossy, "a floating-point target rounds integers this large"
		}
		return signs(src, dst)
	}
	return lossy, "an integer cannot be stored unchanged in that type"
}

// fromDecimal checks a DECIMAL source.
func fromDecimal(src, dst colType) (verdict, string) {
	switch dst.class() {
	case classDecimal:
		if dst.scale < src.scale {
			return lossy, "the target DECIMAL has fewer fractional digits"
		}
		if dst.precision-dst.scale < src.precision-src.scale {
			return lossy, "the target DECIMAL has fewer integer digits"
		}
		return signs(src, dst)
	case classInt:
		if src.scale > 0 {
			return lossy, "an integer target drops the fractional digits"
		}
		if src.precision > 19 || pow10(src.precision)-1 > dst.maxInt() {
			return lossy, "the target integer range is narrower"
		}
		return signs(src, dst)
	case classFloat, classDouble:
		return lossy, "a floating-point target rounds DECIMAL values"
	}
	return lossy, "a DECIMAL cannot be stored unchanged in that type"
}

// fromTemporal checks a DATETIME, TIMESTAMP or TIME source.
func fromTemporal(src, dst colType) (verdict, string) {
	ok := false
	switch src.class() {
	case classDateTime:
		ok = dst.class() == classDateTime
		if dst.class() == classTimestamp {
			return lossy, "TIMESTAMP cannot hold DATETIME values outside 1970-2038"
		}
	case classTimestamp:
		ok = dst.class() == classTimestamp || dst.class() == classDateTime
	case classTime:
		ok = dst.class() == classTime
	}
	switch {
	case !ok:
		return lossy, "values of this type cannot be stored unchanged in that type"
	case dst.fsp < src.fsp:
		return lossy, fmt.Sprintf("the target keeps %d fractional digits of seconds, the source has %d", dst.fsp, src.fsp)
	}
	return fits, ""
}

// toText checks a source stored in a CHAR, VARCHAR or TEXT column.
func toText(src, dst colType) (verdict, string) {
	switch src.class() {
	case classBinary, classBlob:
		return lossy, "binary strings may not be valid in the target character set"
	case classOther:
		return mayTruncate, "types that this check does not know are not compared"
	}
	if dst.dataType == "json" && src.dataType != "json" {
		return lossy, "the target JSON column rejects values that are not valid JSON"
	}
	if dst.class() == classText {
		need := src.octets
		if need == 0 {
			need = src.textLen()
		}
		if need > dst.octets {
			return mayTruncate, fmt.Sprintf("values up to %d bytes may not fit in %d", need, dst.octets)
		}
	} else if need := src.textLen(); need > dst.maxChars {
		return mayTruncate, fmt.Sprintf("values up to %d characters may not fit in %d", need, dst.maxChars)
	}
	if src.charset != "" && !charsetFits(src.charset, dst.charset) {
		return mayTruncate, fmt.Sprintf("character set %s may not hold every character of %s", dst.charset, src.charset)
	}
	return fits, ""
}

// toBinary checks a source stored in a BINARY, VARBINARY or BLOB column.
func toBinary(src, dst colType) (verdict, string) {
	switch {
	case dst.class() != classBinary && dst.class() != classBlob:
		return lossy, "binary strings cannot be stored unchanged in that type"
	case dst.dataType == "binary" && (src.dataType != "binary" || src.octets != dst.octets):
		return lossy, "BINARY pads shorter values with zero bytes"
	case src.class() == classOther:
		return mayTruncate, "types that this check does not know are not compared"
	}
	need := src.octets
	if need == 0 {
		need = src.textLen()
	}
	if need > dst.octets {
		return mayTruncate, fmt.Sprintf("values up to %d bytes may not fit in %d", need, dst.octets)
	}
	return fits, ""
}

// signs refuses signed sources for unsigned targets.
func signs(src, dst colType) (verdict, string) {
	if !src.unsigned() && dst.unsigned() {
		return lossy, "an unsigned target rejects negative values"
	}
	return fits, ""
}

// charsetFits reports whether every character of src exists in dst.
func charsetFits(src, dst string) bool {
	switch {
	case src == dst, dst == "utf8mb4", src == "ascii":
		return true
	case dst == "utf8mb3" || dst == "utf8":
		return src == "latin1" || src == "utf8mb3" || src == "utf8" || src == "ucs2"
	}
	return false
}

func pow10(n int64) uint64 {
	v := uint64(1)
	for range n {
		v *= 10
	}
	return v
}

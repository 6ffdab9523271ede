package decode

import (
	"strconv"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Packed temporal values.
//
// go-mysql prints every DATE, TIME2, DATETIME2 and TIMESTAMP2 value of a
// row image with fmt.Sprintf or time.Format: on BenchmarkDecodeThroughput's
// table, one DATETIME(6) among nine columns, the reader went from 1.02 to
// 1.75-2.14 times go-mysql's own decoding once it no longer did.
//
// RowsDecodeFunc has go-mysql read those columns as BIT columns of the
// same width instead, so it hands over their bytes as one big-endian
// integer, and the Decoder prints them here, digit by digit, to the text
// go-mysql would have printed, fractional digits cut or padded to the
// column's as Temporal does (TestPackedTemporalMatchesGoMySQL compares
// both over values spread across each type's range). The older DATETIME,
// TIMESTAMP and TIME formats, which only tables created before MySQL 5.6
// still log, go through go-mysql as before.

// packedWidth returns the bytes a value of a column of binlog type typ
// and metadata meta takes in a row image, and whether RowsDecodeFunc has
// go-mysql pass it packed.
func packedWidth(typ byte, meta uint16) (int, bool) {
	switch typ {
	case mysql.MYSQL_TYPE_DATE:
		return 3, true
	case mysql.MYSQL_TYPE_TIME2:
		return fractional(3, meta)
	case mysql.MYSQL_TYPE_DATETIME2:
		return fractional(5, meta)
	case mysql.MYSQL_TYPE_TIMESTAMP2:
		return fractional(4, meta)
	}
	return 0, false
}

// fractional returns the width of a value of base bytes and the fraction
// of fsp digits that meta gives; an fsp over 6 is none a server writes,
// and go-mysql reports it.
func fractional(base int, meta uint16) (int, bool) {
	if meta > 6 {
		return 0, false
	}
	return base + int(meta+1)/2, true
}

// Offsets of the stored integer parts (MySQL's DATETIMEF_INT_OFS,
// TIMEF_INT_OFS and TIMEF_OFS).
const (
	datetimeIntOffset = 0x8000000000
	timeIntOffset     = 0x800000
	timeOffset        = 0x800000000000
)

// packedTemporal prints the packed value v of a column of binlog type typ
// with fsp fractional digits.
func packedTemporal(typ byte, v uint64, fsp int) change.Temporal {
	var buf [48]byte
	b := buf[:0]
	switch typ {
	case mysql.MYSQL_TYPE_DATE:
		b = appendDate(b, v)
	case mysql.MYSQL_TYPE_DATETIME2:
		b = appendDatetime2(b, v, fsp)
	case mysql.MYSQL_TYPE_TIMESTAMP2:
		b = appendTimestamp2(b, v, fsp)
	case mysql.MYSQL_TYPE_TIME2:
		b = appendTime2(b, v, fsp)
	}
	return change.Temporal(b)
}

// splitFrac splits a packed value whose last (fsp+1)/2 bytes hold the
// fraction into its leading part and the fraction in microseconds, read
// as go-mysql reads it: one byte counts hundredths, two ten-thousandths.
func splitFrac(v uint64, fsp int) (uint64, int64) {
	switch (fsp + 1) / 2 {
	case 1:
		return v >> 8, int64(v&0xff) * 10000
	case 2:
		return v >> 16, int64(v&0xffff) * 100
	case 3:
		return v >> 24, int64(v & 0xffffff)
	}
	return v, 0
}

// appendDate appends a DATE, stored as three little-endian bytes.
func appendDate(b []byte, v uint64) []byte {
	i := int64(v>>16&0xff | v>>8&0xff<<8 | v&0xff<<16)
	if i == 0 {
		return append(b, "0000-00-00"...)
	}
	return appendYMD(b, i/(16*32), i/32%16, i%32)
}

// appendDatetime2 appends a DATETIME2: 40 bits of year*13+month, day,
// hour, minute and second, then the fraction.
func appendDatetime2(b []byte, v uint64, fsp int) []byte {
	rest, frac := splitFrac(v, fsp)
	intPart := int64(rest) - datetimeIntOffset
	if intPart == 0 {
		return appendFraction(append(b, "0000-00-00 00:00:00"...), frac, fsp)
	}
	tmp := intPart<<24 + frac
	if tmp < 0 {
		tmp = -tmp
	}
	ymdhms := tmp >> 24
	ymd, hms := ymdhms>>17, ymdhms%(1<<17)
	ym := ymd >> 5
	b = appendYMD(b, ym/13, ym%13, ymd%(1<<5))
	b = append(b, ' ')
	b = appendHMS(b, hms>>12, (hms>>6)%(1<<6), hms%(1<<6))
	return appendFraction(b, frac, fsp)
}

// appendTimestamp2 appends a TIMESTAMP2, four bytes of seconds since the
// epoch and the fraction, in UTC.
func appendTimestamp2(b []byte, v uint64, fsp int) []byte {
	rest, usec := splitFrac(v, fsp)
	sec := int64(rest)
	if sec == 0 {
		return appendFraction(append(b, "0000-00-00 00:00:00"...), usec, fsp)
	}
	t := time.Unix(sec, usec*1000).UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = appendYMD(b, int64(y), int64(mo), int64(d))
	b = append(b, ' ')
	b = appendHMS(b, int64(h), int64(mi), int64(s))
	return appendFraction(b, int64(t.Nanosecond()/1000), fsp)
}

// appendTime2 appends a TIME2: a sign, 23 bits of hour, minute and second,
// then the fraction; negative values store their fraction reversed.
func appendTime2(b []byte, v uint64, fsp int) []byte {
	var tmp int64
	switch (fsp + 1) / 2 {
	case 0:
		tmp = (int64(v) - timeIntOffset) << 24
	case 1, 2:
		bits := uint(8 * ((fsp + 1) / 2))
		intPart, frac := int64(v>>bits)-timeIntOffset, int64(v&(1<<bits-1))
		if intPart < 0 && frac != 0 {
			intPart++
			frac -= 1 << bits
		}
		scale := int64(10000)
		if bits == 16 {
			scale = 100
		}
		tmp = intPart<<24 + frac*scale
	case 3:
		tmp = int64(v) - timeOffset
	}
	if tmp < 0 {
		tmp = -tmp
		b = append(b, '-')
	}
	hms := tmp >> 24
	b = appendHMS(b, (hms>>12)%(1<<10), (hms>>6)%(1<<6), hms%(1<<6))
	return appendFraction(b, tmp%(1<<24), fsp)
}

// appendYMD appends year-month-day as %04d-%02d-%02d prints them.
func appendYMD(b []byte, y, m, d int64) []byte { return appendParts(b, '-', y, 4, m, d) }

// appendHMS appends hour:minute:second as %02d:%02d:%02d prints them.
func appendHMS(b []byte, h, m, s int64) []byte { return appendParts(b, ':', h, 2, m, s) }

// appendParts appends three numbers joined by sep, the first zero-padded
// to at least width digits, the others to two.
func appendParts(b []byte, sep byte, first int64, width int, second, third int64) []byte {
	b = append(appendPadded(b, first, width), sep)
	b = append(appendPadded(b, second, 2), sep)
	return appendPadded(b, third, 2)
}

// appendFraction appends a dot and the first fsp digits of frac printed
// as %06d, nothing for fsp 0.
func appendFraction(b []byte, frac int64, fsp int) []byte {
	if fsp <= 0 {
		return b
	}
	var buf [24]byte
	digits := appendPadded(buf[:0], frac, 6)
	return append(append(b, '.'), digits[:min(fsp, len(digits))]...)
}

// appendPadded appends the non-negative n in decimal, zero-padded to at
// least width digits.
func appendPadded(b []byte, n int64, width int) []byte {
	switch {
	case width == 2 && n >= 0 && n < 100:
		return append(b, byte('0'+n/10), byte('0'+n%10))
	case width == 4 && n >= 0 && n < 10000:
		return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
	}
	var buf [20]byte
	digits := strconv.AppendInt(buf[:0], n, 10)
	for i := len(digits); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, digits...)
}

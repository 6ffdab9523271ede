// Package livecheck owns the check of compiled mappings against the live
// schemas of the source servers and the target database.
//
// Check reads information_schema only; it never reads rows. It reports every
// problem at once, each at the place in the mapping file that causes it:
//
//   - a source table pattern that matches no base table on any configured
//     source whose name matches the source pattern;
//   - a column that expressions read but a matched source table lacks
//     (names are compared exactly, as the mapping engine does);
//   - a target table that does not exist, has no primary key, or whose
//     primary key is not the mapping's key (same columns, same order);
//   - a written target column, or with all_columns a copied source column,
//     that the target table lacks (compared without regard to case, as
//     MySQL does);
//   - a source column whose type cannot be stored in its target column
//     without loss, for plain column copies only;
//   - a source table that a lookup, a joined entry's completion or a
//     re-derivation searches by columns no index starts with (a warning):
//     each search, once per batch of changes, scans the table under shared
//     locks, holding up the application's writes to it.
//
// # Type rules
//
// Only plain column copies are type-checked: a columns: entry whose
// expression is one source column name, and the columns all_columns copies.
// Any other expression is evaluated at run time and its type is not known
// here, so it is not checked. Column copies are found by reading the mapping
// file again at the entry's position; when that fails, types are not
// checked for the entry and a warning says so.
//
// A copy fits when every value the source column can hold is stored
// unchanged by the target column. The rules are conservative:
//
//   - identical column types (and character sets) always fit;
//   - integers fit a wider or equal integer of the same signedness, or a
//     strictly wider signed one for unsigned sources; never signed into
//     unsigned; into DECIMAL when its integer digits cover the range; into
//     FLOAT or DOUBLE only when the mantissa (24 or 53 bits) covers it;
//   - DECIMAL(p,s) fits DECIMAL(p2,s2) when s2 >= s and p2-s2 >= p-s, and
//     an integer when s is 0 and the range covers p digits; it never fits
//     FLOAT or DOUBLE;
//   - FLOAT fits FLOAT and DOUBLE, DOUBLE only DOUBLE;
//   - BIT(n) fits BIT(m >= n) and integers with at least n value bits;
//   - DATETIME(p) and TIMESTAMP(p) fit DATETIME(q >= p); TIMESTAMP(p) fits
//     TIMESTAMP(q >= p), DATETIME does not (its range is wider); DATE fits
//     DATE and DATETIME; TIME(p) fits TIME(q >= p); YEAR fits YEAR and
//     SMALLINT or wider integers;
//   - ENUM and SET fit an ENUM or SET of the same kind holding every value;
//   - binary strings fit binary strings; character strings fit character
//     strings and binary strings; a fixed-length BINARY(n) target fits only
//     BINARY(n), since it pads shorter values with zero bytes; binary strings
//     never fit character strings;
//   - any value fits a character string that is long enough for its text;
//     strings, numbers and temporal values fit nothing else.
//
// A string that may be longer than its target allows (VARCHAR(200) into
// VARCHAR(100), TEXT into VARCHAR, a number into a short VARCHAR) and a
// character set that may not hold every character of the source are
// warnings: the data may well fit. Every other misfit is an error. Types
// the rules do not know are warnings unless identical.
package livecheck

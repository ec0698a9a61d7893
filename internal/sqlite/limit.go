package sqlite

import "strings"

// castLimits returns query with every LIMIT whose value is a lone bound
// parameter (LIMIT ?, LIMIT ?5) written as LIMIT CAST(? AS INTEGER), for
// statements kept prepared.
//
// SQLite (3.54.1, modernc's) reads an integer bound to a bare LIMIT
// parameter while it plans the statement, and marks the statement to be
// compiled again whenever that parameter's value changes: a prepared
// statement run with another limit each time is parsed and planned on
// every run, as if it had never been prepared. River's fetch query is one
// (its limit is the workers free at that moment): compiling it again was
// 3.4 % of a job's CPU. SQLITE_DBCONFIG_ENABLE_QPSG would stop it, but
// modernc's driver offers no way to set it on a connection. A CAST is an
// expression SQLite does not read at planning time, and gives the same
// rows for the integers every caller binds; a NULL is still refused, and
// text that is not a number reads as 0 (where the bare parameter refused
// it).
//
// Comments, string literals and quoted names are skipped, so only the
// keyword is matched.
func castLimits(query string) string {
	var b strings.Builder
	last := 0 // query[:last] is in b
	for i := 0; i < len(query); i++ {
		if next, _, _ := skipLexeme(query, i); next > i {
			i = next - 1
			continue
		}
		switch c := query[i]; {
		case (c == 'L' || c == 'l') && (i == 0 || !identByte(query[i-1])) &&
			i+5 <= len(query) && strings.EqualFold(query[i:i+5], "LIMIT"):
			start, end, ok := limitParam(query, i+5)
			if !ok {
				i += 4
				continue
			}
			b.WriteString(query[last:start])
			b.WriteString("CAST(")
			b.WriteString(query[start:end])
			b.WriteString(" AS INTEGER)")
			last, i = end, end-1
		}
	}
	if last == 0 {
		return query
	}
	b.WriteString(query[last:])
	return b.String()
}

// limitParam finds, after the keyword LIMIT ending at i, a bound
// parameter that is the whole value: blanks, then ? and its digits, then
// the end of the value (the query's end, a closing parenthesis, OFFSET…).
// An expression such as LIMIT ? + 1 is left alone: SQLite does not read
// it at planning time.
func limitParam(query string, i int) (start, end int, ok bool) {
	if i < len(query) && identByte(query[i]) {
		return 0, 0, false // LIMITS, LIMIT_X: not the keyword
	}
	for i < len(query) && isBlank(query[i]) {
		i++
	}
	if i >= len(query) || query[i] != '?' {
		return 0, 0, false
	}
	start, end = i, i+1
	for end < len(query) && query[end] >= '0' && query[end] <= '9' {
		end++
	}
	j := end
	for j < len(query) && isBlank(query[j]) {
		j++
	}
	if j < len(query) && !endsValue(query[j:]) {
		return 0, 0, false
	}
	if end < len(query) && identByte(query[end]) {
		return 0, 0, false
	}
	return start, end, true
}

// endsValue reports whether rest, after a LIMIT's parameter and blanks,
// starts with what ends the LIMIT's value.
func endsValue(rest string) bool {
	switch rest[0] {
	case ')', ';', ',':
		return true
	}
	for _, p := range []string{"--", "/*"} {
		if strings.HasPrefix(rest, p) {
			return true
		}
	}
	return len(rest) >= 6 && strings.EqualFold(rest[:6], "OFFSET") && (len(rest) == 6 || !identByte(rest[6]))
}

func identByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

package asl

import (
	"encoding/json"
	"unicode/utf8"
)

// Every execution input, handler result and SendTaskSuccess output is
// decoded, so decoding is on the hot path. decodeFast parses the common
// case (valid JSON, strings in valid UTF-8 without surrogate escapes,
// moderate nesting) straight into interpreter values, without
// encoding/json's reflection and its per-call decoder and scanner. It
// gives up on anything else, and decodeJSON then asks encoding/json,
// which settles every unusual input (and words every error) exactly as
// before.

// maxFastDepth bounds decodeFast's recursion; deeper documents go to
// encoding/json, which enforces its own limit.
const maxFastDepth = 200

// jsonScanner reads one JSON document from data.
type jsonScanner struct {
	data []byte
	pos  int
}

// decodeFast parses data as decodeJSON would, or reports ok=false when it
// can't be sure to.
func decodeFast(data []byte) (v any, ok bool) {
	s := jsonScanner{data: data}
	s.skipSpace()
	if v, ok = s.value(0); !ok {
		return nil, false
	}
	s.skipSpace()
	// Anything after the value, even the Unicode spaces decodeJSON
	// tolerates, is left to the slow path.
	return v, s.pos == len(s.data)
}

// skipSpace skips JSON whitespace.
func (s *jsonScanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *jsonScanner) value(depth int) (any, bool) {
	if s.pos >= len(s.data) || depth > maxFastDepth {
		return nil, false
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		str, ok := s.string()
		return str, ok
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return true, s.literal("true")
	case c == 'f':
		return false, s.literal("false")
	case c == 'n':
		return nil, s.literal("null")
	}
	return nil, false
}

func (s *jsonScanner) literal(lit string) bool {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return false
	}
	s.pos += len(lit)
	return true
}

// object parses {...} into a map, the last of duplicate keys winning, as
// encoding/json does.
func (s *jsonScanner) object(depth int) (any, bool) {
	s.pos++ // {
	m := map[string]any{}
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return m, true
	}
	for {
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return nil, false
		}
		k, ok := s.string()
		if !ok {
			return nil, false
		}
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return nil, false
		}
		s.pos++
		s.skipSpace()
		v, ok := s.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[k] = v
		if end, ok := s.separator('}'); !ok || end {
			return m, ok
		}
	}
}

// array parses [...]; an empty array is a non-nil empty slice, as
// encoding/json makes it.
func (s *jsonScanner) array(depth int) (any, bool) {
	s.pos++ // [
	a := []any{}
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return a, true
	}
	for {
		v, ok := s.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if end, ok := s.separator(']'); !ok || end {
			return a, ok
		}
	}
}

// separator reads what follows a member or element: a comma (end false)
// or the closing bracket (end true); anything else is not ok.
func (s *jsonScanner) separator(closing byte) (end, ok bool) {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return false, false
	}
	switch s.data[s.pos] {
	case ',':
		s.pos++
		s.skipSpace()
		return false, true
	case closing:
		s.pos++
		return true, true
	}
	return false, false
}

// string parses a string literal. It declines invalid UTF-8 and escaped
// surrogates, which encoding/json replaces by U+FFFD under rules not worth
// repeating here.
func (s *jsonScanner) string() (string, bool) {
	s.pos++ // "
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			str := string(s.data[start:s.pos])
			s.pos++
			return str, true
		case c == '\\':
			return s.escapedString(start)
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, size := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && size == 1 {
				return "", false
			}
			s.pos += size
		}
	}
	return "", false
}

// escapedString finishes a string literal that started at start and has a
// backslash at s.pos.
func (s *jsonScanner) escapedString(start int) (string, bool) {
	b := make([]byte, 0, s.pos-start+16)
	b = append(b, s.data[start:s.pos]...)
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return string(b), true
		case c == '\\':
			if s.pos+1 >= len(s.data) {
				return "", false
			}
			e := s.data[s.pos+1]
			s.pos += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := s.hex4()
				if !ok || utf16Surrogate(r) {
					return "", false
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", false
			}
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			b = append(b, c)
			s.pos++
		default:
			r, size := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && size == 1 {
				return "", false
			}
			b = append(b, s.data[s.pos:s.pos+size]...)
			s.pos += size
		}
	}
	return "", false
}

func utf16Surrogate(r rune) bool { return 0xd800 <= r && r < 0xe000 }

// hex4 reads the four hex digits of a \u escape.
func (s *jsonScanner) hex4() (rune, bool) {
	if len(s.data)-s.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s.data[s.pos : s.pos+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.pos += 4
	return r, true
}

// number parses a number as a json.Number of its exact text.
func (s *jsonScanner) number() (any, bool) {
	start := s.pos
	for s.pos < len(s.data) && isNumberByte(s.data[s.pos]) {
		s.pos++
	}
	text := string(s.data[start:s.pos])
	return json.Number(text), validNumber(text)
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

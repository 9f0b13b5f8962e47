package reply

import (
	"strings"
	"testing"
)

// FuzzParse: any text gets a reply kind, never a panic; a score is always
// one or two digits from the start of the text, and a comment is a part of
// the text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"7", "7 thanks for the help", "10!", "2 too slow", "STOP", "stop.", "HELP", "8/10 great", "9 / 10", "4/5 ok", "7th", "7.5", "", "ｓｔｏｐ", "1\x00", "99", "100"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := Parse(body)
		switch r.Kind {
		case Score:
			if r.Score < 0 || r.Score > 99 {
				t.Fatalf("Parse(%q) score %d out of two digits", body, r.Score)
			}
			if !strings.Contains(body, r.Comment) {
				t.Fatalf("Parse(%q) comment %q is not from the text", body, r.Comment)
			}
			if r.OutOf < 0 || r.OutOf > 999 || r.OutOf > 0 && !strings.Contains(body, "/") {
				t.Fatalf("Parse(%q) scale %d is not a named one", body, r.OutOf)
			}
		case Unclear, Stop, Help:
			if r.Score != 0 || r.OutOf != 0 || r.Comment != "" {
				t.Fatalf("Parse(%q) = %+v: only scores carry a score or comment", body, r)
			}
		default:
			t.Fatalf("Parse(%q) kind %d unknown", body, r.Kind)
		}
	})
}
